import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ClusteredCorpus } from '../src/scale/corpus';
import { FileVectorSource, readMatrix, writeMatrix } from '../src/scale/vectorFile';

const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, value, i) => sum + value * b[i]!, 0);
const row = (m: Float32Array, i: number, d: number) => m.subarray(i * d, (i + 1) * d);

describe('scale run corpus', () => {
  const d = 512;
  const corpus = new ClusteredCorpus({ dimension: d, seed: 3, topics: 50, subjectsPerTopic: 4 });

  it('draws unit vectors, the same ones for the same seed', () => {
    const a = corpus.sample(20, 7);
    expect(corpus.sample(20, 7)).toEqual(a);
    expect(corpus.sample(20, 8)).not.toEqual(a);
    for (let i = 0; i < 20; i++) expect(dot(row(a, i, d), row(a, i, d))).toBeCloseTo(1, 4);
  });

  it('has the documented structure: unrelated pairs at a cosine of about 0.35, neighbours much closer', () => {
    const n = 400;
    const vectors = corpus.sample(n, 11);
    let pairs = 0;
    for (let i = 0; i < 200; i++) pairs += dot(row(vectors, i, d), row(vectors, n - 1 - i, d));
    expect(pairs / 200).toBeGreaterThan(0.3);
    expect(pairs / 200).toBeLessThan(0.5);
    let nearest = 0;
    for (let i = 0; i < 50; i++) {
      let best = -1;
      for (let j = 0; j < n; j++) if (j !== i) best = Math.max(best, dot(row(vectors, i, d), row(vectors, j, d)));
      nearest += best;
    }
    expect(nearest / 50).toBeGreaterThan(0.65);
  });
});

describe('FileVectorSource', () => {
  it('gives row r the id r + 1, reads chunks after an id and rows by id', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-scale-'));
    try {
      const d = 4;
      const matrix = Float32Array.from({ length: 10 * d }, (_, i) => i);
      const file = path.join(dir, 'm.f32');
      writeMatrix(file, matrix);
      expect(readMatrix(file, d)).toEqual(matrix);
      const fd = fs.openSync(file, 'r');
      try {
        const source = new FileVectorSource(fd, 10, d);
        expect(source.ids()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        const chunk = source.chunk(3, 4);
        expect(chunk.ids).toEqual([4, 5, 6, 7]);
        expect(Array.from(chunk.vectors.subarray(0, d))).toEqual([12, 13, 14, 15]);
        expect(source.chunk(8, 5).ids).toEqual([9, 10]);
        expect(source.chunk(10, 5).ids).toEqual([]);
        const some = source.byIds([10, 1, 99]);
        expect(some.ids).toEqual([10, 1]);
        expect(Array.from(some.vectors)).toEqual([36, 37, 38, 39, 0, 1, 2, 3]);
      } finally {
        fs.closeSync(fd);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
