import { indexSettingsOf, loadConfig } from '../../src';

const load = (env: Record<string, string>) => loadConfig({ env, cwd: '/tmp' });

describe('vector index settings', () => {
  test('defaults: automatic choice, target recall 0.95, budget 0 (half the machine), tuned parameters', () => {
    const config = load({});
    expect(config).toMatchObject({ indexFactory: '', targetRecall: 0.95, memoryBudgetMb: 0, indexSearchParams: {} });
    expect(indexSettingsOf(config)).toEqual({ factory: '', targetRecall: 0.95, memoryBudgetBytes: 0, searchParams: {} });
  });

  test('SIS_INDEX_FACTORY, SIS_TARGET_RECALL, SIS_MEMORY_BUDGET_MB, SIS_INDEX_SEARCH_PARAMS', () => {
    const config = load({ SIS_INDEX_FACTORY: ' IVF1024,PQ64 ', SIS_TARGET_RECALL: '0.9', SIS_MEMORY_BUDGET_MB: '512', SIS_INDEX_SEARCH_PARAMS: 'nprobe=16, efSearch=64' });
    expect(indexSettingsOf(config)).toEqual({ factory: 'IVF1024,PQ64', targetRecall: 0.9, memoryBudgetBytes: 512 * 1024 * 1024, searchParams: { nprobe: 16, efSearch: 64 } });
  });

  test.each([
    ['SIS_TARGET_RECALL', '0'],
    ['SIS_TARGET_RECALL', '1.2'],
    ['SIS_MEMORY_BUDGET_MB', '-1'],
    ['SIS_MEMORY_BUDGET_MB', 'lots'],
    ['SIS_INDEX_SEARCH_PARAMS', 'nprobe'],
    ['SIS_INDEX_SEARCH_PARAMS', 'nprobe=many'],
    ['SIS_INDEX_SEARCH_PARAMS', 'nprobe=0'],
  ])('rejects %s=%s with a message naming the setting', (name, value) => {
    expect(() => load({ [name]: value })).toThrow(name);
  });
});
