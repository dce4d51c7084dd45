import { nlistFor, planIndex, rebuildReason, resolveIndexSettings, withIdMapping, type IndexDescriptor, type IndexSettings } from '../../src/store';

const D = 512;
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

function settings(overrides: Partial<IndexSettings> = {}): IndexSettings {
  return resolveIndexSettings({ memoryBudgetBytes: 8 * GiB, ...overrides });
}

function descriptor(overrides: Partial<IndexDescriptor>): IndexDescriptor {
  return { factory: 'IDMap2,Flat', description: 'IDMap2,Flat', kind: 'flat', builtFor: 0, searchParams: {}, measuredRecall: null, targetRecall: 0.95, reason: '', ...overrides };
}

describe('index selection rules', () => {
  test('exact search (IDMap2,Flat) up to the flat threshold, with no training', () => {
    for (const n of [0, 1, 5_000, 200_000]) {
      expect(planIndex(n, D, settings())).toMatchObject({ factory: 'IDMap2,Flat', kind: 'flat', trainingSize: 0 });
    }
  });

  test('above it, by default IVF with SQ8 codes (the HNSW band is off: it builds slowly on a generic FAISS build)', () => {
    expect(planIndex(300_000, D, settings())).toMatchObject({ factory: 'IVF2048,SQ8', kind: 'ivf' });
    expect(planIndex(200_001, D, settings()).kind).toBe('ivf');
  });

  test('with an HNSW band, HNSW over the full vectors while the collection is in it and the graph fits the budget', () => {
    const plan = planIndex(300_000, D, settings({ hnswMaxVectors: 500_000 }));
    expect(plan).toMatchObject({ factory: 'IDMap2,HNSW32', kind: 'hnsw', trainingSize: 0, searchParameter: 'efSearch' });
    // ~2.4 KB a vector: 300k vectors need ~700 MiB.
    expect(plan.estimatedBytes).toBeGreaterThan(650 * MiB);
    expect(plan.estimatedBytes).toBeLessThan(800 * MiB);
    // Not when the budget is too small for it: IVF with 8-bit codes instead.
    expect(planIndex(300_000, D, settings({ hnswMaxVectors: 500_000, memoryBudgetBytes: 400 * MiB }))).toMatchObject({ kind: 'ivf', factory: 'IVF2048,SQ8' });
  });

  test('a million vectors get IVF with SQ8 codes: 4*sqrt(n) lists as a power of two, 40 training vectors a list', () => {
    const plan = planIndex(1_000_000, D, settings());
    expect(plan).toMatchObject({ factory: 'IVF4096,SQ8', kind: 'ivf', nlist: 4096, trainingSize: 40 * 4096, searchParameter: 'nprobe' });
    // d bytes + an 8-byte id a vector: about a quarter of flat's 2 GB.
    expect(plan.estimatedBytes).toBeLessThan(0.3 * 1_000_000 * D * 4);
  });

  test('a budget too small for SQ8 gets the largest product quantiser that fits, then the smallest one', () => {
    const sq8Bytes = planIndex(1_000_000, D, settings()).estimatedBytes;
    const tight = planIndex(1_000_000, D, settings({ memoryBudgetBytes: sq8Bytes - 1 }));
    expect(tight.factory).toBe('IVF4096,PQ128');
    expect(tight.estimatedBytes).toBeLessThan(sq8Bytes);
    expect(planIndex(1_000_000, D, settings({ memoryBudgetBytes: 60 * MiB })).factory).toBe('IVF4096,PQ32');
    const impossible = planIndex(1_000_000, D, settings({ memoryBudgetBytes: 1 * MiB }));
    expect(impossible.factory).toBe('IVF4096,PQ8');
    expect(impossible.reason).toMatch(/nothing fits/);
  });

  test('the budget also moves small collections off flat, but never below what IVF can train on', () => {
    expect(planIndex(100_000, D, settings({ memoryBudgetBytes: 100 * MiB })).factory).toBe('IVF1024,SQ8');
    expect(planIndex(500, D, settings({ memoryBudgetBytes: 1 }))).toMatchObject({ factory: 'IDMap2,Flat', reason: expect.stringMatching(/too few/) });
  });

  test('nlist keeps at least 39 training vectors a list and stays within 16..65536', () => {
    expect(nlistFor(1_000_000)).toBe(4096);
    expect(nlistFor(250_000)).toBe(2048);
    expect(nlistFor(800)).toBe(16);
    expect(nlistFor(5_000)).toBe(128);
    expect(nlistFor(1e10)).toBe(65_536);
    for (const n of [700, 3_000, 20_000, 123_456]) expect(nlistFor(n) * 39).toBeLessThanOrEqual(n);
  });

  test('thresholds are settings', () => {
    expect(planIndex(5_000, 32, settings({ flatMaxVectors: 1_000, hnswMaxVectors: 10_000 })).kind).toBe('hnsw');
    expect(planIndex(5_000, 32, settings({ flatMaxVectors: 1_000, hnswMaxVectors: 2_000 })).factory).toBe('IVF128,SQ8');
  });

  test('a configured factory string wins, with the id mapping it needs added', () => {
    expect(planIndex(1_000_000, D, settings({ factory: 'HNSW64' }))).toMatchObject({ factory: 'IDMap2,HNSW64', kind: 'hnsw', searchParameter: 'efSearch', trainingSize: 0 });
    expect(planIndex(1_000_000, D, settings({ factory: 'IVF1024,PQ64' }))).toMatchObject({ factory: 'IVF1024,PQ64', kind: 'ivf', nlist: 1024, trainingSize: 40 * 1024 });
    expect(planIndex(100, D, settings({ factory: 'Flat' }))).toMatchObject({ factory: 'IDMap2,Flat', kind: 'flat' });
    // Too few vectors to train the configured IVF: exact search until there are enough.
    expect(planIndex(1_000, D, settings({ factory: 'IVF1024,SQ8' }))).toMatchObject({ factory: 'IDMap2,Flat', reason: expect.stringMatching(/needs at least 39936/) });
  });

  test('IVF keeps its own 64-bit ids: an IDMap in front of it (which breaks removal in FAISS 1.7.3) is dropped', () => {
    expect(withIdMapping('IVF256,SQ8')).toBe('IVF256,SQ8');
    expect(withIdMapping('IDMap2,IVF256,Flat')).toBe('IVF256,Flat');
    expect(withIdMapping('OPQ32,IVF256,PQ32')).toBe('OPQ32,IVF256,PQ32');
    expect(withIdMapping('HNSW32_SQ8')).toBe('IDMap2,HNSW32_SQ8');
    expect(withIdMapping('IDMap,Flat')).toBe('IDMap,Flat');
  });

  test('the target recall must be in (0, 1]', () => {
    expect(() => resolveIndexSettings({ targetRecall: 0 })).toThrow(/target recall/);
    expect(() => resolveIndexSettings({ targetRecall: 1.5 })).toThrow(/target recall/);
    expect(resolveIndexSettings({}).memoryBudgetBytes).toBeGreaterThan(0);
  });
});

