import { seededRandom } from '../random';
import { similarityKernel, gather, type SimilarityKernel } from './similarityKernel';

/**
 * The graph "cosine >= threshold" over a set of unit vectors, and its connected components: blocked matrix
 * products on BLAS (similarityKernel.ts, never an O(n^2) loop in JavaScript) and a union-find.
 *
 * Up to EXACT_MAX_VECTORS every pair is scored (exact). Above, the vectors are partitioned into cells (cellPlan.ts:
 * a spherical k-means on a sample), each vector is compared with the members of the PROBED_CELLS cells whose
 * centroids are nearest it (an IVF search, turned around: each cell's probing vectors are scored against its
 * members in one matrix product), in blocks of at most BLOCK_ROWS x BLOCK_ROWS. Near-duplicates sit so close together
 * that one of them probes the other's cell (recall of the pairs >= T against the exact pass: packages/bench
 * README). Scores are exact either way; only a pair whose cells neither of its vectors probes can be missed.
 */

export const EXACT_MAX_VECTORS = 10_000;
/** Cells each vector is compared with (chosen on measured recall of pairs, see packages/bench README). */
export const PROBED_CELLS = 8;
/** Sample rows per cell for the k-means (FAISS's lower bound). */
const SAMPLE_PER_CELL = 39;
const KMEANS_ITERATIONS = 4;
/** A cell with more than this many times the mean share of the sample is split (see probedCells). */
const SPLIT_FACTOR = 2;
/** Rows of a block: a larger cell runs as several blocks (bounded scratch, steady progress). */
const BLOCK_ROWS = 2048;
/** Scored pairs per kernel call (~0.1-0.3 s of sgemm on one core): progress and a chance to yield between calls. */
const CALL_PRODUCTS = 2 ** 24;
/** Rows per assignment call. */
const ASSIGN_ROWS = 16_384;

/**
 * Cells for n vectors: about sqrt(n * PROBED_CELLS), a power of two, which balances the assignment
 * (n * cells products) against the blocks (n * PROBED_CELLS * n / cells).
 */
export function duplicateCells(n: number): number {
  let cells = 2 ** Math.round(Math.log2(Math.sqrt(Math.max(1, n) * PROBED_CELLS)));
  while (cells > 16 && cells * SAMPLE_PER_CELL > n) cells /= 2;
  return cells;
}

/**
 * The stages of a pass, in order; the first two only above exactMaxVectors. 'clustering': the k-means on the
 * sample, in steps (its iterations, then splitting the crowded cells: CLUSTERING_STEPS); 'assigning': vectors given
 * their nearest cells; 'comparing': vectors whose pairs are scored (the bulk of the work).
 */
export type DuplicatePhase = 'clustering' | 'assigning' | 'comparing';
export const CLUSTERING_STEPS = KMEANS_ITERATIONS + 1;

export interface ThresholdGraphInput {
  dimension: number;
  /** n * dimension floats, L2-normalised rows. */
  vectors: Float32Array;
  threshold: number;
  /**
   * Called as each phase starts and between its steps with what is done of it (clustering in steps, else in vectors;
   * the caller may await there, e.g. to yield).
   */
  onProgress?: (done: number, total: number, phase: DuplicatePhase) => void | Promise<void>;
  signal?: AbortSignal;
  /** Largest n scored exactly (default EXACT_MAX_VECTORS). */
  exactMaxVectors?: number;
  /** Cells each vector is compared with (default PROBED_CELLS). */
  probedCells?: number;
  /** Default: the BLAS addon when built, else FAISS flat searches. */
  kernel?: SimilarityKernel;
}

export interface ThresholdGraph {
  /** Components of 2 or more vectors: row positions, ascending; components ordered by their first position. */
  components: number[][];
  /** Edges found (i < j, cosine >= threshold), each once. */
  edges: { a: number; b: number; score: number }[];
  /** 'flat' (every pair scored) or the cells, e.g. 'cells 517, 8 probed'. */
  index: string;
}

/** What the kernel scores: (aStart, aCount, bStart, bCount) ranges into order, each at most BLOCK_ROWS long. */
interface BlockPlan {
  order: Int32Array;
  blocks: [number, number, number, number][];
  description: string;
}

