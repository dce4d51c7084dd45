// First: OpenBLAS reads its kernel choice when faiss-node loads it.
import './openblasCore';
import { Index, MetricType, type IndexInfo } from 'faiss-node';
import { StoreError } from './errors';
import { kindOfFactory, type IndexKind } from './indexPlan';

/**
 * The one place that talks to faiss-node (our patched build, see patches/faiss-node@0.5.1.patch): typed
 * arrays in and out, catalogue ids as FAISS's 64-bit labels, inner product (cosine on unit vectors).
 *
 * Ids survive deletions: flat and HNSW indexes sit behind an IDMap2, IVF indexes keep ids in their lists.
 * FAISS 1.7.3 cannot remove from HNSW graphs: removed ids become tombstones there (skipped by search, counted
 * by `tombstones`) until the index is rebuilt. An index loaded memory-mapped (IVF lists only) is read-only.
 */

export interface VectorHit {
  /** Catalogue id of the image. */
  id: number;
  /** Inner product with the query (the cosine, for normalised vectors). */
  score: number;
}

export interface VectorIndexInfo {
  /** Factory-style description of the structure, e.g. 'IDMap2,Flat', 'IVF4096,SQ8', 'IDMap2,HNSW32'. */
  description: string;
  kind: IndexKind;
  /** Live vectors. */
  size: number;
  /** Removed entries still stored (HNSW). */
  tombstones: number;
  /** Heap bytes the index holds (its serialised size, plus IDMap2's hash table, plus unused list capacity). */
  memoryBytes: number;
  /** Bytes of inverted lists mapped from the file (0 unless loaded with mmap). */
  mappedBytes: number;
  /** Bytes write() produces (the index file's size). */
  serializedBytes: number;
  readOnly: boolean;
  nlist?: number;
  nprobe?: number;
  efSearch?: number;
}

/**
 * The allowed ids as the binding takes them: a bitmap over ids (bit id & 7 of byte id >> 3), so that a search pays
 * one bit test per candidate and nothing per allowed id. Kept while the list lives: a filter's selection is
 * remembered until the catalogue changes (searcher.ts, frozen), so its bitmap is built once. A bitmap over ids,
 * not over the index's internal positions, stays right while the index changes: removed ids are no longer in
 * the index, and added ids were not in the selection (the catalogue changed, so a new selection is computed).
 */
const bitmapsOfAllowed = new WeakMap<readonly number[], Uint8Array>();

export function allowedBitmap(allowed: readonly number[]): Uint8Array {
  const frozen = Object.isFrozen(allowed);
  const known = frozen ? bitmapsOfAllowed.get(allowed) : undefined;
  if (known) return known;
  let max = -1;
  for (const id of allowed) if (id > max && Number.isSafeInteger(id)) max = id;
  if (max >= MAX_BITMAP_ID) throw new StoreError(`Cannot search among id ${max}: ids above ${MAX_BITMAP_ID - 1} are not supported.`);
  const bits = new Uint8Array(Math.floor(max / 8) + 1);
  for (const id of allowed) if (Number.isSafeInteger(id) && id >= 0) bits[id >>> 3]! |= 1 << (id & 7);
  // Only a frozen list cannot change under its cached bitmap.
  if (frozen) bitmapsOfAllowed.set(allowed, bits);
  return bits;
}

/** Catalogue ids count up from 1; a bitmap up to here is 256 MiB. */
const MAX_BITMAP_ID = 2 ** 31;

export class VectorIndex {
  private constructor(
    private readonly index: Index,
    readonly dimension: number,
  ) {}

  /** A new, empty index built from a FAISS factory string (see indexPlan.ts), inner-product metric. */
  static create(dimension: number, factory: string): VectorIndex {
    let index: Index;
    try {
      index = Index.fromFactory(dimension, factory, MetricType.METRIC_INNER_PRODUCT);
    } catch (error) {
      throw new StoreError(`FAISS cannot build the index "${factory}" for dimension ${dimension}: ${(error as Error).message}`);
    }
    return new VectorIndex(index, dimension);
  }

  /**
   * Reads an index file written by write(); throws if it is unreadable or of another dimension. With mmap,
   * IVF inverted lists are mapped from the file instead of read (FAISS 1.7.3 maps nothing else: flat and
   * HNSW indexes are read into memory either way), and the index is read-only.
   */
  static read(filePath: string, dimension: number, options: { mmap?: boolean } = {}): VectorIndex {
    const index = Index.read(filePath, { mmap: options.mmap === true });
    const stored = index.getDimension();
    if (stored !== dimension) throw new StoreError(`${filePath} holds vectors of dimension ${stored}, expected ${dimension}.`);
    return new VectorIndex(index, dimension);
  }

  /** Number of live vectors. */
  get size(): number {
    return this.index.ntotal();
  }

  get isTrained(): boolean {
    return this.index.isTrained();
  }

  info(): VectorIndexInfo {
    const info: IndexInfo = this.index.info();
    return {
      description: info.description,
      kind: kindOfFactory(info.description),
      size: info.ntotal,
      tombstones: info.tombstones,
      memoryBytes: info.memoryBytes,
      mappedBytes: info.mappedBytes,
      serializedBytes: info.serializedBytes,
      readOnly: info.readOnly,
      ...(info.nlist !== undefined ? { nlist: info.nlist } : {}),
      ...(info.nprobe !== undefined ? { nprobe: info.nprobe } : {}),
      ...(info.efSearch !== undefined ? { efSearch: info.efSearch } : {}),
    };
  }

