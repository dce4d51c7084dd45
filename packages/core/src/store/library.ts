import fs from 'node:fs';
import path from 'node:path';
import { removeLeftoverTemporaryFiles } from './atomicFile';
import { Catalogue, CATALOGUE_FILE_NAME, type CatalogueMeta } from './catalogue';
import {
  DEFAULT_PRECISION,
  DataDirNotWritableError,
  DiskWriteError,
  IndexSaveError,
  InvalidInputError,
  ModelMismatchError,
  PrecisionMismatchError,
  ReadOnlyLibraryError,
  StoreError,
  type ModelIdentity,
} from './errors';
import { buildIndex, buildIndexInBackground, BuildCancelledError, type BuiltIndex, type VectorSource } from './indexBuild';
import { indexFilePaths, loadIndexFile, saveIndexFiles } from './indexFile';
import { rebuildReason, resolveIndexSettings, type IndexDescriptor, type IndexSettings } from './indexPlan';
import { WriterLock } from './lock';
import type {
  KnownFileState,
  LibraryChanges,
  LibraryStats,
  OpenLibraryOptions,
  ScoredImage,
  CatalogueSkippedFile,
  StoredImage,
} from './types';
import { normalisedQuery, validateChanges } from './validation';
import type { VectorIndex } from './vectorIndex';

/** The in-memory vector index and the catalogue state it mirrors. Its labels are catalogue ids. */
interface LoadedIndex {
  vectors: VectorIndex;
  descriptor: IndexDescriptor;
  catalogueId: string;
  generation: number;
  loadedFrom: 'file' | 'catalogue';
  rebuildReason: string | null;
}

/** A replacement index being built in the background while the current one keeps serving. */
interface BackgroundRebuild {
  reason: string;
  startedAt: number;
  /** Largest id the build has read: changes to ids above it need no replay (the build reads them later). */
  readUpTo: number;
  vectorsRead: number;
  /** Vector changes committed since the build started to ids it had already read: replayed onto the new index before the swap. */
  journal: { removedIds: number[]; addedIds: number[]; added: Float32Array }[];
  cancelled: boolean;
  done: Promise<void>;
}

/** How the last background rebuild ended. */
interface RebuildOutcome {
  reason: string;
  finishedAt: number;
  error: string | null;
  timings: BuiltIndex['timings'] | null;
  /** Changes committed during the build to vectors it had already read, replayed before the swap. */
  replayed: number;
}

/**
 * The catalogue (SQLite, source of truth, embeddings included) plus the FAISS index built from it.
 *
 * Writers (one per data directory, enforced by a lock file) commit catalogue changes in single transactions
 * that bump the generation, and write image_index.faiss only at checkpoints (saveIndex, close). On open, an
 * index file that does not match the catalogue (id, generation, count, checksum) is rebuilt from the stored embeddings,
 * so a crash at any moment loses at most the uncommitted batch and never leaves them disagreeing.
 *
 * Readers take no lock and write nothing: they load (or rebuild in memory) the state committed when they
 * opened, and see later commits only after refresh(). Readers memory-map IVF indexes.
 *
 * The vector index is chosen by collection size and memory budget (indexPlan.ts). Updates are incremental
 * (adds without retraining, deletions by id); when the collection outgrows the index (crosses out of the
 * flat or HNSW range, or an IVF index reaches retrainGrowth times what it was trained for), a writer builds
 * a replacement in the background (training and adding on the thread pool), replays the changes committed
 * meanwhile, swaps it in and saves it. whenIndexReady() waits for that; close() abandons it.
 */
export class ImageLibrary {
  private closed = false;
  private state: LoadedIndex;
  /** Generation held by image_index.faiss on disk (writers), undefined if unknown or never saved. */
  private savedGeneration: number | undefined;
  private rebuild: BackgroundRebuild | undefined;
  private lastRebuild: RebuildOutcome | undefined;
  /** After a failed background rebuild, none is tried again before the collection reaches this size. */
  private retryRebuildAt = 0;