export async function thresholdGraph(input: ThresholdGraphInput): Promise<ThresholdGraph> {
  const { dimension, vectors, threshold } = input;
  const n = vectors.length / dimension;
  if (!Number.isInteger(n)) throw new RangeError(`${vectors.length} floats are not rows of ${dimension}`);
  const kernel = input.kernel ?? similarityKernel;
  const plan = n <= (input.exactMaxVectors ?? EXACT_MAX_VECTORS) ? allPairs(n) : await probedCells(input, kernel, n);
  const sets = new UnionFind(n);
  const edges: ThresholdGraph['edges'] = [];
  // A pair may be found from both of its ends (each probing the other's cell): keep it once.
  const seen = new Set<number>();
  const { blocks } = plan;
  const total = blocks.reduce((sum, block) => sum + block[1] * block[3], 0);
  let done = 0;
  await input.onProgress?.(0, n, 'comparing');
  for (let start = 0; start < blocks.length; ) {
    input.signal?.throwIfAborted();
    const call: number[] = [];
    let products = 0;
    for (; start < blocks.length && (products === 0 || products + blocks[start]![1] * blocks[start]![3] <= CALL_PRODUCTS); start++) {
      call.push(...blocks[start]!);
      products += blocks[start]![1] * blocks[start]![3];
    }
    const found = kernel.pairsAtLeast(vectors, dimension, plan.order, Int32Array.from(call), threshold);
    for (let e = 0; e < found.a.length; e++) {
      const a = found.a[e]!;
      const b = found.b[e]!;
      if (seen.has(a * n + b)) continue;
      seen.add(a * n + b);
      sets.union(a, b);
      edges.push({ a, b, score: found.score[e]! });
    }
    done += products;
    await input.onProgress?.(Math.round((n * done) / Math.max(1, total)), n, 'comparing');
  }
  const byRoot = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const root = sets.find(i);
    const members = byRoot.get(root);
    if (members) members.push(i);
    else byRoot.set(root, [i]);
  }
  const components = [...byRoot.values()].filter((members) => members.length >= 2).sort((x, y) => x[0]! - y[0]!);
  return { components, edges, index: plan.description };
}

/** Every pair: the rows in chunks, each chunk with itself and with every later chunk. */
function allPairs(n: number): BlockPlan {
  const chunks = chunksOf(0, n);
  const blocks: BlockPlan['blocks'] = [];
  chunks.forEach((x, i) => chunks.slice(i).forEach((y) => blocks.push([x[0], x[1], y[0], y[1]])));
  return { order: Int32Array.from({ length: n }, (_, i) => i), blocks, description: 'flat' };
}

function chunksOf(start: number, count: number): [number, number][] {
  const out: [number, number][] = [];
  for (let at = start; at < start + count; at += BLOCK_ROWS) out.push([at, Math.min(BLOCK_ROWS, start + count - at)]);
  return out;
}

/**
 * Cells from a spherical k-means on an evenly spaced sample. k-means cells are uneven on clustered embeddings, and
 * a cell costs its size times the vectors probing it, so a cell holding more than SPLIT_FACTOR times the mean share of
 * the sample is split by a k-means of its own sample rows. Then every vector finds its PROBED_CELLS nearest
 * centroids; order holds the rows cell by cell (members), then again cell by cell (the vectors probing each cell).
 */
async function probedCells(input: ThresholdGraphInput, kernel: SimilarityKernel, n: number): Promise<BlockPlan> {
  const { dimension, vectors } = input;
  const random = seededRandom(n);
  const initial = duplicateCells(n);
  const sampleRows = Math.min(n, initial * SAMPLE_PER_CELL);
  // Evenly spaced: catalogue order carries no meaning the clustering could be biased by.
  const sample = gather(vectors, dimension, Array.from({ length: sampleRows }, (_, i) => Math.floor((i * n) / sampleRows)));
  const clustering = (step: number) => input.onProgress?.(step, CLUSTERING_STEPS, 'clustering');
  await clustering(0);
  const first = await sphericalKMeans(input, kernel, sample, initial, random, clustering);
  const sampleCells = rowsByCell(kernel.topInner(sample, dimension, first, 1), 1, initial);
  const centroidParts = [first];
  for (let cell = 0; cell < initial; cell++) {
    const rows = sampleCells[cell]!;
    if (rows.length <= SPLIT_FACTOR * SAMPLE_PER_CELL) continue;
    // The splits together are the last step (small k-means each; reported to yield between their iterations).
    const sub = await sphericalKMeans(input, kernel, gather(sample, dimension, rows), Math.ceil(rows.length / SAMPLE_PER_CELL), random, () => clustering(KMEANS_ITERATIONS));
    first.set(sub.subarray(0, dimension), cell * dimension);
    centroidParts.push(sub.subarray(dimension));
  }
  await clustering(CLUSTERING_STEPS);
  const centroids = concat(centroidParts);
  const cells = centroids.length / dimension;
  const probed = Math.min(cells, input.probedCells ?? PROBED_CELLS);
  const probes = new Int32Array(n * probed);
  await input.onProgress?.(0, n, 'assigning');
  for (let start = 0; start < n; start += ASSIGN_ROWS) {
    input.signal?.throwIfAborted();
    const end = Math.min(n, start + ASSIGN_ROWS);
    probes.set(kernel.topInner(vectors.subarray(start * dimension, end * dimension), dimension, centroids, probed), start * probed);
    await input.onProgress?.(end, n, 'assigning');
  }
  // Members: each row in its nearest cell (its first probe). Probers: each row in each cell it probes.
  const members = countingSort(n, cells, (row) => probes[row * probed]!, 1);
  const probers = countingSort(n * probed, cells, (entry) => probes[entry]!, probed);
  const order = new Int32Array(n + n * probed);
  order.set(members.order);
  order.set(probers.order, n);
  const blocks: BlockPlan['blocks'] = [];
  for (let cell = 0; cell < cells; cell++) {
    const own = chunksOf(members.offsets[cell]!, members.offsets[cell + 1]! - members.offsets[cell]!);
    const probing = chunksOf(n + probers.offsets[cell]!, probers.offsets[cell + 1]! - probers.offsets[cell]!);
    for (const x of probing) for (const y of own) blocks.push([x[0], x[1], y[0], y[1]]);
  }
  return { order, blocks, description: `cells ${cells}, ${probed} probed` };
}

