import os from 'node:os';
import { InvalidInputError } from './errors';

/**
 * Which FAISS index a collection gets, chosen from its size and a memory budget the way autofaiss chooses:
 *
 * | collection                                   | index                          | why |
 * | -------------------------------------------- | ------------------------------ | --- |
 * | up to `flatMaxVectors` (200k) and it fits    | `IDMap2,Flat`                  | exact; ~40-130 ms a query at 200k on 2 cores is fine |
 * | up to `hnswMaxVectors` (off: 0) and it fits  | `IDMap2,HNSW32`                | graph over the full vectors: ~2 ms, recall ~0.99; needs no training |
 * | larger, codes of d bytes fit                 | `IVF{nlist},SQ8`               | 4x smaller than flat, trained on a sample, deletes in place, memory-mappable |
 * | larger, only smaller codes fit               | `IVF{nlist},PQ{m}`             | m bytes a vector (m = d/4 .. 8), the largest that fits; lower recall |
 *
 * nlist = 4 * sqrt(n) rounded to a power of two (the usual 4-16 * sqrt(n) range, at its cheap end: training
 * is the cost on a small machine), at most n / 39 (FAISS wants 39 training points a list). The training
 * sample is 40 vectors a list (FAISS asks for 39 at least; more costs k-means time on a small machine for little recall). "Fits" compares the estimated
 * resident size with the budget (default: half the machine's memory). `SIS_INDEX_FACTORY` overrides the
 * choice with any FAISS factory string; the engine adds the id mapping it needs.
 *
 * The HNSW band is empty by default: measured on the 2-core reference machine with Debian's FAISS 1.7.3
 * (a generic SSE build), HNSW32 inserts 512-d clustered vectors at ~8 ms each (200k: ~30 min), uses more
 * memory than flat and cannot delete in place, where IVF-SQ8 trains and fills 200k in about a minute, is 4x
 * smaller than flat and deletes by id. HNSW stays available with `SIS_INDEX_FACTORY=HNSW32` (efSearch is
 * tuned like nprobe), and through `hnswMaxVectors` where it builds fast.
 *
 * Search parameters (nprobe, efSearch) are tuned after each build to reach the target recall@10 on a
 * sample of the collection (see tuning.ts), unless set explicitly (`SIS_INDEX_SEARCH_PARAMS`).
 */

export type IndexKind = 'flat' | 'hnsw' | 'ivf' | 'other';

export interface IndexSettings {
  /** A FAISS factory string that replaces the automatic choice; '' chooses automatically. */
  factory: string;
  /** recall@10 (against exact search) that search parameters are tuned to reach. */
  targetRecall: number;
  /** Bytes the index may occupy in memory. */
  memoryBudgetBytes: number;
  /** Search parameters that replace the tuned ones, e.g. { nprobe: 32 }. */
  searchParams: Record<string, number>;
  /** Exact search up to this many vectors. */
  flatMaxVectors: number;
  /** HNSW up to this many vectors (when it fits the budget); IVF above. */
  hnswMaxVectors: number;
  /** Retrain an IVF index once the collection is this many times the size it was trained at. */
  retrainGrowth: number;
  /** Rebuild an HNSW index once this fraction of its entries are deleted ones (FAISS 1.7.3 cannot remove from HNSW). */
  maxTombstoneFraction: number;
}

export const DEFAULT_FLAT_MAX_VECTORS = 200_000;
/** 0: no HNSW band by default (see above). */
export const DEFAULT_HNSW_MAX_VECTORS = 0;
export const DEFAULT_RETRAIN_GROWTH = 4;
export const DEFAULT_TARGET_RECALL = 0.95;
const HNSW_M = 32;
/** IVF lists need this many training vectors each (below 39 FAISS warns; k-means centroids get noisy). */
const MIN_POINTS_PER_LIST = 39;
const TRAINING_POINTS_PER_LIST = 40;
const MIN_NLIST = 16;
const MAX_NLIST = 65_536;
/** IVF is pointless below this: a flat scan of so few vectors is about as fast. */
const MIN_IVF_VECTORS = MIN_NLIST * MIN_POINTS_PER_LIST;

/** Half of the machine's memory: what the index may take unless configured. */
export function defaultMemoryBudgetBytes(): number {
  return Math.floor(os.totalmem() / 2);
}

