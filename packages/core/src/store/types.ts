/** The store's public data shapes. */

import type { ImageMetadata } from '../metadata';
import type { IndexKind, IndexSettings } from './indexPlan';
import type { ModelSwitchWriter, StagedModel } from './modelStaging';
import type { FilterableImage } from './metadataRows';
import type { QueryKind, TuningQueryProvider } from './tuning';

export type FileStatus = 'indexed' | 'skipped';

/** What the incremental diff compares: a file is unchanged when both are equal. */
export interface FileState {
  size: number;
  mtimeMs: number;
  /** File identity (st_dev, st_ino as decimal strings); null for rows indexed before it was recorded. */
  device?: string | null;
  inode?: string | null;
}

export interface KnownFileState extends FileState {
  status: FileStatus;
}

/** An indexed image as the catalogue describes it. */
export interface CatalogueImage {
  id: number;
  path: string;
  size: number;
  mtimeMs: number;
  width: number;
  height: number;
  /** When its embedding was stored (ms since the epoch). */
  indexedAt: number;
  /** File identity when it was indexed (st_dev, st_ino as decimal strings); null when not recorded. */
  device?: string | null;
  inode?: string | null;
}

export interface StoredImage extends CatalogueImage {
  /** L2-normalised, `dimension` long. */
  embedding: Float32Array;
}

export interface IndexedImageInput {
  /** Absolute path: the catalogue's key. */
  path: string;
  size: number;
  mtimeMs: number;
  width: number;
  height: number;
  /** L2-normalised float32 vector of the library's dimension. */
  embedding: Float32Array;
  device?: string;
  inode?: string;
  /** Read from the file at index time (catalogue migration 3); absent: read by a later reindex. */
  metadata?: ImageMetadata;
}

export interface SkippedFileInput {
  path: string;
  size: number;
  mtimeMs: number;
  /** Short machine-readable code, e.g. 'corrupt' or 'too-large'. */
  reason: string;
  message: string;
  device?: string;
  inode?: string;
}

/** A file the indexer could not embed, remembered so that it is not retried while unchanged. */
export interface CatalogueSkippedFile extends SkippedFileInput {
  id: number;
  skippedAt: number;
}

/** One batch of catalogue changes, applied atomically. A path may appear in only one of the lists. */
export interface LibraryChanges {
  /** New images, or new embeddings for known paths (the old vector is replaced). */
  upsertIndexed: IndexedImageInput[];
  /** Files that could not be embedded (an indexed path listed here loses its vector). */
  upsertSkipped: SkippedFileInput[];
  /** Paths to forget; unknown paths are ignored. */
  removePaths: string[];
}

export interface ScoredImage {
  image: CatalogueImage;
  /** Cosine similarity with the query, in [-1, 1]. */
  score: number;
}

export interface OpenLibraryOptions {
  modelName: string;
  dimension: number;
  /** The model's precision ('fp32' when absent); a catalogue built at another one is refused (PrecisionMismatchError). */
  precision?: string;
  /** Writers take the data directory's lock; readers never write anything. */
  writable: boolean;
  /** How the vector index is chosen and tuned (defaults: indexPlan.ts). */
  index?: Partial<IndexSettings>;
  /** Text embeddings an approximate index's search parameter is tuned for besides image queries (tuning.ts). */
  tuningQueries?: TuningQueryProvider;
}

