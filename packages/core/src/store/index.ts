/** The storage layer: SQLite catalogue (source of truth) + FAISS inner-product index (image_index.faiss). */
export { ImageLibrary } from './library';
export { CATALOGUE_FILE_NAME } from './catalogue';
export { INDEX_FILE_NAME, INDEX_SIDECAR_FILE_NAME } from './indexFile';
export { LOCK_FILE_NAME } from './lock';
export {
  StoreError,
  ModelMismatchError,
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
