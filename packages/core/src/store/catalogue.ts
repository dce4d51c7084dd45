import type { ImageMetadata } from '../metadata';
import type { ModelIdentity } from './errors';
import type { ModelStagingStore } from './modelStaging';
import type { FilterableImage } from './metadataRows';
import type { CatalogueImage, CatalogueSkippedFile, IndexedImageInput, KnownFileState, SkippedFileInput, StoredImage } from './types';

/**
 * The catalogue: the source of truth (one row per file seen, the embeddings, the model), behind one interface
 * with two implementations, SQLite (sqliteCatalogue.ts, the embedded default) and PostgreSQL
 * (postgresCatalogue.ts, SIS_CATALOGUE_URL). Both pass one contract test suite (test/store/catalogueContract.ts).
 *
 * Every commit that changes the vectors takes the next change sequence (the generation) and records, for each
 * image id whose vector it added, replaced or removed, that sequence in a change log keyed by id. A vector
 * index at sequence S catches up with changesSince(S) (followingIndex.ts), so it can follow any catalogue,
 * including one that other processes write to.
 *
 * Calls are synchronous: SQLite's driver is, and the PostgreSQL implementation waits for each answer on a
 * worker thread (syncPostgres.ts), so that one call is one round trip or one transaction.
 */
export interface Catalogue {
  /** Where it lives, for messages: a file path, or the URL without its password. */
  readonly location: string;
  readonly writable: boolean;
  /**
   * Writers (after taking whatever lock the backend needs): creates the schema or migrates an older one, and
   * records the model on first use. Returns the meta as stored (the model of the first writer).
   */
  initialise(model: ModelIdentity): CatalogueMeta;
  /** Undefined when nothing has created the catalogue yet (readers only; writers create it when they open). */
  readMeta(): CatalogueMeta | undefined;
  countIndexed(): number;
  skippedCountsByReason(): Record<string, number>;
  /** Every catalogued file, indexed or skipped, by path: what an incremental reindex diffs against. */
  fileStates(): Map<string, KnownFileState>;
  /** Files remembered as not embeddable, by path. */
  skipped(): CatalogueSkippedFile[];
  getStoredImage(key: { path: string } | { id: number }, dimension: number): StoredImage | undefined;
  /** Indexed rows by id (ids that are gone or no longer indexed are simply absent). */
  getImagesByIds(ids: readonly number[]): Map<number, CatalogueImage>;
  /** Up to `limit` indexed rows with id > afterId, ascending by id (a replica's row cache loads by these). */
  indexedImagesChunk(afterId: number, limit: number): CatalogueImage[];
  /** Ids of the indexed rows, ascending (the vector index's labels). */
  indexedIds(): number[];
  /** Up to `limit` stored embeddings of indexed rows with id > afterId, ascending by id. */
  embeddingChunk(afterId: number, limit: number, dimension: number): EmbeddingRows;
  /** The stored embeddings of the given indexed ids (those that are gone are left out), in the order given. */
  embeddingsByIds(ids: readonly number[], dimension: number): EmbeddingRows;
  /**
   * What changed after `sequence`, as of one committed state: the ids whose vector is gone, and the current
   * vector of every id added or re-embedded since. Undefined when the log does not reach back that far (a
   * catalogue migrated from before the log): the caller rebuilds from the embeddings instead.
   */
  changesSince(sequence: number, dimension: number): ChangesSince | undefined;
  /** One transaction: all of the batch or none of it. Upserts are keyed by path, so a retried batch never duplicates a row. */
  apply(changes: CatalogueChanges, now: number): CommittedChanges;
  recordReindex(at: number): void;
  /** Records the identity (device, inode) of catalogued files found unchanged; vectors untouched (no new generation). */
  recordFileIdentities(files: readonly { path: string; device: string; inode: string }[]): void;
  /**
   * Claims the reindex of one folder across every process that shares this catalogue (PostgreSQL: an advisory
   * lock); throws ReindexRunningError while another holds it. Absent where one writer per catalogue is
   * guaranteed already (SQLite's data directory lock).
   */
  claimReindex?(root: string): { release(): void };
  /** A model switch's vectors, built beside the library's (modelStaging.ts). */
  readonly staging: ModelStagingStore;
  /** Every indexed row with what filters and date sorting need (metadata null where not read yet). */
  filterableImages(): FilterableImage[];
  /** The same for the given indexed ids (others left out), in any order: what search hits show. */
  filterableImagesByIds(ids: readonly number[]): FilterableImage[];
  /** Indexed rows whose metadata has not been read (embedded before catalogue migration 3, or without it). */
  pathsWithoutMetadata(): string[];
  /** Stores metadata read from the files (vectors untouched, no new generation); unknown paths are ignored. */
  recordMetadata(entries: readonly { path: string; metadata: ImageMetadata }[], now: number): void;
  /** Runs fn in one read transaction, so that everything it reads comes from the same committed state. */
  snapshot<T>(fn: () => T): T;
  close(): void;
}

export interface EmbeddingRows {
  ids: number[];
  /** ids.length * dimension floats, row after row. */
  vectors: Float32Array;
}

export interface CatalogueMeta extends ModelIdentity {
  /** The precision the vectors were made at ('fp32', 'int8', ...). */
  precision: string;
  schemaVersion: number;
  /** Random, set at creation: ties saved index files to this catalogue (sequences restart in a recreated one). */
  catalogueId: string;
  /** The change sequence: bumped by every commit that changes the vectors. */
  generation: number;
  lastReindexAt: number | null;
}

/** The catalogue side of one LibraryChanges batch, already validated. */
export interface CatalogueChanges {
  upsertIndexed: readonly IndexedImageInput[];
  upsertSkipped: readonly SkippedFileInput[];
  removePaths: readonly string[];
}

/** What a vector index must do to follow one committed batch. */
export interface CommittedChanges {
  /** The change sequence before this commit: an index at exactly that sequence may apply the rest directly. */
  previousGeneration: number;
  generation: number;
  /** Ids of the rows whose vectors are gone (removed, re-embedded or now skipped). */
  removedIds: number[];
  /** Ids of the rows whose vectors were stored, in the order of upsertIndexed. */
  appendedIds: number[];
  indexedCount: number;
}

export interface ChangesSince {
  /** The sequence this answer brings an index to. */
  generation: number;
  /** Indexed rows at that sequence: what the index must hold once it has applied this. */
  indexedCount: number;
  /** Ids whose vector is gone (removed, or now skipped). */
  removedIds: number[];
  /** Ids added or re-embedded since, with their current vectors (replace any older vector of the same id). */
  upserted: EmbeddingRows;
}