export function resolveIndexSettings(partial: Partial<IndexSettings> = {}): IndexSettings {
  const settings: IndexSettings = {
    factory: partial.factory?.trim() ?? '',
    targetRecall: partial.targetRecall ?? DEFAULT_TARGET_RECALL,
    memoryBudgetBytes: partial.memoryBudgetBytes && partial.memoryBudgetBytes > 0 ? partial.memoryBudgetBytes : defaultMemoryBudgetBytes(),
    searchParams: { ...(partial.searchParams ?? {}) },
    flatMaxVectors: partial.flatMaxVectors ?? DEFAULT_FLAT_MAX_VECTORS,
    hnswMaxVectors: partial.hnswMaxVectors ?? DEFAULT_HNSW_MAX_VECTORS,
    retrainGrowth: partial.retrainGrowth ?? DEFAULT_RETRAIN_GROWTH,
    maxTombstoneFraction: partial.maxTombstoneFraction ?? 0.1,
  };
  if (!(settings.targetRecall > 0 && settings.targetRecall <= 1)) throw new InvalidInputError(`The target recall must be in (0, 1], got ${settings.targetRecall}.`);
  if (!(settings.retrainGrowth > 1)) throw new InvalidInputError(`The retrain growth factor must be above 1, got ${settings.retrainGrowth}.`);
  return settings;
}

export interface IndexPlan {
  /** The factory string to build, id mapping included (e.g. 'IDMap2,Flat', 'IVF4096,SQ8'). */
  factory: string;
  kind: IndexKind;
  /** Vectors to train on (a random sample of the collection); 0 when the index needs no training. */
  trainingSize: number;
  /** IVF lists, when IVF. */
  nlist?: number;
  /** The search-time knob tuned for recall: nprobe (IVF), efSearch (HNSW); none for exact search. */
  searchParameter?: 'nprobe' | 'efSearch';
  /** Estimated resident bytes for `count` vectors. */
  estimatedBytes: number;
  /** Why this index, in words (shown by stats). */
  reason: string;
}

/** The index for `count` vectors of `dimension` under `settings`. */
export function planIndex(count: number, dimension: number, settings: IndexSettings): IndexPlan {
  const n = Math.max(0, Math.floor(count));
  const budget = settings.memoryBudgetBytes;
  const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;
  if (settings.factory !== '') return overridePlan(settings.factory, n, dimension);

  const flatBytes = estimateBytes('flat', n, dimension);
  if (n <= settings.flatMaxVectors && flatBytes <= budget) {
    return { factory: 'IDMap2,Flat', kind: 'flat', trainingSize: 0, estimatedBytes: flatBytes, reason: `${n} vectors: exact search (up to ${settings.flatMaxVectors})` };
  }
  const hnswBytes = estimateBytes('hnsw', n, dimension);
  if (n <= settings.hnswMaxVectors && hnswBytes <= budget) {
    return {
      factory: `IDMap2,HNSW${HNSW_M}`,
      kind: 'hnsw',
      trainingSize: 0,
      searchParameter: 'efSearch',
      estimatedBytes: hnswBytes,
      reason: `${n} vectors: HNSW graph (up to ${settings.hnswMaxVectors}; ${mib(hnswBytes)} fits the ${mib(budget)} budget)`,
    };
  }
  if (n < MIN_IVF_VECTORS) {
    // Too few to train IVF lists (and too few to matter): exact search even over the budget.
    return { factory: 'IDMap2,Flat', kind: 'flat', trainingSize: 0, estimatedBytes: flatBytes, reason: `${n} vectors: exact search (too few for IVF)` };
  }
  const nlist = nlistFor(n);
  const trainingSize = Math.min(n, TRAINING_POINTS_PER_LIST * nlist);
  const ivf = (codeBytes: number, codec: string, why: string): IndexPlan => ({
    factory: `IVF${nlist},${codec}`,
    kind: 'ivf',
    trainingSize,
    nlist,
    searchParameter: 'nprobe',
    estimatedBytes: ivfBytes(n, dimension, nlist, codeBytes),
    reason: `${n} vectors: ${why}`,
  });
  const sq8 = ivfBytes(n, dimension, nlist, dimension);
  if (sq8 <= budget) return ivf(dimension, 'SQ8', `IVF, 8-bit scalar quantisation (${mib(sq8)}; flat would take ${mib(flatBytes)})`);
  for (const m of pqSizes(dimension)) {
    const bytes = ivfBytes(n, dimension, nlist, m);
    if (bytes <= budget) return ivf(m, `PQ${m}`, `IVF, product quantisation to ${m} bytes a vector (${mib(bytes)}; SQ8 would take ${mib(sq8)} > ${mib(budget)} budget)`);
  }
  const smallest = pqSizes(dimension).at(-1) ?? 8;
  return ivf(smallest, `PQ${smallest}`, `IVF, product quantisation to ${smallest} bytes a vector: nothing fits the ${mib(budget)} budget, this is the smallest`);
}

