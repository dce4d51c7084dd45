import fs from 'node:fs';
import path from 'node:path';
import { removeLeftoverTemporaryFiles } from './atomicFile';
import type { Catalogue, CatalogueMeta } from './catalogue';
import {
  DEFAULT_PRECISION,
  DataDirNotWritableError,
  DiskWriteError,
  InvalidInputError,
  ModelMismatchError,
  PrecisionMismatchError,
  ReadOnlyLibraryError,
  StoreError,
  type ModelIdentity,
} from './errors';
import { FollowingIndex, type IndexChange } from './followingIndex';
import { indexFilePaths } from './indexFile';
import { resolveIndexSettings, type IndexSettings } from './indexPlan';
import { WriterLock } from './lock';
import { ModelSwitchedError, type CompletedSwitch, type StagedModel, type StagedVector, type StagingTarget } from './modelStaging';
import { filterableById, type FilterableImage } from './metadataRows';
import type { VectorHit } from './vectorIndex';
import type { QueryKind, TuningQueryProvider } from './tuning';
import { nearest, nearestAmong, type VectorSearchSource } from './vectorSearch';
import type { ImageMetadata } from '../metadata';
import { CATALOGUE_FILE_NAME, SqliteCatalogue } from './sqliteCatalogue';
import type { CatalogueImage, ImageStore, KnownFileState, LibraryChanges, LibraryStats, OpenLibraryOptions, ScoredImage, CatalogueSkippedFile, StoredImage } from './types';
import { normalisedQuery, validateChanges } from './validation';

/**
 * The store the engine talks to: a catalogue (the source of truth, embeddings included: SQLite in the data
 * directory, or any other Catalogue such as PostgreSQL) plus the FAISS index that follows it (followingIndex.ts).
 *
 * Writers commit each batch in one catalogue transaction, then bring the index along; they write
 * image_index.faiss only at checkpoints (checkpoint(), close()). On open, an index file that does not match the
 * catalogue is rebuilt from the stored embeddings, so a crash at any moment loses at most the uncommitted batch
 * and never leaves them disagreeing. With SQLite there is one writer per data directory (a lock file).
 *
 * Readers take no lock and write nothing: they load (or rebuild in memory) the state committed when they
 * opened, and see later commits only after refresh().
 */
export class ImageLibrary implements ImageStore {
  private closed = false;
  /**
   * PostgreSQL: the indexed rows, kept in step with the index, so that a search needs no round trip and goes on
   * answering from what this process has while PostgreSQL is unreachable. Undefined for SQLite (local anyway).
   */
  private rows: Map<number, CatalogueImage> | undefined;
  private rowsNeedReload = false;
  private filterable: { key: string; images: FilterableImage[] } | undefined;
  private metadataWrites = 0;

  private constructor(
    readonly dataDir: string,
    readonly writable: boolean,
    private model: ModelIdentity,
    private catalogue: Catalogue,
    private readonly lock: WriterLock | undefined,
    private readonly index: FollowingIndex,
  ) {}

