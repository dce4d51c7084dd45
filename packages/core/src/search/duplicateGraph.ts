import { VectorIndex } from '../store/vectorIndex';

/**
 * The graph "cosine >= threshold" over a set of unit vectors, and its connected components: batched k-NN
 * searches in FAISS (never an O(n^2) loop in JavaScript) and a union-find.
 *
 * Each vector is searched with k = INITIAL_K; a vector whose k-th neighbour still scores >= threshold is searched
 * again with 4x the k, until its list ends below the threshold (or holds every vector), so every edge of the
 * graph is found by at least one of its ends and the components are exactly the graph's (with an exact index).
 *
 * Up to EXACT_MAX_VECTORS the searches run on a flat (exact) index. Above, on an IVF index with flat codes
 * (exact scores) probing DUPLICATE_NPROBE lists: near-duplicates sit very close together, so they almost always share a
 * list or a neighbouring one (the bench measures the recall of planted duplicates); an exact all-pairs pass at
 * 100k would cost ~5e12 multiply-adds.
 */

/** Vectors searched per FAISS call. */
const BATCH = 512;
const INITIAL_K = 16;
export const EXACT_MAX_VECTORS = 10_000;
export const DUPLICATE_NPROBE = 8;
/** Training vectors per IVF list (FAISS warns below 39). */
const TRAINING_PER_LIST = 39;

/**
 * IVF lists for the duplicates pass: about 2 * sqrt(n), a power of two (half the search index's 4 * sqrt(n):
 * one pass over everything, so training and assignment weigh more than per-query cost).
 */
export function duplicateNlist(n: number): number {
  let nlist = 2 ** Math.round(Math.log2(2 * Math.sqrt(Math.max(1, n))));
  while (nlist > 16 && nlist * TRAINING_PER_LIST > n) nlist /= 2;
  return nlist;
}

export interface ThresholdGraphInput {
  dimension: number;
  /** n * dimension floats, L2-normalised rows. */
  vectors: Float32Array;
  threshold: number;
  /** Called between batches with the vectors searched so far (the caller may await there, e.g. to yield). */
  onProgress?: (searched: number, total: number) => void | Promise<void>;
  signal?: AbortSignal;
}

export interface ThresholdGraph {
  /** Components of 2 or more vectors: row positions, ascending; components ordered by their first position. */
  components: number[][];
  /** Edges found (i < j, cosine >= threshold), each once. */
  edges: { a: number; b: number; score: number }[];
  /** 'flat' (exact) or the IVF factory used. */
  index: string;
}

export async function thresholdGraph(input: ThresholdGraphInput): Promise<ThresholdGraph> {
  const { dimension, vectors, threshold } = input;
  const n = vectors.length / dimension;
  if (!Number.isInteger(n)) throw new RangeError(`${vectors.length} floats are not rows of ${dimension}`);
  const { index, description } = await buildSearchIndex(vectors, dimension, n);
  const sets = new UnionFind(n);
  const edgeScores = new Map<number, number>();
  const addEdge = (i: number, j: number, score: number) => {
    const [a, b] = i < j ? [i, j] : [j, i];
    sets.union(a, b);
    const key = a * n + b;
    if (!edgeScores.has(key)) edgeScores.set(key, score);
  };
  for (let start = 0; start < n; start += BATCH) {
    input.signal?.throwIfAborted();
    let rows = range(start, Math.min(n, start + BATCH));
    let k = INITIAL_K;
    while (rows.length > 0) {
      const queries = gather(vectors, dimension, rows);
      const found = index.searchBatch(queries, Math.min(k, n));
      const again: number[] = [];
      rows.forEach((row, r) => {
        let last = -Infinity;
        for (let c = 0; c < found.k; c++) {
          const label = found.ids[r * found.k + c]!;
          if (label < 0n) break;
          const score = found.scores[r * found.k + c]!;
          last = score;
          if (score < threshold) break;
          const other = Number(label);
          if (other !== row) addEdge(row, other, score);
        }
        if (last >= threshold && found.k < n) again.push(row);
      });
      rows = again;
      k *= 4;
    }
    await input.onProgress?.(Math.min(n, start + BATCH), n);
  }
  const byRoot = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const root = sets.find(i);
    const members = byRoot.get(root);
    if (members) members.push(i);
    else byRoot.set(root, [i]);
  }
  const components = [...byRoot.values()].filter((members) => members.length >= 2).sort((x, y) => x[0]! - y[0]!);
  const edges = [...edgeScores].map(([key, score]) => ({ a: Math.floor(key / n), b: key % n, score }));
  return { components, edges, index: description };
}

async function buildSearchIndex(vectors: Float32Array, dimension: number, n: number): Promise<{ index: VectorIndex; description: string }> {
  const labels = range(0, n);
  if (n <= EXACT_MAX_VECTORS) {
    const index = VectorIndex.create(dimension, 'IDMap2,Flat');
    index.add(labels, vectors);
    return { index, description: 'flat' };
  }
  const nlist = duplicateNlist(n);
  const factory = `IVF${nlist},Flat`;
  const index = VectorIndex.create(dimension, factory);
  const sampleRows = Math.min(n, nlist * TRAINING_PER_LIST);
  // An evenly spaced sample: catalogue order carries no meaning the clustering could be biased by.
  const stride = n / sampleRows;
  await index.trainAsync(gather(vectors, dimension, range(0, sampleRows).map((i) => Math.floor(i * stride))));
  await index.addAsync(labels, vectors);
  index.setSearchParameters({ nprobe: DUPLICATE_NPROBE });
  return { index, description: `${factory} nprobe=${DUPLICATE_NPROBE}` };
}

function gather(vectors: Float32Array, dimension: number, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * dimension);
  rows.forEach((row, i) => out.set(vectors.subarray(row * dimension, (row + 1) * dimension), i * dimension));
  return out;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

/** Disjoint sets with path halving and union by size. */
export class UnionFind {
  private readonly parent: Int32Array;
  private readonly size: Int32Array;

  constructor(n: number) {
    this.parent = Int32Array.from({ length: n }, (_, i) => i);
    this.size = new Int32Array(n).fill(1);
  }

  find(i: number): number {
    let x = i;
    while (this.parent[x] !== x) {
      this.parent[x] = this.parent[this.parent[x]!]!;
      x = this.parent[x]!;
    }
    return x;
  }

  union(a: number, b: number): void {
    let ra = this.find(a);
    let rb = this.find(b);
    if (ra === rb) return;
    if (this.size[ra]! < this.size[rb]!) [ra, rb] = [rb, ra];
    this.parent[rb] = ra;
    this.size[ra]! += this.size[rb]!;
  }
}
