import { seededRandom } from '../random';
import { StoreError } from './errors';
import { planIndex, type IndexDescriptor, type IndexPlan, type IndexSettings } from './indexPlan';
import { ExactNeighbours, measureRecallByKind, tunePerKind, TUNING_QUERIES, unstoredQueries, type ExtraTuningQueries, type TuningQueries, type TuningQueryProvider, type TuningSet } from './tuning';
import { VectorIndex } from './vectorIndex';

/**
 * Builds a vector index from the catalogue's stored embeddings: plan (indexPlan.ts), train on a random
 * sample, add every vector chunk by chunk (computing the tuning sample's exact neighbours on the way), then
 * set search parameters from the target recall (tuning.ts). The same steps run synchronously (open, when
 * no saved index can be used) or in the background (retraining), where train and add run on the libuv
 * thread pool and the event loop is free between chunks.
 */

/** What a build reads: the catalogue, or anything shaped like it (benchmarks). */
export interface VectorSource {
  /** Ids of every vector, ascending. */
  ids(): number[];
  /** Vectors of the given ids (missing ones left out), in the order given. */
  byIds(ids: readonly number[]): { ids: number[]; vectors: Float32Array };
  /** Up to `limit` vectors with id > afterId, ascending by id. */
  chunk(afterId: number, limit: number): { ids: number[]; vectors: Float32Array };
}

export interface BuiltIndex {
  index: VectorIndex;
  descriptor: IndexDescriptor;
  /** Where the time went, in milliseconds. */
  timings: { trainMs: number; addMs: number; tuneMs: number };
}

export interface BuildOptions {
  /** A trained index of an earlier build to reuse (emptied, refilled) when the plan asks for the same factory. */
  reuse?: { index: VectorIndex; descriptor: IndexDescriptor };
  /** Vectors per add call (default 16384). */
  chunkSize?: number;
  /** Seed of the training / tuning sample (default: derived from the collection size). */
  seed?: number;
  /**
   * Called with the largest id read so far each time a chunk is read. Vectors are read in id order, so a
   * change to an id above it will still be read; one at or below it must be replayed onto the result.
   */
  onRead?: (lastId: number, count: number) => void;
  /** Query vectors of other kinds (text embeddings) the search parameter is tuned for too (tuning.ts). */
  tuningQueries?: TuningQueryProvider;
}

/** Cancels a background build at its next step. */
export class BuildCancelledError extends StoreError {
  override readonly name = 'BuildCancelledError';
}

const DEFAULT_CHUNK = 16_384;

type Step = void | Promise<void>;
type TunedRecall = NonNullable<IndexDescriptor['measuredRecallByKind']>;

interface StepRunner {
  train(index: VectorIndex, sample: Float32Array): Step;
  add(index: VectorIndex, ids: number[], vectors: Float32Array): Step;
  /** A point where a background build lets other work run. */
  pause(): Step;
  /** Hands the provider's queries to `use`: a background build waits for them, a synchronous one takes what is ready. */
  tuningQueries(provider: TuningQueryProvider, use: (queries: readonly ExtraTuningQueries[]) => void): Step;
}