  /** The embedded library: catalogue.sqlite and the index files in dataDir. */
  static open(dataDir: string, options: OpenLibraryOptions): ImageLibrary {
    const model = modelOf(options);
    const settings = resolveIndexSettings(options.index);
    const dir = path.resolve(dataDir);
    if (!options.writable) return ImageLibrary.openSqliteReader(dir, model, settings, options.tuningQueries);
    try {
      return openRetryingWhileBusy(() => ImageLibrary.openSqliteWriter(dir, model, settings, options.tuningQueries));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM' || code === 'SQLITE_READONLY') {
        throw new DataDirNotWritableError(dir, (error as Error).message);
      }
      throw error;
    }
  }

  /**
   * A library over a catalogue the caller opened (PostgreSQL): its index files (a local cache) live in
   * dataDir. Takes ownership of the catalogue (closed with the library, or at once if opening fails).
   */
  static openCatalogue(catalogue: Catalogue, dataDir: string, options: OpenLibraryOptions): ImageLibrary {
    try {
      const model = modelOf(options);
      const settings = resolveIndexSettings(options.index);
      const dir = path.resolve(dataDir);
      fs.mkdirSync(dir, { recursive: true });
      const meta = options.writable ? catalogue.initialise(model) : catalogue.readMeta();
      if (!meta) throw new StoreError(`${catalogue.location} holds no catalogue yet: run a reindex first.`);
      checkModel(catalogue.location, meta, model);
      if (options.writable) removeIndexLeftovers(dir, []);
      // The index tells the library what moved; the library exists only once the index is open.
      const owner: { library?: ImageLibrary } = {};
      const index = FollowingIndex.open(catalogue, {
        dimension: model.dimension,
        settings,
        dataDir: dir,
        role: options.writable ? 'writer' : 'reader',
        catchUpStaleFile: true,
        ...(options.tuningQueries ? { tuningQueries: options.tuningQueries } : {}),
        onChange: (change) => owner.library?.updateRows(change),
      });
      const library = new ImageLibrary(dir, options.writable, model, catalogue, undefined, index);
      owner.library = library;
      library.updateRows('reloaded');
      return library;
    } catch (error) {
      catalogue.close();
      throw error;
    }
  }

  private static openSqliteWriter(dataDir: string, model: ModelIdentity, settings: IndexSettings, tuningQueries?: TuningQueryProvider): ImageLibrary {
    fs.mkdirSync(dataDir, { recursive: true });
    const catalogue = SqliteCatalogue.openForWriting(path.join(dataDir, CATALOGUE_FILE_NAME));
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
      removeIndexLeftovers(dataDir, [lock.lockPath]);
      const index = FollowingIndex.open(catalogue, { dimension: model.dimension, settings, dataDir, role: 'writer', ...(tuningQueries ? { tuningQueries } : {}) });
      return new ImageLibrary(dataDir, true, model, catalogue, lock, index);
    } catch (error) {
      lock.release();
      catalogue.close();
      throw error;
    }
  }

  private static openSqliteReader(dataDir: string, model: ModelIdentity, settings: IndexSettings, tuningQueries?: TuningQueryProvider): ImageLibrary {
    const catalogue = ImageLibrary.openSqliteForReading(dataDir, model);
    try {
      checkModel(dataDir, requireMeta(catalogue), model);
      const index = FollowingIndex.open(catalogue, { dimension: model.dimension, settings, dataDir, role: 'reader', ...(tuningQueries ? { tuningQueries } : {}) });
      return new ImageLibrary(dataDir, false, model, catalogue, undefined, index);
    } catch (error) {
      catalogue.close();
      throw error;
    }
  }

  /** Nothing indexed yet reads as an empty library (and creates nothing), so searching it simply finds nothing. */
  private static openSqliteForReading(dataDir: string, model: ModelIdentity): SqliteCatalogue {
    const file = path.join(dataDir, CATALOGUE_FILE_NAME);
    return (fs.existsSync(file) ? SqliteCatalogue.openForReading(file) : undefined) ?? SqliteCatalogue.empty(model);
  }

  get dimension(): number {
    return this.model.dimension;
  }

  get modelName(): string {
    return this.model.modelName;
  }

  /** Where the catalogue lives (a file path, or a URL without its password). */
  get catalogueLocation(): string {
    return this.catalogue.location;
  }

  /** The change sequence (generation) the search index is at: cheap, no catalogue round trip. */
  get indexGeneration(): number {
    return this.index.generation;
  }

  /** Indexed images (what search covers). */
  count(): number {
    this.assertOpen();
    return this.index.size;
  }

  /** Every catalogued file, indexed or skipped, by path: what an incremental reindex diffs against. */
  fileStates(): Map<string, KnownFileState> {
    this.assertOpen();
    return this.catalogue.fileStates();
  }

  /**
   * Commits one batch in a single catalogue transaction, then brings the in-memory index along (never
   * retrained here; a background rebuild may start). Durable at once in the catalogue; the index file is
   * written at checkpoint() (close() does too).
   */
  apply(changes: LibraryChanges): void {
    this.assertWritable('apply changes');
    const valid = validateChanges(changes, this.dimension);
    const committed = commitOrExplain(this.dataDir, () => this.catalogue.apply(valid, Date.now()));
    const appended = new Float32Array(changes.upsertIndexed.length * this.dimension);
    changes.upsertIndexed.forEach((image, i) => appended.set(image.embedding, i * this.dimension));
    this.index.applyCommitted(committed, appended);
  }

  /** Makes what was applied so far quick to reopen: writes the index file if it moved since the last one. */
  checkpoint(): void {
    this.assertWritable('save the index');
    this.index.save();
  }

  /**
   * Resolves once background work that earlier changes started (an index rebuild when the collection outgrew
   * its index) has finished. A reindex awaits this before its final checkpoint, so that a short-lived process
   * leaves the rebuilt index on disk.
   */
  async settled(): Promise<void> {
    if (!this.closed) await this.index.whenRebuilt();
  }

  /**
   * The k most similar indexed images, best first. k is clamped to count(); an empty library gives []. `kind`
   * ('text' for a text query) picks the search parameters tuned for that kind of query (tuning.ts). An
   * approximate index's candidates are re-scored with the stored vectors (vectorSearch.ts).
   */
  search(query: Float32Array, k: number, kind?: QueryKind): ScoredImage[] {
    this.assertOpen();
    return this.withRows(nearest(this.vectorSource, normalisedQuery(query, this.dimension), k, kind));
  }

  /**
   * The k most similar among the given ids (a filter's selection), best first: the true top-k of that subset
   * when the index is exact, or when the subset is small enough to scan its stored vectors exactly
   * (EXACT_SUBSET_MAX); otherwise the approximate index searched with a FAISS ID selector (vectorSearch.ts).
   */
  searchAmong(query: Float32Array, k: number, ids: readonly number[], options: { exactSubsetMax?: number; kind?: QueryKind } = {}): ScoredImage[] {
    this.assertOpen();
    if (ids.length === 0 || k < 1) return [];
    return this.withRows(nearestAmong(this.vectorSource, normalisedQuery(query, this.dimension), k, ids, options));
  }

  /** What vectorSearch.ts reads: the index, the stored vectors, and whether a replica may answer without them. */
  private get vectorSource(): VectorSearchSource {
    return {
      dimension: this.dimension,
      index: this.index,
      embeddingsByIds: (ids) => this.catalogue.embeddingsByIds(ids, this.dimension),
      answersWithoutCatalogue: this.rows !== undefined,
    };
  }

  /**
   * Every indexed image with what filters and date sorting need, cached until the catalogue changes (a commit,
   * a reindex's end, or metadata recorded by this process).
   */
  filterableImages(): readonly FilterableImage[] {
    this.assertOpen();
    const meta = this.catalogue.readMeta();
    const key = `${meta?.generation ?? 0}:${meta?.lastReindexAt ?? 0}:${this.metadataWrites}`;
    if (this.filterable?.key !== key) this.filterable = { key, images: this.catalogue.filterableImages() };
    return this.filterable.images;
  }

  /** What filterableImages() holds for the given ids (others left out), without loading every row: for search hits. */
  filterableImagesByIds(ids: readonly number[]): Map<number, FilterableImage> {
    this.assertOpen();
    try {
      return new Map(this.catalogue.filterableImagesByIds(ids).map((image) => [image.id, image]));
    } catch (error) {
      // Metadata only describes hits: a replica whose PostgreSQL is unreachable goes on serving (getImage), from
      // the cached list when it has one, else without metadata.
      if (!this.rows) throw error;
      const cached = this.filterable?.images ?? [];
      return new Map(ids.flatMap((id) => {
        const image = filterableById(cached, id);
        return image ? [[id, image] as const] : [];
      }));
    }
  }

  /** Indexed files whose metadata has not been read yet (embedded before it was recorded). */
  pathsWithoutMetadata(): string[] {
    this.assertOpen();
    return this.catalogue.pathsWithoutMetadata();
  }

  /** Stores metadata read from files without re-embedding them (writers). */
  recordMetadata(entries: readonly { path: string; metadata: ImageMetadata }[]): void {
    this.assertWritable('record metadata');
    this.catalogue.recordMetadata(entries, Date.now());
    this.metadataWrites++;
  }

  private withRows(hits: readonly VectorHit[]): ScoredImage[] {
    if (hits.length === 0) return [];
    const ids = hits.map((hit) => hit.id);
    const images = this.rows ?? this.catalogue.getImagesByIds(ids);
    const results: ScoredImage[] = [];
    hits.forEach((hit, i) => {
      // A reader's index may name a file a writer has removed since: leave it out.
      const image = images.get(ids[i] ?? -1);
      if (image) results.push({ image, score: hit.score });
    });
    return results;
  }

  catalogueGeneration(): number {
    this.assertOpen();
    return this.catalogue.readMeta()?.generation ?? 0;
  }

  embeddingChunk(afterId: number, limit: number): { ids: number[]; vectors: Float32Array } {
    this.assertOpen();
    return this.catalogue.embeddingChunk(afterId, limit, this.dimension);
  }

  imagesByIds(ids: readonly number[]): Map<number, CatalogueImage> {
    this.assertOpen();
    if (!this.rows) return this.catalogue.getImagesByIds(ids);
    const found = new Map<number, CatalogueImage>();
    for (const id of ids) {
      const row = this.rows.get(id);
      if (row) found.set(id, row);
    }
    return found;
  }

  getByPath(filePath: string): StoredImage | undefined {
    this.assertOpen();
    return this.catalogue.getStoredImage({ path: filePath }, this.dimension);
  }

  getById(id: number): StoredImage | undefined {
    this.assertOpen();
    return this.catalogue.getStoredImage({ id }, this.dimension);
  }

  /**
   * The row of an indexed image. PostgreSQL: from the rows this process keeps beside its index, so that the
   * server goes on serving the files it knows while PostgreSQL is unreachable (the catalogue is asked only
   * when that copy is known to be incomplete, after a failed read).
   */
  getImage(id: number): CatalogueImage | undefined {
    this.assertOpen();
    const known = this.rows?.get(id);
    if (known || (this.rows && !this.rowsNeedReload)) return known;
    return this.catalogue.getImagesByIds([id]).get(id);
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

  /**
   * Claims the reindex of `root` for this process: across hosts with PostgreSQL (ReindexRunningError while
   * another holds it); with SQLite the data directory's writer lock already guarantees one writer.
   */
  claimReindex(root: string): { release(): void } {
    this.assertWritable('reindex');
    return this.catalogue.claimReindex?.(root) ?? { release: () => undefined };
  }

  /** Records that a reindex finished (shown by stats()). */
  recordReindex(completedAt: number = Date.now()): void {
    this.assertWritable('record a reindex');
    this.catalogue.recordReindex(completedAt);
  }

  /** The model switch in progress (another model's vectors being built beside these), if any. */
  stagedModel(): StagedModel | undefined {
    this.assertOpen();
    return this.catalogue.staging.stagedModel();
  }

  /** Starts building another model's vectors beside this library's (resuming a switch to the same model). */
  beginModelSwitch(model: ModelIdentity & { precision: string }): StagedModel {
    this.assertWritable('switch models');
    modelOf({ ...model, writable: true });
    return commitOrExplain(this.dataDir, () => this.catalogue.staging.beginStaging(model, Date.now()));
  }

  unstagedImages(afterId: number, limit: number): StagingTarget[] {
    this.assertWritable('switch models');
    return this.catalogue.staging.unstagedImages(afterId, limit);
  }

  stageVectors(vectors: readonly StagedVector[]): void {
    this.assertWritable('switch models');
    commitOrExplain(this.dataDir, () => this.catalogue.staging.stageVectors(vectors));
  }

  /**
   * Commits the switch (one transaction: the staged vectors and model become the library's, the old vectors
   * are deleted), then rebuilds the index from the new vectors. Synchronous: no search runs in between.
   */
  completeModelSwitch(): CompletedSwitch {
    this.assertWritable('switch models');
    const completed = commitOrExplain(this.dataDir, () => this.catalogue.staging.completeStaging());
    this.model = completed.model;
    this.index.reloadForModel(completed.model.dimension);
    return completed;
  }

  discardModelSwitch(): void {
    this.assertWritable('switch models');
    this.catalogue.staging.discardStaging();
  }

  /**
   * Readers: picks up what writers committed since this library was opened (or last refreshed). Returns true
   * if anything changed. Cheap when nothing did; otherwise follows the change log, or reloads the index (a
   * memory-mapped one, or a catalogue without a log). A SQLite writer (the only one, by its lock) is always
   * current: false. PostgreSQL writers follow the other processes' commits too.
   */
  refresh(): boolean {
    this.assertOpen();
    if (this.lock) return false;
    if (this.catalogue instanceof SqliteCatalogue && this.catalogue.location === ':memory:') {
      const file = path.join(this.dataDir, CATALOGUE_FILE_NAME);
      const opened = fs.existsSync(file) ? SqliteCatalogue.openForReading(file) : undefined;
      if (!opened) return false;
      try {
        checkModel(this.dataDir, requireMeta(opened), this.model);
      } catch (error) {
        opened.close();
        throw error;
      }
      this.catalogue.close();
      this.catalogue = opened;
      this.index.replaceCatalogue(opened);
      return true;
    }
    const meta = this.catalogue.readMeta();
    if (meta && meta.generation !== this.index.generation && (meta.modelName !== this.model.modelName || meta.dimension !== this.model.dimension)) {
      throw new ModelSwitchedError(this.catalogue.location, this.model.modelName, meta.modelName);
    }
    const moved = this.index.catchUp();
    if (!moved && this.rowsNeedReload) this.updateRows('reloaded');
    return moved;
  }

  stats(): LibraryStats {
    this.assertOpen();
    const index = this.index.stats();
    return this.catalogue.snapshot(() => {
      const meta = requireMeta(this.catalogue);
      const skippedByReason = this.catalogue.skippedCountsByReason();
      return {
        dataDir: this.dataDir,
        catalogue: this.catalogue.location,
        modelName: meta.modelName,
        dimension: meta.dimension,
        precision: meta.precision,
        indexedImages: this.catalogue.countIndexed(),
        skippedFiles: Object.values(skippedByReason).reduce((sum, n) => sum + n, 0),
        skippedByReason,
        generation: meta.generation,
        indexGeneration: this.index.generation,
        lastReindexAt: meta.lastReindexAt,
        modelSwitch: this.catalogue.staging.stagedModel() ?? null,
        index,
      };
    });
  }

  /** Writers save unsaved index changes, then release the lock. Idempotent. */
  close(): void {
    if (this.closed) return;
    try {
      this.index.close();
    } finally {
      this.closed = true;
      this.lock?.release();
      this.catalogue.close();
    }
  }

  /** Brings the row cache (PostgreSQL) along with the index: the rows of the ids it moved for, or all of them. */
  private updateRows(change: IndexChange): void {
    try {
      this.readRows(this.rowsNeedReload ? 'reloaded' : change);
      this.rowsNeedReload = false;
    } catch (error) {
      // PostgreSQL went away between a commit and this read: the cache is read again in full next time.
      this.rowsNeedReload = true;
      if (change === 'reloaded' && !this.rows) throw error;
    }
  }

  private readRows(change: IndexChange): void {
    if (change === 'reloaded') {
      const rows = new Map<number, CatalogueImage>();
      for (let afterId = -1; ; ) {
        const chunk = this.catalogue.indexedImagesChunk(afterId, ROW_CHUNK);
        for (const row of chunk) rows.set(row.id, row);
        if (chunk.length < ROW_CHUNK) break;
        afterId = chunk[chunk.length - 1]!.id;
      }
      this.rows = rows;
      return;
    }
    if (!this.rows) return;
    for (const id of change.removedIds) this.rows.delete(id);
    for (const [id, row] of this.catalogue.getImagesByIds(change.upsertedIds)) this.rows.set(id, row);
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError(`The image library in ${this.dataDir} is closed.`);
  }

  private assertWritable(action: string): void {
    this.assertOpen();
    if (!this.writable) throw new ReadOnlyLibraryError(`Cannot ${action}: the image library in ${this.dataDir} was opened read-only.`);
  }
}