/** The IVF list count for n vectors: 4 * sqrt(n) as a power of two, with enough training points per list. */
export function nlistFor(n: number): number {
  let nlist = 2 ** Math.round(Math.log2(4 * Math.sqrt(Math.max(1, n))));
  nlist = Math.min(MAX_NLIST, Math.max(MIN_NLIST, nlist));
  while (nlist > MIN_NLIST && nlist * MIN_POINTS_PER_LIST > n) nlist /= 2;
  return nlist;
}

/** PQ code sizes (bytes a vector) that divide the dimension, largest first: d/4 down to 8. */
function pqSizes(dimension: number): number[] {
  const sizes: number[] = [];
  for (let m = Math.floor(dimension / 4); m >= 8; m--) if (dimension % m === 0 && [8, 16, 32, 48, 64, 96, 128].includes(m)) sizes.push(m);
  return sizes.length > 0 ? sizes : [Math.max(1, Math.min(8, dimension))];
}

/** Estimated resident bytes of an index of n vectors. */
export function estimateBytes(kind: 'flat' | 'hnsw', n: number, dimension: number): number {
  // IDMap2: 8 bytes of id a vector, plus ~40 in its id -> position hash table.
  const idMap = 48;
  if (kind === 'flat') return n * (4 * dimension + idMap);
  // HNSW: 2M neighbours (int32) on level 0, ~1/M of the vectors on upper levels with M each, + level and offset.
  return n * (4 * dimension + idMap + Math.ceil(2 * HNSW_M * 4 * (1 + 1 / HNSW_M)) + 12);
}

function ivfBytes(n: number, dimension: number, nlist: number, codeBytes: number): number {
  // Codes + 8-byte ids in the lists, the centroids (quantizer), PQ codebooks when PQ.
  return n * (codeBytes + 8) + nlist * dimension * 4 + (codeBytes < dimension ? 256 * dimension * 4 : 0);
}

/** A user-given factory string: its kind, what it trains on, and the id mapping it needs. */
function overridePlan(factory: string, n: number, dimension: number): IndexPlan {
  const withIds = withIdMapping(factory);
  const kind = kindOfFactory(withIds);
  const ivfMatch = /(?:^|,)IVF(\d+)/.exec(withIds);
  const nlist = ivfMatch ? Number(ivfMatch[1]) : undefined;
  const quantised = /PQ|SQ|OPQ|PCA|LSH|RQ|LSQ/.test(withIds);
  // Training needs enough vectors (k-means: 39 a list; product quantisers: 256 centroids each): exact search until then.
  const minimum = nlist !== undefined ? nlist * MIN_POINTS_PER_LIST : /PQ|RQ|LSQ/.test(withIds) ? 256 * MIN_POINTS_PER_LIST : 1;
  if (n < minimum) {
    return {
      factory: 'IDMap2,Flat',
      kind: 'flat',
      trainingSize: 0,
      estimatedBytes: estimateBytes('flat', n, dimension),
      reason: `configured factory "${factory}" needs at least ${minimum} vectors to train: exact search until then`,
    };
  }
  const trainingSize = nlist !== undefined ? Math.min(n, TRAINING_POINTS_PER_LIST * nlist) : quantised ? Math.min(n, 65_536) : 0;
  return {
    factory: withIds,
    kind,
    trainingSize,
    ...(nlist !== undefined ? { nlist } : {}),
    ...(kind === 'ivf' ? { searchParameter: 'nprobe' as const } : kind === 'hnsw' ? { searchParameter: 'efSearch' as const } : {}),
    estimatedBytes: kind === 'flat' ? estimateBytes('flat', n, dimension) : kind === 'hnsw' ? estimateBytes('hnsw', n, dimension) : 0,
    reason: `configured factory "${factory}"`,
  };
}