  private constructor(
    readonly dataDir: string,
    readonly writable: boolean,
    private readonly model: ModelIdentity,
    private catalogue: Catalogue,
    private readonly lock: WriterLock | undefined,
    private readonly settings: IndexSettings,
  ) {
    this.state = this.loadIndex();
  }

  static open(dataDir: string, options: OpenLibraryOptions): ImageLibrary {
    const model: ModelIdentity = { modelName: options.modelName, dimension: options.dimension, precision: options.precision ?? DEFAULT_PRECISION };
    const settings = resolveIndexSettings(options.index);
    if (typeof model.modelName !== 'string' || model.modelName.trim() === '') throw new InvalidInputError('The model name must not be empty.');
    if (!Number.isSafeInteger(model.dimension) || model.dimension <= 0) {
      throw new InvalidInputError(`The embedding dimension must be a positive integer, got ${model.dimension}.`);
    }
    const dir = path.resolve(dataDir);
    if (!options.writable) return ImageLibrary.openReader(dir, model, settings);
    try {
      return openRetryingWhileBusy(() => ImageLibrary.openWriter(dir, model, settings));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM' || code === 'SQLITE_READONLY') {
        throw new DataDirNotWritableError(dir, (error as Error).message);
      }
      throw error;
    }
  }

  private static openWriter(dataDir: string, model: ModelIdentity, settings: IndexSettings): ImageLibrary {
    fs.mkdirSync(dataDir, { recursive: true });
    const catalogue = Catalogue.openForWriting(path.join(dataDir, CATALOGUE_FILE_NAME));
    let lock: WriterLock;
    try {
      lock = WriterLock.acquire(dataDir, { withExclusiveAccess: (fn) => catalogue.withExclusiveAccess(fn) });
    } catch (error) {
      catalogue.close();
      throw error;
    }
    try {
      checkModel(dataDir, catalogue.initialise(model), model);
      // Only the lock holder touches these: leftovers of a writer that crashed while saving (or locking).
      const { indexPath, sidecarPath } = indexFilePaths(dataDir);
      for (const target of [indexPath, sidecarPath, lock.lockPath]) removeLeftoverTemporaryFiles(target);
      // Cannot happen through apply(); repairs a catalogue edited by hand rather than refusing to open it.
      if (!catalogue.positionsAreContiguous()) catalogue.renumberPositions();
      const library = new ImageLibrary(dataDir, true, model, catalogue, lock, settings);
      if (library.state.loadedFrom === 'catalogue') library.saveRebuiltIndex();
      library.maybeStartRebuild();
      return library;
    } catch (error) {
      lock.release();
      catalogue.close();
      throw error;
    }
  }

  private static openReader(dataDir: string, model: ModelIdentity, settings: IndexSettings): ImageLibrary {
    const catalogue = ImageLibrary.openCatalogueForReading(dataDir, model);
    try {
      checkModel(dataDir, catalogue.requireMeta(), model);
      return new ImageLibrary(dataDir, false, model, catalogue, undefined, settings);
    } catch (error) {
      catalogue.close();
      throw error;
    }
  }

  /** Nothing indexed yet reads as an empty library (and creates nothing), so searching it simply finds nothing. */
  private static openCatalogueForReading(dataDir: string, model: ModelIdentity): Catalogue {
    const file = path.join(dataDir, CATALOGUE_FILE_NAME);
    return (fs.existsSync(file) ? Catalogue.openForReading(file) : undefined) ?? Catalogue.empty(model);
  }

  get dimension(): number {
    return this.model.dimension;
  }

  get modelName(): string {
    return this.model.modelName;
  }

  /** Indexed images (what search covers). */
  count(): number {
    this.assertOpen();
    return this.state.vectors.size;
  }

  /** Every catalogued file, indexed or skipped, by path: what an incremental reindex diffs against. */
  fileStates(): Map<string, KnownFileState> {
    this.assertOpen();
    return this.catalogue.fileStates();
  }

  /**
   * Commits one batch in a single catalogue transaction, then brings the in-memory index along: removed
   * and replaced vectors leave it by id, new ones are added (never retrained here). The index file is not
   * written here: call saveIndex() at checkpoints (close() does too). May start a background rebuild.
   */
  apply(changes: LibraryChanges): void {
    this.assertWritable('apply changes');
    const committed = commitOrExplain(this.dataDir, () => this.catalogue.apply(validateChanges(changes, this.dimension), Date.now()));
    if (committed.generation === this.state.generation) return; // Skipped-file bookkeeping only: vectors untouched.
    try {
      const { vectors } = this.state;
      const removed = vectors.remove(committed.removedIds);
      if (removed !== committed.removedIds.length) {
        throw new StoreError(`Removing ${committed.removedIds.length} vectors from the index removed ${removed}.`);
      }
      const appended = new Float32Array(changes.upsertIndexed.length * this.dimension);
      changes.upsertIndexed.forEach((image, i) => appended.set(image.embedding, i * this.dimension));
      vectors.add(committed.appendedIds, appended);
      if (vectors.size !== committed.indexedCount) {
        throw new StoreError(`In-memory index has ${vectors.size} vectors after the update, the catalogue ${committed.indexedCount}.`);
      }
      this.state = { ...this.state, generation: committed.generation };
      if (this.rebuild) journalChanges(this.rebuild, committed, appended, this.dimension);
    } catch (error) {
      // The catalogue is committed and is the truth: rebuild the in-memory copy from it.
      this.cancelRebuild();
      this.state = this.loadIndex(`updating the in-memory index failed (${(error as Error).message})`);
    }
    this.maybeStartRebuild();
  }

  /** Atomically writes image_index.faiss and its sidecar if the catalogue changed since the last save. */
  saveIndex(): void {
    this.assertWritable('save the index');
    if (this.savedGeneration === this.state.generation) return;
    saveIndexFiles(this.dataDir, this.state.vectors, { catalogueId: this.state.catalogueId, generation: this.state.generation }, this.state.descriptor);
    this.savedGeneration = this.state.generation;
  }

  /**
   * Resolves once no background rebuild is running (at once when none is). A reindex awaits this before its
   * final save, so that a short-lived process leaves the rebuilt index on disk.
   */
  async whenIndexReady(): Promise<void> {
    while (this.rebuild && !this.closed) await this.rebuild.done;
  }

  /** Saves an index rebuilt at open. Not fatal if it fails (e.g. disk full): it stays unsaved and close() retries. */
  private saveRebuiltIndex(): void {
    try {
      this.saveIndex();
    } catch (error) {
      if (!(error instanceof IndexSaveError)) throw error;
    }
  }

  /** The k most similar indexed images, best first. k is clamped to count(); an empty library gives []. */
  search(query: Float32Array, k: number): ScoredImage[] {
    this.assertOpen();
    const hits = this.state.vectors.search(normalisedQuery(query, this.dimension), k);
    if (hits.length === 0) return [];
    const ids = hits.map((hit) => hit.id);
    const images = this.catalogue.getImagesByIds(ids);
    const results: ScoredImage[] = [];
    hits.forEach((hit, i) => {
      // A reader's snapshot may name a file a writer has removed since: leave it out.
      const image = images.get(ids[i] ?? -1);
      if (image) results.push({ image, score: hit.score });
    });
    return results;
  }

  getByPath(filePath: string): StoredImage | undefined {
    this.assertOpen();
    return this.catalogue.getStoredImage({ path: filePath }, this.dimension);
  }

  getById(id: number): StoredImage | undefined {
    this.assertOpen();
    return this.catalogue.getStoredImage({ id }, this.dimension);
  }

  /** Files remembered as not embeddable, by path. */
  skipped(): CatalogueSkippedFile[] {
    this.assertOpen();
    return this.catalogue.skipped();
  }

  /** Records the current file identity (device, inode) of catalogued files found unchanged; vectors untouched. */
  recordFileIdentities(files: readonly { path: string; device: string; inode: string }[]): void {
    this.assertWritable('record file identities');
    this.catalogue.recordFileIdentities(files);
  }

  /** Records that a reindex finished (shown by stats()). */
  recordReindex(completedAt: number = Date.now()): void {
    this.assertWritable('record a reindex');
    this.catalogue.recordReindex(completedAt);
  }

  /**
   * Readers: picks up what writers committed since this library was opened (or last refreshed). Returns true
   * if anything changed. Cheap when nothing did; otherwise loads the saved index, or rebuilds it in memory if
   * the writer has not saved yet. Writers are always current: false.
   */
  refresh(): boolean {
    this.assertOpen();
    if (this.writable) return false;
    const file = path.join(this.dataDir, CATALOGUE_FILE_NAME);
    if (this.catalogue.filePath !== file) {
      const opened = fs.existsSync(file) ? Catalogue.openForReading(file) : undefined;
      if (!opened) return false;
      try {
        checkModel(this.dataDir, opened.requireMeta(), this.model);
      } catch (error) {
        opened.close();
        throw error;
      }
      this.catalogue.close();
      this.catalogue = opened;
    } else if (this.catalogue.generation() === this.state.generation) {
      return false;
    }
    this.state = this.loadIndex();
    return true;
  }

  stats(): LibraryStats {
    this.assertOpen();
    const info = this.state.vectors.info();
    const { descriptor } = this.state;
    const fileBytes = fileSizeOrNull(indexFilePaths(this.dataDir).indexPath);
    return this.catalogue.snapshot(() => {
      const meta = this.catalogue.requireMeta();
      const skippedByReason = this.catalogue.skippedCountsByReason();
      return {
        dataDir: this.dataDir,
        modelName: meta.modelName,
        dimension: meta.dimension,
        precision: meta.precision,
        indexedImages: this.catalogue.countIndexed(),
        skippedFiles: Object.values(skippedByReason).reduce((sum, n) => sum + n, 0),
        skippedByReason,
        generation: meta.generation,
        lastReindexAt: meta.lastReindexAt,
        index: {
          type: info.description,
          kind: descriptor.kind,
          factory: descriptor.factory,
          choice: descriptor.reason,
          vectors: info.size,
          tombstones: info.tombstones,
          builtFor: descriptor.builtFor,
          searchParams: { ...descriptor.searchParams, ...pick(info, ['nprobe', 'efSearch']) },
          targetRecall: descriptor.targetRecall,
          measuredRecall: descriptor.measuredRecall,
          memoryBytes: info.memoryBytes,
          mappedBytes: info.mappedBytes,
          fileBytes,
          loadedFrom: this.state.loadedFrom,
          rebuildReason: this.state.rebuildReason,
          unsavedChanges: this.writable && this.savedGeneration !== this.state.generation,
          rebuilding: this.rebuild ? { reason: this.rebuild.reason, startedAt: this.rebuild.startedAt, vectorsRead: this.rebuild.vectorsRead } : null,
          lastRebuild: this.lastRebuild ? { ...this.lastRebuild } : null,
        },
      };
    });
  }

  /** Writers save unsaved index changes, then release the lock. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.cancelRebuild();
    try {
      if (this.writable) this.saveIndex();
    } finally {
      this.closed = true;
      this.lock?.release();
      this.catalogue.close();
    }
  }

  /**
   * Loads image_index.faiss if its sidecar matches the catalogue, else rebuilds from the stored embeddings,
   * all within one read transaction so that ids, vectors and generation belong to the same commit.
   */
  private loadIndex(forcedRebuildReason?: string): LoadedIndex {
    const { dimension } = this.model;
    const loaded = this.catalogue.snapshot((): LoadedIndex => {
      const { catalogueId, generation } = this.catalogue.requireMeta();
      const count = this.catalogue.countIndexed();
      const fromFile =
        forcedRebuildReason !== undefined
          ? { rebuildReason: forcedRebuildReason }
          : this.catalogue.filePath === ':memory:'
            ? { rebuildReason: 'nothing has been indexed yet' }
            : loadIndexFile(this.dataDir, { catalogueId, generation, ntotal: count, dimension }, { mmap: !this.writable });
      if ('index' in fromFile) {
        fromFile.index.applySearchParameters(this.settings.searchParams);
        return { vectors: fromFile.index, descriptor: fromFile.descriptor, catalogueId, generation, loadedFrom: 'file', rebuildReason: null };
      }
      const built = buildIndex(this.vectorSource(), dimension, this.settings, fromFile.stale ? { reuse: fromFile.stale } : {});
      if (built.index.size !== count) {
        throw new StoreError(`Rebuilt ${built.index.size} vectors from ${this.catalogue.filePath}, which lists ${count} indexed images.`);
      }
      return { vectors: built.index, descriptor: built.descriptor, catalogueId, generation, loadedFrom: 'catalogue', rebuildReason: fromFile.rebuildReason };
    });
    if (loaded.loadedFrom === 'file') this.savedGeneration = loaded.generation;
    return loaded;
  }

  /** The catalogue's stored embeddings, as index builds read them. */
  private vectorSource(): VectorSource {
    const { dimension } = this.model;
    return {
      ids: () => this.catalogue.indexedIds(),
      byIds: (ids) => this.catalogue.embeddingsByIds(ids, dimension),
      chunk: (afterId, limit) => this.catalogue.embeddingChunk(afterId, limit, dimension),
    };
  }

  /** Writers: starts a background rebuild when the index no longer suits the collection (see indexPlan.ts). */
  private maybeStartRebuild(): void {
    if (!this.writable || this.closed || this.rebuild) return;
    const info = this.state.vectors.info();
    if (info.size < this.retryRebuildAt) return;
    const reason = rebuildReason(this.state.descriptor, { count: info.size, stored: info.size + info.tombstones, tombstones: info.tombstones }, this.dimension, this.settings);
    if (reason !== undefined) this.startRebuild(reason);
  }

  private startRebuild(reason: string): void {
    const rebuild: BackgroundRebuild = { reason, startedAt: Date.now(), readUpTo: -1, vectorsRead: 0, journal: [], cancelled: false, done: Promise.resolve() };
    this.rebuild = rebuild;
    const isCancelled = () => rebuild.cancelled || this.closed;
    rebuild.done = (async () => {
      try {
        const built = await buildIndexInBackground(this.vectorSource(), this.dimension, this.settings, {
          cancelled: isCancelled,
          onRead: (lastId, count) => {
            rebuild.readUpTo = lastId;
            rebuild.vectorsRead += count;
          },
        });
        if (isCancelled()) return;
        const replayed = this.swapIn(built, rebuild);
        this.lastRebuild = { reason, finishedAt: Date.now(), error: null, timings: built.timings, replayed };
      } catch (error) {
        if (error instanceof BuildCancelledError || isCancelled()) return;
        // Keep serving the current index; try again only once the collection has grown by a tenth.
        this.lastRebuild = { reason, finishedAt: Date.now(), error: (error as Error).message, timings: null, replayed: 0 };
        this.retryRebuildAt = Math.ceil(this.state.vectors.size * 1.1) + 1;
      } finally {
        if (this.rebuild === rebuild) this.rebuild = undefined;
      }
      if (!this.closed) this.maybeStartRebuild();
    })();
  }

  /** Replays the changes committed during the build onto the new index, checks it, swaps it in and saves it. */
  private swapIn(built: BuiltIndex, rebuild: BackgroundRebuild): number {
    const { dimension } = this.model;
    const latest = new Map<number, Float32Array | null>();
    for (const entry of rebuild.journal) {
      for (const id of entry.removedIds) latest.set(id, null);
      entry.addedIds.forEach((id, i) => latest.set(id, entry.added.subarray(i * dimension, (i + 1) * dimension)));
    }
    built.index.remove([...latest.keys()]);
    const readd = [...latest].filter((entry): entry is [number, Float32Array] => entry[1] !== null);
    const vectors = new Float32Array(readd.length * dimension);
    readd.forEach(([, vector], i) => vectors.set(vector, i * dimension));
    built.index.add(
      readd.map(([id]) => id),
      vectors,
    );
    const count = this.catalogue.countIndexed();
    if (built.index.size !== count) {
      throw new StoreError(`The rebuilt index holds ${built.index.size} vectors, the catalogue ${count}: not swapped in.`);
    }
    this.state = { ...this.state, vectors: built.index, descriptor: built.descriptor, loadedFrom: 'catalogue', rebuildReason: rebuild.reason };
    this.savedGeneration = undefined;
    this.saveRebuiltIndex();
    return latest.size;
  }

  private cancelRebuild(): void {
    if (!this.rebuild) return;
    this.rebuild.cancelled = true;
    this.rebuild = undefined;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError(`The image library in ${this.dataDir} is closed.`);
  }

  private assertWritable(action: string): void {
    this.assertOpen();
    if (!this.writable) throw new ReadOnlyLibraryError(`Cannot ${action}: the image library in ${this.dataDir} was opened read-only.`);
  }
}

