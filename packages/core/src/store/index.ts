/** The storage layer: SQLite catalogue (source of truth) + FAISS inner-product index (image_index.faiss). */
export { ImageLibrary } from './library';
export { CATALOGUE_FILE_NAME } from './catalogue';
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
export { RECALL_K } from './tuning';
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
} from './types';
