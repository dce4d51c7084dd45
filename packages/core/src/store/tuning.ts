import type { VectorIndex } from './vectorIndex';

/**
 * Search parameters from a target recall, measured rather than guessed (autofaiss does the same): a sample
 * of the collection's own vectors is searched exactly (streamed chunk by chunk while the index is built, so
 * no flat copy of the collection is ever held), then nprobe (IVF) or efSearch (HNSW) is raised until the
 * approximate index finds at least the target share of each query's exact 10 nearest neighbours. The
 * sampled queries are held out of the index until tuning is done, so they are fresh queries, as a new
 * photo or a text is (indexBuild.ts).
 *
 * Those held-out vectors stand for image queries. Text queries are another population: with a trained model
 * a text embedding sits away from every image vector (the modality gap), its neighbours score lower and are
 * spread over more IVF lists, so an nprobe tuned on images alone leaves text queries short of the target.
 * When the engine has its model, it passes text embeddings of a built-in set of generic phrases
 * (tuningPhrases.ts) as a second kind, and each kind gets its own value (tunePerKind): a text query is
 * searched with the text value, an image query keeps the (usually much smaller, faster) image value.
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
  /** Catalogue ids of the query vectors (left out of their own results); -1 for a query that is not stored (a text). */
  ids: number[];
  /** ids.length * dimension floats. */
  vectors: Float32Array;
}

/**
 * A kind of query users send, tuned for separately: 'image' (held-out stored vectors: a photo like the
 * library's), 'text' (text embeddings: with a trained model they sit away from the image vectors, the
 * modality gap, and an IVF index needs more lists to find their neighbours).
 */
export type QueryKind = 'image' | 'text';

/** Query vectors of one kind that are not in the collection (e.g. embedded phrases), for tuning. */
export interface ExtraTuningQueries {
  kind: QueryKind;
  /** n * dimension floats, unit length. */
  vectors: Float32Array;
}

/**
 * Where a build gets extra tuning queries (the engine: its model's embeddings of the built-in phrases). A
 * background build waits for load(); a synchronous one (open without a usable index file) takes what is
 * ready() and tunes on image queries alone when nothing is.
 */
export interface TuningQueryProvider {
  ready(): readonly ExtraTuningQueries[];
  load(): Promise<readonly ExtraTuningQueries[]>;
}

/** A tuning set: queries of one kind with their exact neighbours. */
export interface TuningSet {
  kind: QueryKind;
  queries: TuningQueries;
  truth: readonly (readonly number[])[];
}