/**
 * Adds the id mapping a factory string needs so that catalogue ids survive deletions: IDMap2 in front of
 * everything except IVF indexes, which store 64-bit ids in their lists natively (and whose positions an
 * IDMap would get wrong after a removal: FAISS 1.7.3's IndexIDMap assumes the inner index compacts like a
 * flat one does, and IVF does not).
 */
export function withIdMapping(factory: string): string {
  const trimmed = factory.trim();
  const inner = trimmed.replace(/^IDMap2?,/, '');
  if (isIvfFactory(inner)) return inner;
  return inner === trimmed ? `IDMap2,${inner}` : trimmed;
}

function isIvfFactory(factory: string): boolean {
  // "IVF4096,SQ8", "OPQ32,IVF1024,PQ32" (a pre-transform in front of IVF keeps IVF's ids).
  return /(^|,)IVF\d/.test(factory);
}

export function kindOfFactory(factory: string): IndexKind {
  const inner = factory.replace(/^IDMap2?,/, '');
  if (isIvfFactory(inner)) return 'ivf';
  if (/^HNSW\d/.test(inner)) return 'hnsw';
  if (inner === 'Flat') return 'flat';
  return 'other';
}

/** What a built index is, as recorded in the sidecar: enough to decide whether it should be rebuilt. */
export interface IndexDescriptor {
  /** The factory string it was built from. */
  factory: string;
  /** How FAISS describes the built index (VectorIndex.info().description), checked when the file is loaded. */
  description: string;
  kind: IndexKind;
  /** Vectors in the collection when the index was built (for IVF: what its training sample represented). */
  builtFor: number;
  /** Search parameters applied after building (tuned or configured). */
  searchParams: Record<string, number>;
  /** recall@10 measured when tuning, null when not measured (exact search, or configured parameters). */
  measuredRecall: number | null;
  /** recall@10 per kind of tuning query ('image': held-out stored vectors; 'text': embedded phrases); absent in older sidecars. */
  measuredRecallByKind?: Partial<Record<'image' | 'text', number>>;
  /** Tuned parameters per kind of query (a text query is searched with the text kind's); absent when configured or not tuned. */
  searchParamsByKind?: Partial<Record<'image' | 'text', Record<string, number>>>;
  /** The target recall the parameters were tuned for. */
  targetRecall: number;
  /** Why this index was chosen. */
  reason: string;
}

/**
 * Why the index should be rebuilt now, or undefined. Only changes worth a rebuild count: the collection
 * crossing out of the flat or HNSW range, an IVF index outgrowing its training by `retrainGrowth`, a
 * collection shrinking to a quarter of what an approximate index was built for, an HNSW index carrying too
 * many deleted entries, or a different configured factory.
 */
export function rebuildReason(
  current: IndexDescriptor,
  state: { count: number; stored: number; tombstones: number },
  dimension: number,
  settings: IndexSettings,
): string | undefined {
  const desired = planIndex(state.count, dimension, settings);
  if (settings.factory !== '') {
    return desired.factory !== current.factory ? `the configured factory is ${desired.factory}, the index is ${current.factory}` : undefined;
  }
  if (current.kind === 'other') return desired.factory !== current.factory ? `the index ${current.factory} was configured, the configuration no longer asks for it` : undefined;
  if (current.kind === 'flat') {
    return desired.kind !== 'flat' ? `${state.count} vectors: ${desired.reason}` : undefined;
  }
  if (state.count < current.builtFor / settings.retrainGrowth && desired.kind !== current.kind) {
    return `the collection shrank to ${state.count} vectors from the ${current.builtFor} the ${current.factory} index was built for`;
  }
  if (current.kind === 'hnsw') {
    if (state.stored > 0 && state.tombstones / state.stored > settings.maxTombstoneFraction) {
      return `${state.tombstones} of the ${state.stored} HNSW entries are deleted ones`;
    }
    if (desired.kind === 'ivf' && state.count > settings.hnswMaxVectors) return `${state.count} vectors: ${desired.reason}`;
    return undefined;
  }
  // IVF: retrain once the collection has outgrown the sample the centroids were trained on.
  if (state.count > current.builtFor * settings.retrainGrowth) {
    return `${state.count} vectors, ${(state.count / Math.max(1, current.builtFor)).toFixed(1)}x the ${current.builtFor} the index was trained for`;
  }
  return undefined;
}
