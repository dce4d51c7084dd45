import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generatedQueries, loadQueries, spreadPick } from '../src/queries';

describe('benchmark queries', () => {
  it('generates up to 1000 distinct queries', () => {
    const queries = generatedQueries(1000);
    expect(queries).toHaveLength(1000);
    expect(new Set(queries).size).toBe(1000);
    expect(generatedQueries(5)).toEqual(generatedQueries(1000).slice(0, 5));
  });

  it('spreads a pick evenly over a list', () => {
    expect(spreadPick([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 5)).toEqual([0, 2, 4, 6, 8]);
    expect(spreadPick([1, 2], 5)).toEqual([1, 2]);
  });

  it('takes distinct captions from the first file that exists and tops up with generated ones', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-bench-queries-'));
    try {
      const file = path.join(dir, 'captions.csv');
      fs.writeFileSync(file, 'image,caption\na.jpg,A dog .\nb.jpg,A dog .\nc.jpg,"A cat , sleeping ."\n');
      const { queries, source } = loadQueries(10, [path.join(dir, 'missing.csv'), file]);
      expect(source).toBe(file);
      expect(queries.slice(0, 2)).toEqual(['A dog .', 'A cat , sleeping .']);
      expect(queries).toHaveLength(10);
      expect(new Set(queries).size).toBe(10);
      expect(loadQueries(3, [path.join(dir, 'missing.csv')])).toEqual({ queries: generatedQueries(3), source: 'generated' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
