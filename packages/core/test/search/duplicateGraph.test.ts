import { CLUSTERING_STEPS, EXACT_MAX_VECTORS, UnionFind, blasKernel, faissKernel, seededRandom, similarityKernel, thresholdGraph, type DuplicatePhase, type SimilarityKernel } from '../../src';

/**
 * The blocked near-duplicate pass (cells probed through BLAS matrix products) against a brute-force scan of every
 * pair written here, on clustered unit vectors with planted copies (pairs and chains) at cosines around the
 * threshold; and the two kernels (the sgemm addon and FAISS flat searches) against each other.
 */

const THRESHOLD = 0.95;

function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Clusters of unrelated vectors (cosine ~0.8 with their centre), and copies of a tenth of them (cosine 0.93-0.99), some copied again. */
function library(n: number, dimension: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const vectors = new Float32Array(n * dimension);
  const put = (row: number, from: Float32Array | undefined, sigma: number) => {
    let norm = 0;
    for (let d = 0; d < dimension; d++) {
      const value = (from ? from[d]! : 0) + sigma * normal(random);
      vectors[row * dimension + d] = value;
      norm += value * value;
    }
    for (let d = 0; d < dimension; d++) vectors[row * dimension + d]! /= Math.sqrt(norm);
  };
  const sigma = (cosine: number) => Math.sqrt((1 / (cosine * cosine) - 1) / dimension);
  const centres = Array.from({ length: Math.ceil(Math.sqrt(n)) }, () => Float32Array.from({ length: dimension }, () => normal(random)));
  const originals = Math.floor(n * 0.9);
  for (let row = 0; row < originals; row++) put(row, unit(centres[Math.floor(random() * centres.length)]!), sigma(0.8));
  for (let row = originals; row < n; row++) {
    // A copy of an original, or (one in four) of an earlier copy: chains the union-find must join.
    const from = row > originals && random() < 0.25 ? originals + Math.floor(random() * (row - originals)) : Math.floor(random() * originals);
    put(row, vectors.slice(from * dimension, (from + 1) * dimension), sigma(0.93 + 0.06 * random()));
  }
  return vectors;
}

function unit(vector: Float32Array): Float32Array {
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}

const bruteForceResults = new Map<Float32Array, { groups: string[]; edges: number }>();

/** Every pair scored in JavaScript; remembered per array (the kernels' tests share their libraries). */
function bruteForce(vectors: Float32Array, dimension: number, threshold: number): { groups: string[]; edges: number } {
  const known = bruteForceResults.get(vectors);
  if (known) return known;
  const n = vectors.length / dimension;
  const sets = new UnionFind(n);
  let edges = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let sum = 0;
      for (let d = 0; d < dimension; d++) sum += vectors[i * dimension + d]! * vectors[j * dimension + d]!;
      if (sum >= threshold) {
        sets.union(i, j);
        edges++;
      }
    }
  }
  const byRoot = new Map<number, number[]>();
  for (let i = 0; i < n; i++) byRoot.set(sets.find(i), [...(byRoot.get(sets.find(i)) ?? []), i]);
  const result = { groups: [...byRoot.values()].filter((rows) => rows.length > 1).map((rows) => rows.join(',')).sort(), edges };
  bruteForceResults.set(vectors, result);
  return result;
}

/** The phases came in this order, each from 0 to its total without going back; the vector phases count n vectors. */
function expectPhases(progress: [DuplicatePhase, number, number][], phases: DuplicatePhase[], n: number): void {
  expect(progress.map(([phase]) => phase).filter((phase, i, all) => phase !== all[i - 1])).toEqual(phases);
  for (const phase of phases) {
    const events = progress.filter(([p]) => p === phase);
    const total = phase === 'clustering' ? CLUSTERING_STEPS : n;
    expect(events.every(([, , t]) => t === total)).toBe(true);
    expect(events[0]![1]).toBe(0);
    expect(events.at(-1)![1]).toBe(total);
    expect(events.every(([, done], i) => i === 0 || done >= events[i - 1]![1])).toBe(true);
  }
}

const celledLibrary = library(EXACT_MAX_VECTORS + 2000, 32, 14);
const smallLibrary = library(1500, 24, 3);

