import { IndexFlatIP } from 'faiss-node';
import { StoreError } from './errors';

/**
 * The one place that talks to faiss-node: typed Float32Array in and out, positions instead of "labels".
 *
 * faiss-node's API takes and returns plain number[] (each element crosses N-API one by one), so adds are
 * chunked to bound the temporary arrays. Its toBuffer/fromBuffer leak a native copy of the whole index per
 * call, and write() aborts the process (uncaught C++ exception) if the file cannot be written: callers
 * check writability and free space first, and reading goes through read(path), which reports errors.
 */

/** Floats per add() call: 4 MiB as float32, 8 MiB as the temporary JS array. */
const ADD_CHUNK_FLOATS = 1 << 20;

export interface VectorHit {
  position: number;
  /** Inner product with the query (the cosine, for normalised vectors). */
  score: number;
}

export class VectorIndex {
  private constructor(
    private readonly index: IndexFlatIP,
    readonly dimension: number,
  ) {}

  static empty(dimension: number): VectorIndex {
    return new VectorIndex(new IndexFlatIP(dimension), dimension);
  }

  /** Reads an index file written by write(); throws if it is unreadable or of another dimension. */
  static read(filePath: string, dimension: number): VectorIndex {
    const index = IndexFlatIP.read(filePath);
    const stored = index.getDimension();
    if (stored !== dimension) throw new StoreError(`${filePath} holds vectors of dimension ${stored}, expected ${dimension}.`);
    return new VectorIndex(index, dimension);
  }

  /** Number of vectors (ntotal). */
  get size(): number {
    return this.index.ntotal();
  }

  /** Appends vectors (n * dimension floats, row after row); they take positions size .. size + n - 1. */
  add(vectors: Float32Array): void {
    if (vectors.length % this.dimension !== 0) {
      throw new StoreError(`Cannot add ${vectors.length} floats to an index of dimension ${this.dimension}.`);
    }
    const chunkFloats = Math.max(1, Math.floor(ADD_CHUNK_FLOATS / this.dimension)) * this.dimension;
    for (let start = 0; start < vectors.length; start += chunkFloats) {
      this.index.add(Array.from(vectors.subarray(start, start + chunkFloats)));
    }
  }

  /** Appends vectors one at a time from an iterable (e.g. streamed from the catalogue), in chunks. */
  addAll(vectors: Iterable<Float32Array>): void {
    const perChunk = Math.max(1, Math.floor(ADD_CHUNK_FLOATS / this.dimension));
    const chunk = new Float32Array(perChunk * this.dimension);
    let filled = 0;
    for (const vector of vectors) {
      if (vector.length !== this.dimension) {
        throw new StoreError(`Cannot add a vector of dimension ${vector.length} to an index of dimension ${this.dimension}.`);
      }
      chunk.set(vector, filled * this.dimension);
      if (++filled === perChunk) {
        this.add(chunk);
        filled = 0;
      }
    }
    if (filled > 0) this.add(chunk.subarray(0, filled * this.dimension));
  }

  /** Removes vectors at the given positions; the ones after move down, keeping their order (IndexFlat compaction). */
  removePositions(positions: readonly number[]): void {
    if (positions.length === 0) return;
    const removed = this.index.removeIds([...positions]);
    if (removed !== positions.length) {
      throw new StoreError(`Removing ${positions.length} vectors from the index removed ${removed}.`);
    }
  }

  /** The k best positions, best first. k is clamped to the index size; an empty index or k < 1 gives []. */
  search(query: Float32Array, k: number): VectorHit[] {
    if (query.length !== this.dimension) {
      throw new StoreError(`Query has dimension ${query.length}, the index ${this.dimension}.`);
    }
    const limit = Math.min(Math.floor(k), this.size);
    // FAISS rejects k > ntotal, and k = 0 would abort the process: never pass either.
    if (!(limit >= 1)) return [];
    const { labels, distances } = this.index.search(Array.from(query), limit);
    const hits: VectorHit[] = [];
    labels.forEach((label, i) => {
      if (label >= 0) hits.push({ position: label, score: distances[i] ?? Number.NaN });
    });
    return hits;
  }

  /** Writes the index to filePath (creating or truncating it). Check that it is writable first: see the class comment. */
  write(filePath: string): void {
    this.index.write(filePath);
  }
}
