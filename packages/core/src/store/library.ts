import fs from 'node:fs';
import path from 'node:path';
import { removeLeftoverTemporaryFiles } from './atomicFile';
import { Catalogue, CATALOGUE_FILE_NAME, type CatalogueMeta } from './catalogue';
import { DataDirNotWritableError, DiskWriteError, IndexSaveError, InvalidInputError, ModelMismatchError, ReadOnlyLibraryError, StoreError, type ModelIdentity } from './errors';
import { indexFilePaths, loadIndexFile, saveIndexFiles } from './indexFile';
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
import { VectorIndex } from './vectorIndex';

/** The in-memory vector index and the catalogue state it mirrors. */
interface LoadedIndex {
  vectors: VectorIndex;
  /** idsByPosition[i] is the catalogue id of vector i. */
  idsByPosition: number[];
  catalogueId: string;
  generation: number;
  loadedFrom: 'file' | 'catalogue';
  rebuildReason: string | null;
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
 * opened, and see later commits only after refresh().
 */
export class ImageLibrary {
  private closed = false;
  private state: LoadedIndex;
  /** Generation held by image_index.faiss on disk (writers), undefined if unknown or never saved. */
  private savedGeneration: number | undefined;

  private constructor(
    readonly dataDir: string,
    readonly writable: boolean,
    private readonly model: ModelIdentity,
    private catalogue: Catalogue,
    private readonly lock: WriterLock | undefined,
  ) {
    this.state = this.loadIndex();
  }

  static open(dataDir: string, options: OpenLibraryOptions): ImageLibrary {
    const model: ModelIdentity = { modelName: options.modelName, dimension: options.dimension };
    if (typeof model.modelName !== 'string' || model.modelName.trim() === '') throw new InvalidInputError('The model name must not be empty.');
    if (!Number.isSafeInteger(model.dimension) || model.dimension <= 0) {
      throw new InvalidInputError(`The embedding dimension must be a positive integer, got ${model.dimension}.`);
    }
    const dir = path.resolve(dataDir);
    if (!options.writable) return ImageLibrary.openReader(dir, model);
    try {
      return ImageLibrary.openWriter(dir, model);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM' || code === 'SQLITE_READONLY') {
        throw new DataDirNotWritableError(dir, (error as Error).message);
      }
      throw error;
    }
  }

  private static openWriter(dataDir: string, model: ModelIdentity): ImageLibrary {
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
      const library = new ImageLibrary(dataDir, true, model, catalogue, lock);
      if (library.state.loadedFrom === 'catalogue') library.saveRebuiltIndex();
      return library;
    } catch (error) {
      lock.release();
      catalogue.close();
      throw error;
    }
  }

  private static openReader(dataDir: string, model: ModelIdentity): ImageLibrary {
    const catalogue = ImageLibrary.openCatalogueForReading(dataDir, model);
    try {
      checkModel(dataDir, catalogue.requireMeta(), model);
      return new ImageLibrary(dataDir, false, model, catalogue, undefined);
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
    return this.state.idsByPosition.length;
  }

  /** Every catalogued file, indexed or skipped, by path: what an incremental reindex diffs against. */
  fileStates(): Map<string, KnownFileState> {
    this.assertOpen();
    return this.catalogue.fileStates();
  }

  /**
   * Commits one batch in a single catalogue transaction, then brings the in-memory index along. Upserting a
   * known path replaces its vector (the new one goes to the end; later positions shift down). The index file
   * is not written here: call saveIndex() at checkpoints (close() does too).
   */
  apply(changes: LibraryChanges): void {
    this.assertWritable('apply changes');
    const committed = commitOrExplain(this.dataDir, () => this.catalogue.apply(validateChanges(changes, this.dimension), Date.now()));
    if (committed.generation === this.state.generation) return; // Skipped-file bookkeeping only: vectors untouched.
    try {
      const removed = new Set(committed.removedPositions);
      this.state.vectors.removePositions(committed.removedPositions);
      const idsByPosition = this.state.idsByPosition.filter((_, position) => !removed.has(position));
      const appended = new Float32Array(changes.upsertIndexed.length * this.dimension);
      changes.upsertIndexed.forEach((image, i) => appended.set(image.embedding, i * this.dimension));
      this.state.vectors.add(appended);
      for (const id of committed.appendedIds) idsByPosition.push(id);
      if (this.state.vectors.size !== committed.indexedCount || idsByPosition.length !== committed.indexedCount) {
        throw new StoreError(`In-memory index has ${this.state.vectors.size} vectors after the update, the catalogue ${committed.indexedCount}.`);
      }
      this.state = { ...this.state, idsByPosition, generation: committed.generation };
    } catch (error) {
      // The catalogue is committed and is the truth: rebuild the in-memory copy from it.
      this.state = this.loadIndex(`updating the in-memory index failed (${(error as Error).message})`);
    }
  }

  /** Atomically writes image_index.faiss and its sidecar if the catalogue changed since the last save. */
  saveIndex(): void {
    this.assertWritable('save the index');
    if (this.savedGeneration === this.state.generation) return;
    saveIndexFiles(this.dataDir, this.state.vectors, { catalogueId: this.state.catalogueId, generation: this.state.generation });
    this.savedGeneration = this.state.generation;
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
    const ids = hits.map((hit) => this.state.idsByPosition[hit.position] ?? -1);
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
    return this.catalogue.snapshot(() => {
      const meta = this.catalogue.requireMeta();
      const skippedByReason = this.catalogue.skippedCountsByReason();
      return {
        dataDir: this.dataDir,
        modelName: meta.modelName,
        dimension: meta.dimension,
        indexedImages: this.catalogue.countIndexed(),
        skippedFiles: Object.values(skippedByReason).reduce((sum, n) => sum + n, 0),
        skippedByReason,
        generation: meta.generation,
        lastReindexAt: meta.lastReindexAt,
        index: {
          loadedFrom: this.state.loadedFrom,
          rebuildReason: this.state.rebuildReason,
          unsavedChanges: this.writable && this.savedGeneration !== this.state.generation,
        },
      };
    });
  }

  /** Writers save unsaved index changes, then release the lock. Idempotent. */
  close(): void {
    if (this.closed) return;
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
      const idsByPosition = this.catalogue.indexedIdsInPositionOrder();
      const fromFile =
        forcedRebuildReason !== undefined
          ? { rebuildReason: forcedRebuildReason }
          : this.catalogue.filePath === ':memory:'
            ? { rebuildReason: 'nothing has been indexed yet' }
            : loadIndexFile(this.dataDir, { catalogueId, generation, ntotal: idsByPosition.length, dimension });
      if ('index' in fromFile) return { vectors: fromFile.index, idsByPosition, catalogueId, generation, loadedFrom: 'file', rebuildReason: null };
      const vectors = VectorIndex.empty(dimension);
      vectors.addAll(this.catalogue.embeddingsInPositionOrder(dimension));
      if (vectors.size !== idsByPosition.length) {
        throw new StoreError(`Rebuilt ${vectors.size} vectors from ${this.catalogue.filePath}, which lists ${idsByPosition.length} indexed images.`);
      }
      return { vectors, idsByPosition, catalogueId, generation, loadedFrom: 'catalogue', rebuildReason: fromFile.rebuildReason };
    });
    if (loaded.loadedFrom === 'file') this.savedGeneration = loaded.generation;
    return loaded;
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
    throw new ModelMismatchError(dataDir, { modelName: recorded.modelName, dimension: recorded.dimension }, requested);
  }
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