const kernels: [string, SimilarityKernel | undefined][] = [
  ['the BLAS addon', blasKernel],
  ['FAISS flat searches', faissKernel],
];

describe('near-duplicate graph', () => {
  it('uses the BLAS addon when it is built', () => {
    expect(similarityKernel.name).toBe(blasKernel ? 'blas' : 'faiss');
  });

  describe.each(kernels)('with %s', (_name, kernel) => {
    const run = kernel ? it : it.skip;

    run(`scored in cells above ${EXACT_MAX_VECTORS.toLocaleString('en-US')} vectors, finds the groups and edges of a brute-force scan`, async () => {
      const [dimension, vectors] = [32, celledLibrary];
      const expected = bruteForce(vectors, dimension, THRESHOLD);
      expect(expected.groups.length).toBeGreaterThan(500);
      const progress: [DuplicatePhase, number, number][] = [];
      const graph = await thresholdGraph({ dimension, vectors, threshold: THRESHOLD, kernel, onProgress: (done, total, phase) => void progress.push([phase, done, total]) });
      expect(graph.index).toMatch(/^cells \d+, 8 probed$/);
      expect(graph.components.map((rows) => rows.join(',')).sort()).toEqual(expected.groups);
      expect(graph.edges).toHaveLength(expected.edges);
      expect(graph.edges.every((edge) => edge.a < edge.b && edge.score >= THRESHOLD)).toBe(true);
      expectPhases(progress, ['clustering', 'assigning', 'comparing'], EXACT_MAX_VECTORS + 2000);
      // Every k-means iteration is reported, then the splitting of crowded cells.
      const steps = progress.filter(([phase]) => phase === 'clustering').map(([, done]) => done);
      expect([...new Set(steps)]).toEqual(Array.from({ length: CLUSTERING_STEPS + 1 }, (_, i) => i));
      expect(progress.filter(([phase]) => phase === 'assigning').length).toBeGreaterThan(1);
    }, 120_000);

    run('scores every pair exactly below the cell size, and with cells forced on a small library', async () => {
      const [dimension, vectors] = [24, smallLibrary];
      const expected = bruteForce(vectors, dimension, 0.96);
      const progress: [DuplicatePhase, number, number][] = [];
      const flat = await thresholdGraph({ dimension, vectors, threshold: 0.96, kernel, onProgress: (done, total, phase) => void progress.push([phase, done, total]) });
      expect(flat.index).toBe('flat');
      expectPhases(progress, ['comparing'], 1500);
      const celled = await thresholdGraph({ dimension, vectors, threshold: 0.96, kernel, exactMaxVectors: 0, probedCells: 4 });
      expect(celled.index).toMatch(/^cells \d+, 4 probed$/);
      for (const graph of [flat, celled]) {
        expect(graph.components.map((rows) => rows.join(',')).sort()).toEqual(expected.groups);
        expect(graph.edges).toHaveLength(expected.edges);
      }
    });
  });

  (blasKernel ? it : it.skip)('gives the same nearest rows and pairs through both kernels', () => {
    const dimension = 40;
    const vectors = library(3000, dimension, 9);
    const base = vectors.slice(0, 300 * dimension);
    const queries = vectors.slice(1000 * dimension, 1700 * dimension);
    expect(blasKernel!.topInner(queries, dimension, base, 5)).toEqual(faissKernel.topInner(queries, dimension, base, 5));
    const order = Int32Array.from({ length: 3000 }, (_, i) => (i * 7) % 3000);
    // A range with itself, two distinct ranges, and a block longer than the addon's tiles.
    const blocks = Int32Array.from([0, 900, 0, 900, 100, 700, 1200, 1800, 0, 3000, 0, 3000]);
    const pairs = (kernel: SimilarityKernel) => {
      const found = kernel.pairsAtLeast(vectors, dimension, order, blocks, 0.93);
      return Array.from(found.a, (a, e) => `${a}-${found.b[e]}`).sort();
    };
    const native = pairs(blasKernel!);
    expect(native.length).toBeGreaterThan(100);
    expect(native).toEqual(pairs(faissKernel));
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(thresholdGraph({ dimension: 8, vectors: library(200, 8, 1), threshold: 0.9, signal: controller.signal })).rejects.toThrow();
  });
});