/** Extra queries as a tuning set's queries (not stored: no id to leave out). */
export function unstoredQueries(vectors: Float32Array, dimension: number): TuningQueries {
  return { ids: new Array<number>(Math.floor(vectors.length / dimension)).fill(-1), vectors };
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

/**
 * An approximate index returns this many times k candidates, which the library re-scores with the stored
 * vectors (ImageLibrary.search): 8-bit codes cannot order neighbours whose cosines differ in the third decimal.
 */
export const RERANK_FACTOR = 4;

/**
 * recall@K of the index as the library searches it (each query's own id ignored): RERANK_FACTOR * K candidates
 * re-scored exactly, so a true neighbour is found exactly when it is among the candidates.
 */
export function measureRecall(index: VectorIndex, queries: TuningQueries, truth: readonly (readonly number[])[]): number {
  let found = 0;
  let wanted = 0;
  const candidates = RECALL_K * RERANK_FACTOR;
  const result = index.searchBatch(queries.vectors, candidates + 1);
  truth.forEach((expected, q) => {
    const got = new Set<number>();
    for (let j = 0; j < result.k && got.size < candidates; j++) {
      const id = Number(result.ids[q * result.k + j]);
      if (id >= 0 && id !== queries.ids[q]) got.add(id);
    }
    wanted += expected.length;
    found += expected.filter((id) => got.has(id)).length;
  });
  return wanted === 0 ? 1 : found / wanted;
}

export interface TunedParameters {
  params: Record<string, number>;
  /** recall@10 measured with them: the lowest over the kinds (the figure the target is held to). */
  recall: number;
  /** recall@10 measured with them, per query kind. */
  recallByKind: Partial<Record<QueryKind, number>>;
}

/** recall@10 of each set's kind with the index's current parameters. */
export function measureRecallByKind(index: VectorIndex, sets: readonly TuningSet[]): Partial<Record<QueryKind, number>> {
  const byKind: Partial<Record<QueryKind, number>> = {};
  for (const set of sets) if (set.queries.ids.length > 0) byKind[set.kind] = measureRecall(index, set.queries, set.truth);
  return byKind;
}

function lowest(byKind: Partial<Record<QueryKind, number>>): number {
  const values = Object.values(byKind);
  return values.length === 0 ? 1 : Math.min(...values);
}

/**
 * The smallest value of `parameter` (doubling, then bisecting the last step) at which every kind of query
 * reaches target + margin (a parameter good for image queries alone can leave text queries short); the
 * largest tried (nlist for nprobe: exhaustive) when none does.
 */
export function tuneSearchParameter(
  index: VectorIndex,
  parameter: 'nprobe' | 'efSearch',
  sets: readonly TuningSet[],
  targetRecall: number,
  limits: { nlist?: number } = {},
): TunedParameters {
  const goal = Math.min(1, targetRecall + TUNING_MARGIN);
  const max = parameter === 'nprobe' ? Math.max(1, limits.nlist ?? 1024) : 1024;
  const start = parameter === 'nprobe' ? 1 : 16;
  const recallAt = (value: number): Partial<Record<QueryKind, number>> => {
    index.setSearchParameters({ [parameter]: value });
    return measureRecallByKind(index, sets);
  };
  let value = start;
  let recall = recallAt(value);
  let below = 0;
  while (lowest(recall) < goal && value < max) {
    below = value;
    value = Math.min(max, value * 2);
    recall = recallAt(value);
  }
  // Bisect between the last value below the goal and the first at or above it.
  let low = below;
  let high = value;
  let highRecall = recall;
  while (lowest(recall) >= goal && value > start && high - low > Math.max(1, Math.floor(high / 8))) {
    const middle = Math.floor((low + high) / 2);
    const middleRecall = recallAt(middle);
    if (lowest(middleRecall) >= goal) {
      high = middle;
      highRecall = middleRecall;
    } else {
      low = middle;
    }
  }
  index.setSearchParameters({ [parameter]: high });
  return { params: { [parameter]: high }, recall: lowest(highRecall), recallByKind: highRecall };
}

export interface PerKindParameters {
  /** The image kind's parameters: what the index is left set to, and what every query without its own kind uses. */
  params: Record<string, number>;
  /** Each kind's own parameters (image included). */
  paramsByKind: Partial<Record<QueryKind, Record<string, number>>>;
  /** recall@10 of each kind, measured with its own parameters. */
  recallByKind: Partial<Record<QueryKind, number>>;
}

/**
 * Tunes `parameter` for each kind on its own set (tuneSearchParameter with one set), so that a kind that needs
 * many lists (text) does not slow down the others; the index is left set to the image kind's value.
 */
export function tunePerKind(
  index: VectorIndex,
  parameter: 'nprobe' | 'efSearch',
  sets: readonly TuningSet[],
  targetRecall: number,
  limits: { nlist?: number } = {},
): PerKindParameters {
  const paramsByKind: PerKindParameters['paramsByKind'] = {};
  const recallByKind: PerKindParameters['recallByKind'] = {};
  for (const set of sets) {
    if (set.queries.ids.length === 0) continue;
    const tuned = tuneSearchParameter(index, parameter, [set], targetRecall, limits);
    paramsByKind[set.kind] = tuned.params;
    recallByKind[set.kind] = tuned.recall;
  }
  const params = paramsByKind.image ?? Object.values(paramsByKind)[0] ?? {};
  index.setSearchParameters(params);
  return { params, paramsByKind, recallByKind };
}
