/** The store's public data shapes. */

export type FileStatus = 'indexed' | 'skipped';

/** What the incremental diff compares: a file is unchanged when both are equal. */
export interface FileState {
  size: number;
  mtimeMs: number;
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
}

export interface SkippedFileInput {
  path: string;
  size: number;
  mtimeMs: number;
  /** Short machine-readable code, e.g. 'corrupt' or 'too-large'. */
  reason: string;
  message: string;
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
  /** Writers take the data directory's lock; readers never write anything. */
  writable: boolean;
}

export interface LibraryStats {
  dataDir: string;
  modelName: string;
  dimension: number;
  indexedImages: number;
  skippedFiles: number;
  skippedByReason: Record<string, number>;
  /** Bumped by every catalogue commit that changes the vectors. */
  generation: number;
  /** Set by recordReindex() (ms since the epoch), null before the first one. */
  lastReindexAt: number | null;
  index: {
    /** 'file': image_index.faiss was loaded; 'catalogue': rebuilt from the stored embeddings (rebuildReason says why). */
    loadedFrom: 'file' | 'catalogue';
    rebuildReason: string | null;
    /** Catalogue changes not yet written to image_index.faiss (saveIndex or close writes them). */
    unsavedChanges: boolean;
  };
}
