import { loadNativeAddon } from '../image/nativeAddon';
// Before the addon: it links OpenBLAS, which reads its kernel choice when loaded.
import '../store/openblasCore';
import { VectorIndex } from '../store/vectorIndex';

/**
 * The two matrix products the near-duplicates pass is made of (duplicateGraph.ts), on unit vectors:
 * OpenBLAS's sgemm through the similarity addon (native/similarity.c, built by scripts/setup.sh), or, when it is
 * not built (or SIS_NATIVE_SIMILARITY=0), FAISS flat searches that compute the same.
 */

/** Pairs of rows, a < b, with their inner product. */
export interface PairList {
  a: Int32Array;
  b: Int32Array;
  score: Float32Array;
}

export interface SimilarityKernel {
  /** 'blas': the addon's sgemm; 'faiss': FAISS flat searches. */
  readonly name: 'blas' | 'faiss';
  /** For each row of queries, the `top` rows of base with the largest inner product, best first (nq * top). */
  topInner(queries: Float32Array, dimension: number, base: Float32Array, top: number): Int32Array;
  /**
   * Every pair scoring >= threshold between blocks of rows: `blocks` holds (aStart, aCount, bStart, bCount)
   * quadruples of ranges into `order`, whose entries are rows of `vectors`. A range paired with itself yields each
   * of its pairs once; a row is never paired with itself.
   */
  pairsAtLeast(vectors: Float32Array, dimension: number, order: Int32Array, blocks: Int32Array, threshold: number): PairList;
}

interface SimilarityAddon {
  topInner(queries: Float32Array, dimension: number, base: Float32Array, top: number, out: Int32Array): void;
  pairsAtLeast(vectors: Float32Array, dimension: number, order: Int32Array, blocks: Int32Array, threshold: number): PairList;
}

const addon = loadNativeAddon<SimilarityAddon>('similarity', 'SIS_NATIVE_SIMILARITY');

export const blasKernel: SimilarityKernel | undefined = addon && {
  name: 'blas',
  topInner(queries, dimension, base, top) {
    const out = new Int32Array((queries.length / dimension) * top);
    addon.topInner(queries, dimension, base, top, out);
    return out;
  },
  pairsAtLeast: (vectors, dimension, order, blocks, threshold) => addon.pairsAtLeast(vectors, dimension, order, blocks, threshold),
};

/** First k of a FAISS search per pair block; raised 4x for the rows whose k-th neighbour still passes. */
const INITIAL_K = 16;

export const faissKernel: SimilarityKernel = {
  name: 'faiss',
  topInner(queries, dimension, base, top) {
    const index = flatIndex(base, dimension);
    const { ids } = index.searchBatch(queries, top);
    return Int32Array.from(ids, Number);
  },
  pairsAtLeast(vectors, dimension, order, blocks, threshold) {
    const a: number[] = [];
    const b: number[] = [];
    const score: number[] = [];
    for (let q = 0; q < blocks.length; q += 4) {
      const [aStart, aCount, bStart, bCount] = [blocks[q]!, blocks[q + 1]!, blocks[q + 2]!, blocks[q + 3]!];
      const same = aStart === bStart && aCount === bCount;
      const index = flatIndex(gather(vectors, dimension, order.subarray(bStart, bStart + bCount)), dimension);
      let rows = Array.from({ length: aCount }, (_, i) => i);
      for (let k = INITIAL_K; rows.length > 0; k *= 4) {
        const found = index.searchBatch(gather(vectors, dimension, rows.map((i) => order[aStart + i]!)), k);
        const again: number[] = [];
        rows.forEach((i, r) => {
          let last = -Infinity;
          for (let c = 0; c < found.k; c++) {
            const j = Number(found.ids[r * found.k + c]!);
            last = found.scores[r * found.k + c]!;
            if (j < 0 || last < threshold) break;
            if (same && j <= i) continue;
            const [x, y] = [order[aStart + i]!, order[bStart + j]!];
            if (x === y) continue;
            a.push(Math.min(x, y));
            b.push(Math.max(x, y));
            score.push(last);
          }
          if (last >= threshold && found.k < bCount) again.push(i);
        });
        rows = again;
      }
    }
    return { a: Int32Array.from(a), b: Int32Array.from(b), score: Float32Array.from(score) };
  },
};

export const similarityKernel: SimilarityKernel = blasKernel ?? faissKernel;

function flatIndex(rows: Float32Array, dimension: number): VectorIndex {
  const index = VectorIndex.create(dimension, 'IDMap2,Flat');
  index.add(Array.from({ length: rows.length / dimension }, (_, i) => i), rows);
  return index;
}

export function gather(vectors: Float32Array, dimension: number, rows: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rows.length * dimension);
  for (let i = 0; i < rows.length; i++) out.set(vectors.subarray(rows[i]! * dimension, (rows[i]! + 1) * dimension), i * dimension);
  return out;
}