/** Entries grouped by key: order holds entry / per (the row of an entry), offsets[k] where key k starts. */
function countingSort(entries: number, keys: number, keyOf: (entry: number) => number, per: number): { order: Int32Array; offsets: Int32Array } {
  const offsets = new Int32Array(keys + 1);
  for (let e = 0; e < entries; e++) offsets[keyOf(e) + 1]!++;
  for (let k = 0; k < keys; k++) offsets[k + 1]! += offsets[k]!;
  const next = offsets.slice(0, keys);
  const order = new Int32Array(entries);
  for (let e = 0; e < entries; e++) order[next[keyOf(e)]!++] = Math.floor(e / per);
  return { order, offsets };
}

/**
 * count unit centroids of the sample's rows (Lloyd's iterations from distinct sample rows; an empty cell restarts
 * from a random row). `onIteration` hears the number of iterations done after each.
 */
async function sphericalKMeans(
  input: ThresholdGraphInput,
  kernel: SimilarityKernel,
  sample: Float32Array,
  count: number,
  random: () => number,
  onIteration: (done: number) => void | Promise<void>,
): Promise<Float32Array> {
  const { dimension } = input;
  const sampleRows = sample.length / dimension;
  const centroids = new Float32Array(count * dimension);
  const copyRow = (row: number, cell: number) => centroids.set(sample.subarray(row * dimension, (row + 1) * dimension), cell * dimension);
  shuffledRows(sampleRows, random).slice(0, count).forEach(copyRow);
  for (let cell = sampleRows; cell < count; cell++) copyRow(Math.floor(random() * sampleRows), cell);
  for (let iteration = 0; iteration < KMEANS_ITERATIONS; iteration++) {
    input.signal?.throwIfAborted();
    const nearest = kernel.topInner(sample, dimension, centroids, 1);
    const sums = new Float64Array(count * dimension);
    const sizes = new Int32Array(count);
    for (let r = 0; r < sampleRows; r++) {
      const cell = nearest[r]!;
      sizes[cell]!++;
      for (let d = 0; d < dimension; d++) sums[cell * dimension + d]! += sample[r * dimension + d]!;
    }
    for (let cell = 0; cell < count; cell++) {
      if (sizes[cell] === 0) {
        copyRow(Math.floor(random() * sampleRows), cell);
        continue;
      }
      let norm = 0;
      for (let d = 0; d < dimension; d++) norm += sums[cell * dimension + d]! ** 2;
      norm = Math.sqrt(norm) || 1;
      for (let d = 0; d < dimension; d++) centroids[cell * dimension + d] = sums[cell * dimension + d]! / norm;
    }
    await onIteration(iteration + 1);
  }
  return centroids;
}

function rowsByCell(cellOf: Int32Array, per: number, count: number): number[][] {
  const rows: number[][] = Array.from({ length: count }, () => []);
  for (let e = 0; e < cellOf.length; e += per) rows[cellOf[e]!]!.push(e / per);
  return rows;
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function shuffledRows(count: number, random: () => number): number[] {
  const rows = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [rows[i], rows[j]] = [rows[j]!, rows[i]!];
  }
  return rows;
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