/** Rows read per query when loading the row cache. */
const ROW_CHUNK = 100_000;


function modelOf(options: OpenLibraryOptions): ModelIdentity {
  const model: ModelIdentity = { modelName: options.modelName, dimension: options.dimension, precision: options.precision ?? DEFAULT_PRECISION };
  if (typeof model.modelName !== 'string' || model.modelName.trim() === '') throw new InvalidInputError('The model name must not be empty.');
  if (!Number.isSafeInteger(model.dimension) || model.dimension <= 0) {
    throw new InvalidInputError(`The embedding dimension must be a positive integer, got ${model.dimension}.`);
  }
  return model;
}

function requireMeta(catalogue: Catalogue): CatalogueMeta {
  const meta = catalogue.readMeta();
  if (!meta) throw new StoreError(`${catalogue.location} has no meta row: it is not a catalogue of this tool.`);
  return meta;
}

export function checkModel(where: string, recorded: CatalogueMeta, requested: ModelIdentity): void {
  if (recorded.modelName !== requested.modelName || recorded.dimension !== requested.dimension) {
    throw new ModelMismatchError(
      where,
      { modelName: recorded.modelName, dimension: recorded.dimension },
      { modelName: requested.modelName, dimension: requested.dimension },
    );
  }
  const requestedPrecision = requested.precision ?? DEFAULT_PRECISION;
  if (recorded.precision !== requestedPrecision) {
    throw new PrecisionMismatchError(where, recorded.modelName, recorded.precision, requestedPrecision);
  }
}

/** Temporary files a writer that crashed while saving left behind (only a writer, holding the lock if any, removes them). */
function removeIndexLeftovers(dataDir: string, others: readonly string[]): void {
  const { indexPath, sidecarPath } = indexFilePaths(dataDir);
  for (const target of [indexPath, sidecarPath, ...others]) removeLeftoverTemporaryFiles(target);
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
 * SqliteCatalogue.close). That is transient: try again shortly, and the loser then meets the writer lock.
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