describe('when to rebuild', () => {
  const s = settings({ flatMaxVectors: 1_000, hnswMaxVectors: 5_000 });
  const state = (count: number, tombstones = 0) => ({ count, stored: count + tombstones, tombstones });

  test('flat until the collection leaves the flat range', () => {
    const flat = descriptor({ builtFor: 10 });
    expect(rebuildReason(flat, state(1_000), 32, s)).toBeUndefined();
    expect(rebuildReason(flat, state(1_001), 32, s)).toMatch(/HNSW/);
  });

  test('IVF is retrained only once the collection is 4x what it was trained for; adds before that are incremental', () => {
    const ivf = descriptor({ factory: 'IVF128,SQ8', description: 'IVF128,SQ8', kind: 'ivf', builtFor: 6_000 });
    expect(rebuildReason(ivf, state(24_000), 32, s)).toBeUndefined();
    expect(rebuildReason(ivf, state(24_001), 32, s)).toMatch(/4\.0x the 6000/);
    // Shrinking to a quarter, into another kind's range, rebuilds too.
    expect(rebuildReason(ivf, state(1_400), 32, s)).toMatch(/shrank/);
    expect(rebuildReason(ivf, state(2_000), 32, s)).toBeUndefined();
  });

  test('HNSW is rebuilt when a tenth of its entries are deleted ones, or when the collection leaves its range', () => {
    const hnsw = descriptor({ factory: 'IDMap2,HNSW32', description: 'IDMap2,HNSW32', kind: 'hnsw', builtFor: 2_000 });
    expect(rebuildReason(hnsw, state(2_000, 200), 32, s)).toBeUndefined();
    expect(rebuildReason(hnsw, state(2_000, 250), 32, s)).toMatch(/250 of the 2250 HNSW entries are deleted/);
    expect(rebuildReason(hnsw, state(5_001), 32, s)).toMatch(/IVF/);
  });

  test('a configured factory that differs from the index rebuilds it; the same one never does', () => {
    const configured = settings({ factory: 'IVF64,Flat' });
    expect(rebuildReason(descriptor({ builtFor: 5_000 }), state(5_000), 32, configured)).toMatch(/configured factory is IVF64,Flat/);
    const built = descriptor({ factory: 'IVF64,Flat', kind: 'ivf', builtFor: 5_000 });
    expect(rebuildReason(built, state(50_000), 32, configured)).toBeUndefined();
  });
});