function checkModel(dataDir: string, recorded: CatalogueMeta, requested: ModelIdentity): void {
  if (recorded.modelName !== requested.modelName || recorded.dimension !== requested.dimension) {
    throw new ModelMismatchError(
      dataDir,
      { modelName: recorded.modelName, dimension: recorded.dimension },
      { modelName: requested.modelName, dimension: requested.dimension },
    );
  }
  const requestedPrecision = requested.precision ?? DEFAULT_PRECISION;
  if (recorded.precision !== requestedPrecision) {
    throw new PrecisionMismatchError(dataDir, recorded.modelName, recorded.precision, requestedPrecision);
  }
}

/** Records the part of a committed change that a background build has already read past (see BackgroundRebuild). */
function journalChanges(rebuild: BackgroundRebuild, committed: { removedIds: number[]; appendedIds: number[] }, appended: Float32Array, dimension: number): void {
  const removedIds = committed.removedIds.filter((id) => id <= rebuild.readUpTo);
  const keep = committed.appendedIds.map((id, i) => [id, i] as const).filter(([id]) => id <= rebuild.readUpTo);
  if (removedIds.length === 0 && keep.length === 0) return;
  const added = new Float32Array(keep.length * dimension);
  keep.forEach(([, i], j) => added.set(appended.subarray(i * dimension, (i + 1) * dimension), j * dimension));
  rebuild.journal.push({ removedIds, addedIds: keep.map(([id]) => id), added });
}

