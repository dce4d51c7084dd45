import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compareHeadlines, formatComparison, readHeadlines, type Headline } from '../src/compare';

const figure = (key: string, value: number, better: Headline['better']): Headline => ({ key, label: key, value, unit: 'u', better });

describe('compareHeadlines', () => {
  it('gives this run / that run and says which way is better', () => {
    const old = [figure('rate', 10, 'higher'), figure('latency', 20, 'lower'), figure('noise', 100, 'lower'), figure('gone', 1, 'lower')];
    const current = [figure('rate', 12, 'higher'), figure('latency', 30, 'lower'), figure('noise', 103, 'lower'), figure('new', 5, 'higher')];
    const rows = compareHeadlines(old, current);
    const byKey = Object.fromEntries(rows.map((row) => [row.key, row]));
    expect(byKey.rate).toMatchObject({ ratio: 1.2, verdict: 'better' });
    expect(byKey.latency).toMatchObject({ ratio: 1.5, verdict: 'worse' });
    expect(byKey.noise).toMatchObject({ verdict: 'within noise' });
    expect(byKey.new).toMatchObject({ old: undefined, verdict: 'only in new' });
    expect(byKey.gone).toMatchObject({ current: undefined, verdict: 'only in old' });
    expect(compareHeadlines([figure('z', 0, 'lower')], [figure('z', 3, 'lower')])[0]).toMatchObject({ ratio: undefined, verdict: 'n/a' });
  });

  it('formats a table', () => {
    const text = formatComparison(compareHeadlines([figure('rate', 10, 'higher')], [figure('rate', 12, 'higher')]), 'old.json');
    expect(text).toContain('old.json');
    expect(text).toMatch(/\| rate +\| +10\.0 u \| +12\.0 u \| +1\.20x \| better +\|/);
  });
});

describe('readHeadlines', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-bench-compare-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, content: unknown) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };

  it('reads the headline of a results file and drops malformed entries', () => {
    const file = write('ok.json', { kind: 'bench', headline: [figure('a', 1, 'higher'), { key: 'b' }, figure('c', 2, 'lower')] });
    expect(readHeadlines(file, 'bench').map((f) => f.key)).toEqual(['a', 'c']);
  });

  it('refuses other files with a clear message', () => {
    expect(() => readHeadlines(write('eval.json', { kind: 'eval', headline: [] }), 'bench')).toThrow(/eval results, not bench/);
    expect(() => readHeadlines(write('other.json', { some: 'thing' }), 'bench')).toThrow(/no "headline"/);
    expect(() => readHeadlines(write('bad.json', '{'), 'bench')).toThrow(/Cannot read/);
    expect(() => readHeadlines(path.join(dir, 'missing.json'), 'bench')).toThrow(/Cannot read/);
  });
});
