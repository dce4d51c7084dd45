/**
 * The store's typed errors. Messages are written for the person running the tool (they can be printed as
 * they are); the fields carry the same facts for code that wants to react to them.
 */

/** Base class: `instanceof StoreError` catches every error the store throws on purpose. */
export class StoreError extends Error {
  override readonly name: string = 'StoreError';
}

/** Which embedding model a catalogue was built with. */
export interface ModelIdentity {
  modelName: string;
  dimension: number;
  /** The model's precision (embedding/precision.ts precisionLabel: 'fp32', 'int8', 'vision=int8,text=fp32'); absent: 'fp32'. */
  precision?: string;
}

/** Catalogues written before precision was recorded hold fp32 vectors: fp32 was the only precision then. */
export const DEFAULT_PRECISION = 'fp32';

/** The data directory was indexed with another model (or dimension): its vectors cannot be compared with this model's. */
export class ModelMismatchError extends StoreError {
  override readonly name = 'ModelMismatchError';

  constructor(
    readonly dataDir: string,
    readonly recorded: ModelIdentity,
    readonly requested: ModelIdentity,
  ) {
    super(
      `The index in ${dataDir} was built with model "${recorded.modelName}" (dimension ${recorded.dimension}), ` +
        `but model "${requested.modelName}" (dimension ${requested.dimension}) is configured. ` +
        `Embeddings from different models cannot be compared: set SIS_MODEL="${recorded.modelName}" (or leave it unset) to use this library, ` +
        `switch it to "${requested.modelName}" with \`sis reindex --model ${requested.modelName} <folder>\` (search keeps working meanwhile), ` +
        `or use another data directory for "${requested.modelName}".`,
    );
  }
}

/** The data directory was indexed at another precision of the same model (e.g. int8 vs fp32): its vectors differ slightly from this one's. */
export class PrecisionMismatchError extends StoreError {
  override readonly name = 'PrecisionMismatchError';

  constructor(
    readonly dataDir: string,
    readonly modelName: string,
    readonly recordedPrecision: string,
    readonly requestedPrecision: string,
  ) {
    super(
      `The index in ${dataDir} was built with model "${modelName}" at precision ${recordedPrecision}, ` +
        `but precision ${requestedPrecision} is configured (SIS_DTYPE / SIS_DTYPE_VISION / SIS_DTYPE_TEXT, or "dtype" in the config file). ` +
        `Mixing precisions in one index would compare slightly different vectors: set the precision back to ${recordedPrecision} to use this index, ` +
        `use another data directory for ${requestedPrecision}, or rebuild this one from scratch (delete its catalogue.sqlite and image_index.* files, then reindex).`,
    );
  }
}

/** Who holds a data directory's writer lock, as recorded in the lock file. */
export interface LockHolder {
  pid: number;
  hostname: string;
  /** ISO 8601 time at which the holder took the lock. */
  startedAt: string;
}

/** Another process holds the data directory's writer lock. */
export class WriterLockError extends StoreError {
  override readonly name = 'WriterLockError';

  constructor(
    readonly dataDir: string,
    readonly lockPath: string,
    readonly holder: LockHolder,
  ) {
    super(
      `Another indexer is already writing to ${dataDir}: process ${holder.pid} on host "${holder.hostname}", ` +
        `running since ${holder.startedAt}. Wait for it to finish or stop it; if that process is no longer running ` +
        `(for example it ran on another machine or container), delete ${lockPath}.`,
    );
  }
}

/** A write (apply, saveIndex, ...) on a library opened for reading. */
export class ReadOnlyLibraryError extends StoreError {
  override readonly name = 'ReadOnlyLibraryError';
}

/** Bad arguments: wrong vector dimension, non-finite or non-normalised vector, relative or duplicate path. */
export class InvalidInputError extends StoreError {
  override readonly name = 'InvalidInputError';
}

/** The catalogue cannot be used: written by a newer version, or its invariants are broken. */
export class CatalogueError extends StoreError {
  override readonly name: string = 'CatalogueError';
}

/** image_index.faiss could not be written (nothing was replaced; the catalogue is unaffected). */
export class IndexSaveError extends StoreError {
  override readonly name = 'IndexSaveError';
}

/** The data directory cannot be written (read-only mount, no permission): indexing is impossible, searching still works. */
export class DataDirNotWritableError extends StoreError {
  override readonly name = 'DataDirNotWritableError';

  constructor(
    readonly dataDir: string,
    readonly reason: string,
  ) {
    super(
      `The data directory ${dataDir} is not writable (${reason}): nothing was changed, and searching it still works. ` +
        'Make it writable, or set SIS_DATA_DIR to a writable folder, to index.',
    );
  }
}

/** A catalogue commit failed to reach the disk (full disk, I/O error): that batch was rolled back, everything committed before it is intact. */
export class DiskWriteError extends StoreError {
  override readonly name = 'DiskWriteError';

  constructor(
    readonly dataDir: string,
    readonly reason: string,
  ) {
    super(
      `Could not write to the catalogue in ${dataDir} (${reason}). The last batch was rolled back; everything indexed ` +
        'before it is intact and searchable. Free some disk space and run reindex again: it continues where it stopped.',
    );
  }
}

/** Another process (on this host or another) is reindexing the same folder into the same catalogue. */
export class ReindexRunningError extends StoreError {
  override readonly name = 'ReindexRunningError';
  constructor(
    readonly root: string,
    readonly holder: { host: string; pid: number; startedAt: number } | undefined,
  ) {
    super(
      holder
        ? `A reindex of ${root} is already running (host ${holder.host}, pid ${holder.pid}, since ${new Date(holder.startedAt).toISOString()}): wait for it to finish, or stop it there.`
        : `A reindex of ${root} is already running in another process: wait for it to finish, or stop it there.`,
    );
  }
}

/**
 * The claim on a folder's reindex ended with its PostgreSQL session (a restart, a cut connection) and another
 * process took it meanwhile: this run stops before its next commit (that batch is not written).
 */
export class ReindexClaimLostError extends StoreError {
  override readonly name = 'ReindexClaimLostError';
  constructor(
    readonly root: string,
    readonly holder: { host: string; pid: number; startedAt: number } | undefined,
  ) {
    super(
      `The claim on reindexing ${root} was lost when its PostgreSQL session ended, and ${
        holder ? `host ${holder.host}, pid ${holder.pid} (since ${new Date(holder.startedAt).toISOString()})` : 'another process'
      } has taken it: this run stopped without committing its current batch; every batch committed before is kept, and the other run carries on.`,
    );
  }
}
