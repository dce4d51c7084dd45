import type { VectorIndex } from './vectorIndex';

/**
 * Search parameters from a target recall, measured rather than guessed (autofaiss does the same): a sample
 * of the collection's own vectors is searched exactly (streamed chunk by chunk while the index is built, so
 * no flat copy of the collection is ever held), then nprobe (IVF) or efSearch (HNSW) is raised until the
 * approximate index finds at least the target share of each query's exact 10 nearest neighbours. The
 * sampled queries are held out of the index until tuning is done, so they are fresh queries, as a new
 * photo or a text is (indexBuild.ts).
 */

export const RECALL_K = 10;
/** Queries in the tuning sample. */
export const TUNING_QUERIES = 400;
/**
 * Tune for target + margin, so that recall on other queries stays at or above the target: the estimate
 * from 400 queries is good to about +-0.01 (one standard deviation), and a million-vector run showed
 * fresh queries 0.016 below it at the same nprobe.
 */
export const TUNING_MARGIN = 0.02;

export interface TuningQueries {
  /** Catalogue ids of the query vectors (left out of their own results). */
  ids: number[];
  /** ids.length * dimension floats. */
  vectors: Float32Array;
}

/** The exact top-(K+1) of each query over vectors streamed in chunks. */
export class ExactNeighbours {
  private readonly best: { id: number; score: number }[][];
  private readonly keep = RECALL_K + 1;

  constructor(
    readonly queries: TuningQueries,
    private readonly dimension: number,
    private readonly flatIndex: (dimension: number) => VectorIndex,
  ) {
    this.best = queries.ids.map(() => []);
  }

  addChunk(ids: readonly number[], vectors: Float32Array): void {
    if (ids.length === 0 || this.queries.ids.length === 0) return;
    const flat = this.flatIndex(this.dimension);
    flat.add(ids, vectors);
    const result = flat.searchBatch(this.queries.vectors, this.keep);
    this.best.forEach((list, q) => {
      for (let j = 0; j < result.k; j++) {
        const id = result.ids[q * result.k + j]!;
        if (id >= 0n) list.push({ id: Number(id), score: result.scores[q * result.k + j]! });
      }
      list.sort((a, b) => b.score - a.score);
      list.length = Math.min(list.length, this.keep);
    });
  }

  /** Each query's exact K nearest ids, itself excluded. */
  truth(): number[][] {
    return this.best.map((list, q) => list.filter((hit) => hit.id !== this.queries.ids[q]).slice(0, RECALL_K).map((hit) => hit.id));
  }
}

/** recall@K of the index against the exact neighbours (each query's own id ignored). */
export function measureRecall(index: VectorIndex, queries: TuningQueries, truth: readonly (readonly number[])[]): number {
  let found = 0;
  let wanted = 0;
  const result = index.searchBatch(queries.vectors, RECALL_K + 1);
  truth.forEach((expected, q) => {
    const got = new Set<number>();
    for (let j = 0; j < result.k; j++) {
      const id = Number(result.ids[q * result.k + j]);
      if (id >= 0 && id !== queries.ids[q]) got.add(id);
    }
    const top = [...got].slice(0, RECALL_K);
    wanted += expected.length;
    found += expected.filter((id) => top.includes(id)).length;
  });
  return wanted === 0 ? 1 : found / wanted;
}

export interface TunedParameters {
  params: Record<string, number>;
  /** recall@10 measured with them on the tuning sample. */
  recall: number;
}

/**
 * The smallest value of `parameter` (doubling, then bisecting the last step) whose recall reaches
 * target + margin; the largest tried (nlist for nprobe: exhaustive) when none does.
 */
export function tuneSearchParameter(
  index: VectorIndex,
  parameter: 'nprobe' | 'efSearch',
  queries: TuningQueries,
  truth: readonly (readonly number[])[],
  targetRecall: number,
  limits: { nlist?: number } = {},
): TunedParameters {
  const goal = Math.min(1, targetRecall + TUNING_MARGIN);
  const max = parameter === 'nprobe' ? Math.max(1, limits.nlist ?? 1024) : 1024;
  const start = parameter === 'nprobe' ? 1 : 16;
  const recallAt = (value: number): number => {
    index.setSearchParameters({ [parameter]: value });
    return measureRecall(index, queries, truth);
  };
  let value = start;
  let recall = recallAt(value);
  let below = 0;
  while (recall < goal && value < max) {
    below = value;
    value = Math.min(max, value * 2);
    recall = recallAt(value);
  }
  // Bisect between the last value below the goal and the first at or above it.
  let low = below;
  let high = value;
  let highRecall = recall;
  while (recall >= goal && value > start && high - low > Math.max(1, Math.floor(high / 8))) {
    const middle = Math.floor((low + high) / 2);
    const middleRecall = recallAt(middle);
    if (middleRecall >= goal) {
      high = middle;
      highRecall = middleRecall;
    } else {
      low = middle;
    }
  }
  index.setSearchParameters({ [parameter]: high });
  return { params: { [parameter]: high }, recall: highRecall };
}