function fileSizeOrNull(filePath: string): number | null {
  try {
    return fs.statSync(filePath).size;
  } catch {
    return null;
  }
}

function pick(info: { nprobe?: number; efSearch?: number }, keys: readonly ('nprobe' | 'efSearch')[]): Record<string, number> {
  const picked: Record<string, number> = {};
  for (const key of keys) if (info[key] !== undefined) picked[key] = info[key];
  return picked;
}

/** SQLite's "disk is full" (or any write I/O failure) becomes an error that says what happened and what is safe. */
function commitOrExplain<T>(dataDir: string, commit: () => T): T {
  try {
    return commit();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'SQLITE_FULL' || (typeof code === 'string' && code.startsWith('SQLITE_IOERR'))) {
      throw new DiskWriteError(dataDir, (error as Error).message);
    }
    throw error;
  }
}

/**
 * Two writers opening at the same moment can meet SQLite's "database is locked" while one of them
 * switches the catalogue's journal mode (a writer's close leaves it in rollback-journal mode, see
 * Catalogue.close). That is transient: try again shortly, and the loser then meets the writer lock.
 */
function openRetryingWhileBusy<T>(open: () => T, attempts = 5): T {
  for (let attempt = 1; ; attempt++) {
    try {
      return open();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code !== 'string' || !code.startsWith('SQLITE_BUSY') || attempt >= attempts) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50 * attempt);
    }
  }
}