export interface LibraryStats {
  dataDir: string;
  /** Where the catalogue lives: catalogue.sqlite's path, or the PostgreSQL URL without its password. */
  catalogue: string;
  modelName: string;
  dimension: number;
  /** The precision the vectors were made at ('fp32', 'int8', ...). */
  precision: string;
  indexedImages: number;
  skippedFiles: number;
  skippedByReason: Record<string, number>;
  /** Bumped by every catalogue commit that changes the vectors. */
  generation: number;
  /** The generation the search index is at: behind `generation` only while a replica has not caught up yet. */
  indexGeneration: number;
  /** Set by recordReindex() (ms since the epoch), null before the first one. */
  lastReindexAt: number | null;
  /** A switch to another model in progress (`sis reindex --model`): its vectors being built beside these. */
  modelSwitch: StagedModel | null;
  index: {
    /** The FAISS index as a factory-style description, e.g. 'IDMap2,Flat' (exact), 'IDMap2,HNSW32', 'IVF4096,SQ8'. */
    type: string;
    kind: IndexKind;
    /** The factory string it was built from (automatic choice or SIS_INDEX_FACTORY). */
    factory: string;
    /** Why this index was chosen. */
    choice: string;
    /** Vectors searchable. */
    vectors: number;
    /** Deleted entries an HNSW graph still carries (skipped by search) until it is rebuilt. */
    tombstones: number;
    /** Collection size the index was built (and trained) for. */
    builtFor: number;
    /** Search-time parameters in effect (nprobe, efSearch); empty for exact search. */
    searchParams: Record<string, number>;
    targetRecall: number;
    /** recall@10 against exact search measured on a sample of the collection when the index was built; null if not measured. */
    measuredRecall: number | null;
    /** The same per kind of tuning query: image (held-out stored vectors), text (embedded phrases; absent when the model did not provide them). */
    measuredRecallByKind: { image?: number; text?: number };
    /** Search parameters tuned per kind of query (a text query uses the text kind's); empty when configured or not tuned. */
    searchParamsByKind: { image?: Record<string, number>; text?: Record<string, number> };
    /** Heap bytes the index holds in this process. */
    memoryBytes: number;
    /** Bytes of the index file mapped rather than read (IVF lists, readers). */
    mappedBytes: number;
    /** Size of image_index.faiss on disk; null when it has not been saved. */
    fileBytes: number | null;
    /** 'file': image_index.faiss was loaded; 'catalogue': rebuilt from the stored embeddings (rebuildReason says why). */
    loadedFrom: 'file' | 'catalogue';
    rebuildReason: string | null;
    /** Catalogue changes not yet written to image_index.faiss (a checkpoint or close writes them). */
    unsavedChanges: boolean;
    /** A replacement index being built in the background, and why. */
    rebuilding: { reason: string; startedAt: number; vectorsRead: number } | null;
    /** How the last background rebuild of this process ended. */
    lastRebuild: {
      reason: string;
      finishedAt: number;
      error: string | null;
      timings: { trainMs: number; addMs: number; tuneMs: number } | null;
      /** Changes committed during the build to vectors it had already read, replayed onto it before the swap. */
      replayed: number;
    } | null;
  };
}

/** The store as the engine's users see it: ImageLibrary implements it over either catalogue. */
export interface ImageStore extends ModelSwitchWriter {
  readonly dimension: number;
  readonly modelName: string;
  readonly writable: boolean;
  /** Indexed images (what search covers). */
  count(): number;
  fileStates(): Map<string, KnownFileState>;
  /** Commits one batch atomically (writers). */
  apply(changes: LibraryChanges): void;
  /** Makes what was applied so far quick to reopen (writers). */
  checkpoint(): void;
  /** Resolves once background work that earlier changes started has finished. */
  settled(): Promise<void>;
  recordReindex(completedAt?: number): void;
  /** Claims the reindex of a folder for this process (throws ReindexRunningError while another holds it). */
  claimReindex(root: string): { release(): void };
  recordFileIdentities(files: readonly { path: string; device: string; inode: string }[]): void;
  /** kind: 'text' for a text query (its own tuned search parameters), else image queries'. */
  search(query: Float32Array, k: number, kind?: QueryKind): ScoredImage[];
  /** The catalogue's change sequence now (what a result computed over the whole library is valid for). */
  catalogueGeneration(): number;
  /** Up to `limit` indexed images' embeddings with id > afterId, ascending by id (a whole-library pass, e.g. duplicates). */
  embeddingChunk(afterId: number, limit: number): { ids: number[]; vectors: Float32Array };
  /** Indexed rows by id (ids no longer indexed are absent). */
  imagesByIds(ids: readonly number[]): Map<number, CatalogueImage>;
  /** The k best among the given ids: the true top-k of that subset (exact scan or FAISS ID selector). */
  searchAmong(query: Float32Array, k: number, ids: readonly number[], options?: { exactSubsetMax?: number; kind?: QueryKind }): ScoredImage[];
  /** Every indexed image with its metadata (null where not read yet), ascending by id; cached until the catalogue changes. */
  filterableImages(): readonly FilterableImage[];
  /** The same for the given ids only (others left out). */
  filterableImagesByIds(ids: readonly number[]): Map<number, FilterableImage>;
  /** Indexed files whose metadata has not been read yet. */
  pathsWithoutMetadata(): string[];
  /** Stores metadata read from files, vectors untouched (writers). */
  recordMetadata(entries: readonly { path: string; metadata: ImageMetadata }[]): void;
  getByPath(filePath: string): StoredImage | undefined;
  getById(id: number): StoredImage | undefined;
  /** An indexed image's row without its vector: a replica answers from its own copy of the rows (no round trip). */
  getImage(id: number): CatalogueImage | undefined;
  skipped(): CatalogueSkippedFile[];
  /** Readers: picks up later commits; true if anything changed. */
  refresh(): boolean;
  stats(): LibraryStats;
  close(): void;
}