/** The build, as steps: a runner decides whether each one blocks or is awaited. */
function* buildSteps(source: VectorSource, dimension: number, settings: IndexSettings, options: BuildOptions, run: StepRunner): Generator<Step, BuiltIndex, void> {
  // In the background, start from the collection as it is once the caller yields (a bulk load that never
  // yields then gets one build for its final size, not one for the size at which the rebuild was asked for).
  yield run.pause();
  const allIds = source.ids();
  const count = allIds.length;
  const plan = planIndex(count, dimension, settings);
  const timings = { trainMs: 0, addMs: 0, tuneMs: 0 };
  const random = seededRandom(options.seed ?? count * 2654435761);

  const reuse = options.reuse && options.reuse.descriptor.factory === plan.factory && options.reuse.index.isTrained ? options.reuse : undefined;
  let index: VectorIndex;
  if (reuse) {
    index = reuse.index;
    index.reset();
  } else {
    index = VectorIndex.create(dimension, plan.factory);
  }

  // One random sample: its first vectors are the tuning queries (at most a fifth of a small collection),
  // the rest the training sample.
  const wantsTuning = plan.searchParameter !== undefined && count > 0;
  const tuningCount = wantsTuning ? Math.min(TUNING_QUERIES, Math.max(1, Math.floor(count / 5))) : 0;
  const trainingCount = reuse ? 0 : Math.min(plan.trainingSize, count - tuningCount);
  const sampleIds = sampleWithoutReplacement(allIds, tuningCount + trainingCount, random);
  if (!reuse && plan.trainingSize > 0 && !index.isTrained) {
    const sample = source.byIds(sampleIds.slice(tuningCount, tuningCount + trainingCount));
    const start = performance.now();
    yield run.train(index, sample.vectors);
    timings.trainMs = performance.now() - start;
  }

  const tuningIds = sampleIds.slice(0, tuningCount);
  const queries: TuningQueries = tuningIds.length > 0 ? source.byIds(tuningIds) : { ids: [], vectors: new Float32Array(0) };
  const flatIndex = (d: number) => VectorIndex.create(d, 'IDMap2,Flat');
  const exact = new ExactNeighbours(queries, dimension, flatIndex);
  let extraQueries: readonly ExtraTuningQueries[] = [];
  if (queries.ids.length > 0 && options.tuningQueries) yield run.tuningQueries(options.tuningQueries, (got) => (extraQueries = got));
  const extra = extraQueries
    .filter((set) => queries.ids.length > 0 && set.vectors.length > 0 && set.vectors.length % dimension === 0)
    .map((set) => ({ kind: set.kind, exact: new ExactNeighbours(unstoredQueries(set.vectors, dimension), dimension, flatIndex) }));
  // The tuning queries stay out of the index (and out of the training sample) until tuning is done, so
  // that they are fresh queries, as a new photo or a text is: a graph (HNSW) finds a vector's neighbours
  // more easily when the vector itself is in it, and centroids fit their own training points best.
  const heldOut = new Set(queries.ids);
  const heldOutIds: number[] = [];
  const heldOutVectors: Float32Array[] = [];
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
  let afterId = -1;
  for (;;) {
    const chunk = source.chunk(afterId, chunkSize);
    if (chunk.ids.length === 0) break;
    options.onRead?.(chunk.ids[chunk.ids.length - 1]!, chunk.ids.length);
    const kept = heldOut.size > 0 ? withoutHeldOut(chunk, heldOut, dimension, heldOutIds, heldOutVectors) : chunk;
    const start = performance.now();
    yield run.add(index, kept.ids, kept.vectors);
    timings.addMs += performance.now() - start;
    if (queries.ids.length > 0) {
      const tuneStart = performance.now();
      exact.addChunk(kept.ids, kept.vectors);
      for (const set of extra) set.exact.addChunk(kept.ids, kept.vectors);
      timings.tuneMs += performance.now() - tuneStart;
    }
    afterId = chunk.ids[chunk.ids.length - 1]!;
    yield run.pause();
  }

  const tuneStart = performance.now();
  let searchParams: Record<string, number> = {};
  let measuredRecall: number | null = null;
  let measuredRecallByKind: TunedRecall = {};
  let searchParamsByKind: IndexDescriptor['searchParamsByKind'];
  const sets: TuningSet[] = [{ kind: 'image', queries, truth: exact.truth() }, ...extra.map((set) => ({ kind: set.kind, queries: set.exact.queries, truth: set.exact.truth() }))];
  // Each kind with its own parameters where it has them (a reused build's), the index left at searchParams.
  const measure = () => {
    measuredRecallByKind = {};
    for (const set of sets) {
      const own = searchParamsByKind?.[set.kind];
      if (own) index.setSearchParameters(own);
      Object.assign(measuredRecallByKind, measureRecallByKind(index, [set]));
      if (own) index.setSearchParameters(searchParams);
    }
    measuredRecall = Math.min(...Object.values(measuredRecallByKind));
  };
  const configured = Object.keys(settings.searchParams).length > 0;
  if (configured && plan.searchParameter !== undefined) {
    searchParams = index.applySearchParameters(settings.searchParams);
    if (queries.ids.length > 0) measure();
  } else if (reuse && plan.searchParameter !== undefined && Object.keys(reuse.descriptor.searchParams).length > 0) {
    index.setSearchParameters(reuse.descriptor.searchParams);
    searchParams = { ...reuse.descriptor.searchParams };
    // Its text queries keep their own parameters too.
    if (reuse.descriptor.searchParamsByKind) searchParamsByKind = { ...reuse.descriptor.searchParamsByKind };
    if (queries.ids.length > 0) measure();
  } else if (plan.searchParameter !== undefined && queries.ids.length > 0) {
    const tuned = tunePerKind(index, plan.searchParameter, sets, settings.targetRecall, plan.nlist !== undefined ? { nlist: plan.nlist } : {});
    searchParams = tuned.params;
    searchParamsByKind = tuned.paramsByKind;
    measuredRecallByKind = tuned.recallByKind;
    measuredRecall = Math.min(...Object.values(tuned.recallByKind));
  }
  timings.tuneMs += performance.now() - tuneStart;
  if (heldOutIds.length > 0) {
    const vectors = new Float32Array(heldOutIds.length * dimension);
    heldOutVectors.forEach((vector, i) => vectors.set(vector, i * dimension));
    yield run.add(index, heldOutIds, vectors);
  }

  return { index, descriptor: { ...describeBuild(plan, index, count, searchParams, measuredRecall, settings), measuredRecallByKind, ...(searchParamsByKind ? { searchParamsByKind } : {}) }, timings };
}

