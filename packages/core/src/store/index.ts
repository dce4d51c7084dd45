/** The storage layer: a catalogue (source of truth: SQLite, or PostgreSQL) + the FAISS index that follows it. */
export { ImageLibrary } from './library';
export { EXACT_SUBSET_MAX } from './vectorSearch';
export type { FilterableImage } from './metadataRows';
export type { Catalogue, CatalogueMeta, CatalogueChanges, CommittedChanges, ChangesSince, EmbeddingRows } from './catalogue';
export { SqliteCatalogue, CATALOGUE_FILE_NAME } from './sqliteCatalogue';
export { LATEST_SCHEMA_VERSION as SQLITE_SCHEMA_VERSION } from './sqliteMigrations';
export { FollowingIndex } from './followingIndex';
export { openStore, withLibraryModel, type StoreLocation, type ModelChoice } from './openStore';
export {
  ModelSwitchedError,
  NoStagedModelError,
  type StagedModel,
  type StagingTarget,
  type StagedVector,
  type CompletedSwitch,
  type ModelSwitchWriter,
  type ModelStagingStore,
} from './modelStaging';
export { PostgresCatalogue, CHANGES_CHANNEL } from './postgresCatalogue';
export { ChangeFollower, type ChangeFollowerOptions } from './changeFollower';
export { PG_LATEST_SCHEMA_VERSION as POSTGRES_SCHEMA_VERSION } from './postgresMigrations';
export { SyncPostgres, PostgresError, CatalogueUnreachableError, redactUrl } from './syncPostgres';
export { INDEX_FILE_NAME, INDEX_SIDECAR_FILE_NAME } from './indexFile';
export {
  planIndex,
  nlistFor,
  resolveIndexSettings,
  rebuildReason,
  withIdMapping,
  kindOfFactory,
  defaultMemoryBudgetBytes,
  DEFAULT_FLAT_MAX_VECTORS,
  DEFAULT_HNSW_MAX_VECTORS,
  DEFAULT_RETRAIN_GROWTH,
  DEFAULT_TARGET_RECALL,
  type IndexSettings,
  type IndexPlan,
  type IndexKind,
  type IndexDescriptor,
} from './indexPlan';
export { buildIndex, buildIndexInBackground, type VectorSource, type BuiltIndex } from './indexBuild';
export { VectorIndex, type VectorHit, type VectorIndexInfo } from './vectorIndex';
export { RECALL_K, RERANK_FACTOR, type TuningQueryProvider, type ExtraTuningQueries, type QueryKind } from './tuning';
export { LOCK_FILE_NAME } from './lock';
export {
  StoreError,
  ModelMismatchError,
  PrecisionMismatchError,
  WriterLockError,
  ReadOnlyLibraryError,
  InvalidInputError,
  CatalogueError,
  IndexSaveError,
  DataDirNotWritableError,
  DiskWriteError,
  ReindexRunningError,
  ReindexClaimLostError,
  type ModelIdentity,
  type LockHolder,
} from './errors';
export type {
  FileStatus,
  FileState,
  KnownFileState,
  CatalogueImage,
  StoredImage,
  IndexedImageInput,
  SkippedFileInput,
  CatalogueSkippedFile,
  LibraryChanges,
  ScoredImage,
  OpenLibraryOptions,
  LibraryStats,
  ImageStore,
} from './types';