  /** Trains on a sample (n * dimension floats); a no-op for indexes that need no training. */
  train(sample: Float32Array): void {
    this.checkRows(sample, 'train on');
    if (this.isTrained) return;
    this.index.train(sample);
  }

  /** train() on the thread pool: the event loop stays free (k-means on a large sample takes minutes). */
  async trainAsync(sample: Float32Array): Promise<void> {
    this.checkRows(sample, 'train on');
    if (this.isTrained) return;
    await this.index.trainAsync(sample);
  }

  /** Adds vectors (n * dimension floats, row after row) under the given catalogue ids. */
  add(ids: readonly number[], vectors: Float32Array): void {
    const labels = this.labels(ids, vectors);
    if (labels.length > 0) this.index.addWithIds(vectors, labels);
  }

  /** add() on the thread pool. Nothing else may use this index until it settles (the binding refuses). */
  async addAsync(ids: readonly number[], vectors: Float32Array): Promise<void> {
    const labels = this.labels(ids, vectors);
    if (labels.length > 0) await this.index.addWithIdsAsync(vectors, labels);
  }

  /** Removes the given ids (unknown ids are ignored); returns how many were removed. */
  remove(ids: readonly number[]): number {
    if (ids.length === 0) return 0;
    return this.index.removeIds(BigInt64Array.from(ids, (id) => BigInt(id)));
  }

  /** Removes every vector, keeping the training. */
  reset(): void {
    this.index.reset();
  }

  /** Sets search parameters through FAISS's ParameterSpace (e.g. { nprobe: 32 } or { efSearch: 128 }). */
  setSearchParameters(params: Readonly<Record<string, number>>): void {
    for (const [name, value] of Object.entries(params)) {
      try {
        this.index.setSearchParameter(name, value);
      } catch (error) {
        throw new StoreError(`Cannot set the search parameter ${name}=${value} on ${this.info().description}: ${(error as Error).message}`);
      }
    }
  }

  /**
   * Sets those of the parameters this index has (configured ones may name nprobe while the index is HNSW)
   * and returns them; the others are ignored.
   */
  applySearchParameters(params: Readonly<Record<string, number>>): Record<string, number> {
    const applied: Record<string, number> = {};
    for (const [name, value] of Object.entries(params)) {
      try {
        this.index.setSearchParameter(name, value);
        applied[name] = value;
      } catch {
        // Not a parameter of this index.
      }
    }
    return applied;
  }

  /**
   * The k best ids, best first. An empty index or k < 1 gives []; k is clamped to the index size. With
   * `allowed`, only those ids are candidates (FAISS ID selector: exact among them for flat indexes, the
   * usual nprobe lists for IVF); ids not in the index are ignored.
   */
  search(query: Float32Array, k: number, allowed?: readonly number[]): VectorHit[] {
    if (query.length !== this.dimension) {
      throw new StoreError(`Query has dimension ${query.length}, the index ${this.dimension}.`);
    }
    const { ids, scores } = allowed ? this.searchAllowed(query, k, allowed) : this.searchBatch(query, k);
    const hits: VectorHit[] = [];
    ids.forEach((id, i) => {
      if (id >= 0n) hits.push({ id: Number(id), score: scores[i] ?? Number.NaN });
    });
    return hits;
  }

  /**
   * Many queries at once (nq * dimension floats): nq * k' ids and scores, row after row, where k' is k clamped
   * to the index size; missing results are id -1. Empty arrays when k' < 1.
   */
  searchBatch(queries: Float32Array, k: number): { k: number; ids: BigInt64Array; scores: Float32Array } {
    this.checkRows(queries, 'search with');
    const limit = Math.min(Math.floor(k), this.size);
    if (!(limit >= 1) || queries.length === 0) return { k: 0, ids: new BigInt64Array(0), scores: new Float32Array(0) };
    const { labels, distances } = this.index.search(queries, limit);
    return { k: limit, ids: labels, scores: distances };
  }

  private searchAllowed(query: Float32Array, k: number, allowed: readonly number[]): { ids: BigInt64Array; scores: Float32Array } {
    const limit = Math.min(Math.floor(k), this.size, allowed.length);
    if (!(limit >= 1)) return { ids: new BigInt64Array(0), scores: new Float32Array(0) };
    const { labels, distances } = this.index.search(query, limit, allowedBitmap(allowed));
    return { ids: labels, scores: distances };
  }

  /** Writes the index to filePath (creating or truncating it). */
  write(filePath: string): void {
    this.index.write(filePath);
  }

  private labels(ids: readonly number[], vectors: Float32Array): BigInt64Array {
    this.checkRows(vectors, 'add');
    if (vectors.length !== ids.length * this.dimension) {
      throw new StoreError(`Cannot add ${vectors.length / this.dimension} vectors under ${ids.length} ids.`);
    }
    return BigInt64Array.from(ids, (id) => {
      if (!Number.isSafeInteger(id) || id < 0) throw new StoreError(`Invalid vector id ${id}.`);
      return BigInt(id);
    });
  }

  private checkRows(vectors: Float32Array, action: string): void {
    if (vectors.length % this.dimension !== 0) {
      throw new StoreError(`Cannot ${action} ${vectors.length} floats in an index of dimension ${this.dimension}.`);
    }
  }
}