function describeBuild(
  plan: IndexPlan,
  index: VectorIndex,
  count: number,
  searchParams: Record<string, number>,
  measuredRecall: number | null,
  settings: IndexSettings,
): IndexDescriptor {
  return {
    factory: plan.factory,
    description: index.info().description,
    kind: plan.kind,
    builtFor: count,
    searchParams,
    measuredRecall,
    targetRecall: settings.targetRecall,
    reason: plan.reason,
  };
}

/** Builds synchronously (blocking): at open, when no saved index can be used. */
export function buildIndex(source: VectorSource, dimension: number, settings: IndexSettings, options: BuildOptions = {}): BuiltIndex {
  const steps = buildSteps(source, dimension, settings, options, {
    train: (index, sample) => index.train(sample),
    add: (index, ids, vectors) => index.add(ids, vectors),
    pause: () => undefined,
    tuningQueries: (provider, use) => use(provider.ready()),
  });
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) return step.value;
  }
}

/**
 * Builds in the background: training and adding run on the thread pool, and the event loop gets a turn
 * between chunks. `cancelled()` is checked after every step (BuildCancelledError).
 */
export async function buildIndexInBackground(
  source: VectorSource,
  dimension: number,
  settings: IndexSettings,
  options: BuildOptions & { cancelled?: () => boolean } = {},
): Promise<BuiltIndex> {
  const steps = buildSteps(source, dimension, settings, options, {
    train: (index, sample) => index.trainAsync(sample),
    add: (index, ids, vectors) => index.addAsync(ids, vectors),
    pause: () => new Promise<void>((resolve) => setImmediate(resolve)),
    tuningQueries: (provider, use) => provider.load().then(use, () => use(provider.ready())),
  });
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) return step.value;
    await step.value;
    if (options.cancelled?.()) throw new BuildCancelledError('The index build was cancelled.');
  }
}

/** The chunk without the held-out ids, which (with their vectors as read now) are collected for later. */
function withoutHeldOut(
  chunk: { ids: number[]; vectors: Float32Array },
  heldOut: ReadonlySet<number>,
  dimension: number,
  heldOutIds: number[],
  heldOutVectors: Float32Array[],
): { ids: number[]; vectors: Float32Array } {
  if (!chunk.ids.some((id) => heldOut.has(id))) return chunk;
  const ids: number[] = [];
  const vectors = new Float32Array(chunk.vectors.length);
  chunk.ids.forEach((id, i) => {
    const vector = chunk.vectors.subarray(i * dimension, (i + 1) * dimension);
    if (heldOut.has(id)) {
      heldOutIds.push(id);
      heldOutVectors.push(Float32Array.from(vector));
    } else {
      vectors.set(vector, ids.length * dimension);
      ids.push(id);
    }
  });
  return { ids, vectors: vectors.subarray(0, ids.length * dimension) };
}

/** k distinct items of `items` in random order (partial Fisher-Yates on a copy). */
function sampleWithoutReplacement(items: readonly number[], k: number, random: () => number): number[] {
  const copy = [...items];
  const n = Math.min(k, copy.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (copy.length - i));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, n);
}

