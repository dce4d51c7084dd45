import fs from 'node:fs';
import type { Catalogue, CommittedChanges } from './catalogue';
import { IndexSaveError, StoreError } from './errors';
import { buildIndex, buildIndexInBackground, BuildCancelledError, type BuiltIndex, type VectorSource } from './indexBuild';
import { indexFilePaths, loadIndexFile, saveIndexFiles } from './indexFile';
import { rebuildReason, type IndexDescriptor, type IndexSettings } from './indexPlan';
import type { QueryKind, TuningQueryProvider } from './tuning';
import type { LibraryStats } from './types';
import type { VectorHit, VectorIndex } from './vectorIndex';

/** The in-memory vector index and the catalogue state it mirrors. Its labels are catalogue ids. */
interface LoadedIndex {
  vectors: VectorIndex;
  descriptor: IndexDescriptor;
  catalogueId: string;
  generation: number;
  loadedFrom: 'file' | 'catalogue';
  rebuildReason: string | null;
  /** Generation the index file on disk holds, when it was loaded from one (older than `generation` if brought forward). */
  fileGeneration?: number;
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
  replayed: number;
}

export interface FollowingIndexOptions {
  dimension: number;
  settings: IndexSettings;
  /** Where image_index.faiss and its sidecar live. */
  dataDir: string;
  /**
   * 'writer': saves the index file at checkpoints and rebuilds in the background when the collection outgrows
   * the index. 'reader': never writes; memory-maps IVF lists (read-only: a change reloads the index).
   */
  role: 'writer' | 'reader';
  /**
   * A saved index of an earlier generation is loaded and brought forward by the change log instead of being
   * rebuilt (a replica's local cache: a restart reads only what changed). Off for the embedded library, whose
   * saved index is current unless a crash came between a commit and a checkpoint.
   */
  catchUpStaleFile?: boolean;
  /** Text embeddings that index builds tune the search parameter for too (tuning.ts). */
  tuningQueries?: TuningQueryProvider;
  /** Told which ids the index moved for (after a reload: 'reloaded'), for caches kept beside it. */
  onChange?: (change: IndexChange) => void;
}

export type IndexChange = { removedIds: readonly number[]; upsertedIds: readonly number[] } | 'reloaded';

/**
 * The FAISS index of a catalogue's embeddings (plan, build, tune: indexBuild.ts; file: indexFile.ts), kept at
 * one change sequence (the catalogue's generation) and brought forward by the catalogue's change log: after
 * this process's own commit directly, after anyone else's by changesSince(). Works with any Catalogue.
 *
 * On open it loads image_index.faiss if its sidecar matches the catalogue (id, generation, count, checksum),
 * else rebuilds from the stored embeddings. Updates are incremental (adds without retraining, deletions by id);
 * when the collection outgrows the index (indexPlan.ts's rebuildReason), a writer builds a replacement in the
 * background, replays the changes committed meanwhile, swaps it in and saves it.
 */
export class FollowingIndex {
  private closed = false;
  private state: LoadedIndex;
  /** Generation held by image_index.faiss on disk (writers), undefined if unknown or never saved. */
  private savedGeneration: number | undefined;
  private rebuild: BackgroundRebuild | undefined;
  private lastRebuild: RebuildOutcome | undefined;
  /** After a failed background rebuild, none is tried again before the collection reaches this size. */
  private retryRebuildAt = 0;

  private constructor(
    private catalogue: Catalogue,
    private options: FollowingIndexOptions,
  ) {
    this.state = this.load();
  }

  /** Loads or builds the index of the catalogue's current state; a writer saves what it had to rebuild. */
  static open(catalogue: Catalogue, options: FollowingIndexOptions): FollowingIndex {
    const index = new FollowingIndex(catalogue, options);
    if (index.writes && index.state.loadedFrom === 'catalogue') index.saveRebuilt();
    index.maybeStartRebuild();
    return index;
  }

  private get writes(): boolean {
    return this.options.role === 'writer';
  }

  /** The change sequence the index is at. */
  get generation(): number {
    return this.state.generation;
  }

  /** Searchable vectors. */
  get size(): number {
    return this.state.vectors.size;
  }

  /** Follows a different catalogue object (a reader that found the catalogue file created meanwhile): reloads. */
  replaceCatalogue(catalogue: Catalogue): void {
    this.cancelRebuild();
    this.catalogue = catalogue;
    this.state = this.load();
    this.options.onChange?.('reloaded');
  }

  /** Follows a catalogue whose vectors a completed model switch replaced (all of them, maybe at another dimension). */
  reloadForModel(dimension: number): void {
    this.cancelRebuild();
    this.options = { ...this.options, dimension };
    this.state = this.load();
    if (this.writes && this.state.loadedFrom === 'catalogue') this.saveRebuilt();
    this.options.onChange?.('reloaded');
    this.maybeStartRebuild();
  }

  /**
   * Follows this process's own commit. When the index was at the commit's previous generation the batch's
   * vectors are applied directly (no re-read); otherwise someone else committed in between, and the index
   * catches up from the change log (which includes this commit).
   */
  applyCommitted(committed: CommittedChanges, appended: Float32Array): void {
    if (committed.generation === this.state.generation) return; // Skipped-file bookkeeping only: vectors untouched.
    if (committed.previousGeneration !== this.state.generation) {
      this.catchUp();
      return;
    }
    this.update(() => {
      const removed = this.state.vectors.remove(committed.removedIds);
      if (removed !== committed.removedIds.length) {
        throw new StoreError(`Removing ${committed.removedIds.length} vectors from the index removed ${removed}.`);
      }
      this.addVectors(committed.removedIds, committed.appendedIds, appended);
      return { generation: committed.generation, expectedCount: committed.indexedCount, change: { removedIds: committed.removedIds, upsertedIds: committed.appendedIds } };
    });
  }

  /**
   * Brings the index to the catalogue's current generation: applies the logged changes, or reloads (a
   * read-only memory-mapped index, or a log that does not reach back far enough). Returns true if it moved.
   */
  catchUp(): boolean {
    const current = this.catalogue.readMeta();
    if (!current || current.generation === this.state.generation) return false;
    const changes = this.state.vectors.info().readOnly ? undefined : this.catalogue.changesSince(this.state.generation, this.options.dimension);
    if (!changes) {
      this.cancelRebuild();
      this.state = this.load();
      this.options.onChange?.('reloaded');
      return true;
    }
    this.update(() => {
      const replaced = [...changes.removedIds, ...changes.upserted.ids];
      this.state.vectors.remove(replaced);
      this.addVectors(replaced, changes.upserted.ids, changes.upserted.vectors);
      return { generation: changes.generation, expectedCount: changes.indexedCount, change: { removedIds: changes.removedIds, upsertedIds: changes.upserted.ids } };
    });
    return true;
  }

  /**
   * The k best ids, best first (k clamped to the index size); with `allowed`, among those ids only. A query of a
   * kind tuned on its own (text: tuning.ts) is searched with that kind's parameters, unless parameters are configured.
   */
  search(query: Float32Array, k: number, allowed?: readonly number[], kind?: QueryKind): VectorHit[] {
    const { vectors, descriptor } = this.state;
    const configured = Object.keys(this.options.settings.searchParams).length > 0;
    const tuned = kind && !configured ? descriptor.searchParamsByKind?.[kind] : undefined;
    const own = allowed && !configured ? widenedForSelection(tuned ?? descriptor.searchParams, allowed.length, vectors.size, descriptor) : tuned;
    if (!own || sameParams(own, descriptor.searchParams)) return vectors.search(query, k, allowed);
    // Synchronous: no other search can run between setting and restoring.
    vectors.setSearchParameters(own);
    try {
      return vectors.search(query, k, allowed);
    } finally {
      vectors.setSearchParameters(descriptor.searchParams);
    }
  }

  /** Whether search() is exact (a flat index) rather than approximate. */
  get exact(): boolean {
    return this.state.descriptor.kind === 'flat';
  }

  /** Writers: atomically writes image_index.faiss and its sidecar if the index moved since the last save. */
  save(): void {
    if (!this.writes) throw new StoreError('A reader never writes the index file.');
    if (this.savedGeneration === this.state.generation) return;
    saveIndexFiles(this.options.dataDir, this.state.vectors, { catalogueId: this.state.catalogueId, generation: this.state.generation }, this.state.descriptor);
    this.savedGeneration = this.state.generation;
  }

  /** Resolves once no background rebuild is running (at once when none is). */
  async whenRebuilt(): Promise<void> {
    while (this.rebuild && !this.closed) await this.rebuild.done;
  }

  stats(): LibraryStats['index'] {
    const info = this.state.vectors.info();
    const { descriptor } = this.state;
    return {
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
      measuredRecallByKind: { ...descriptor.measuredRecallByKind },
      searchParamsByKind: Object.keys(this.options.settings.searchParams).length > 0 ? {} : { ...descriptor.searchParamsByKind },
      memoryBytes: info.memoryBytes,
      mappedBytes: info.mappedBytes,
      fileBytes: fileSizeOrNull(indexFilePaths(this.options.dataDir).indexPath),
      loadedFrom: this.state.loadedFrom,
      rebuildReason: this.state.rebuildReason,
      unsavedChanges: this.writes && this.savedGeneration !== this.state.generation,
      rebuilding: this.rebuild ? { reason: this.rebuild.reason, startedAt: this.rebuild.startedAt, vectorsRead: this.rebuild.vectorsRead } : null,
      lastRebuild: this.lastRebuild ? { ...this.lastRebuild } : null,
    };
  }

  /** Abandons a background rebuild; a writer saves unsaved changes. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.cancelRebuild();
    try {
      if (this.writes) this.save();
    } finally {
      this.closed = true;
    }
  }

  /** Runs one incremental update; if it fails, the catalogue (committed, the truth) is reloaded from instead. */
  private update(change: () => { generation: number; expectedCount: number; change: IndexChange }): void {
    let outcome: IndexChange;
    try {
      const { generation, expectedCount, change: moved } = change();
      if (this.state.vectors.size !== expectedCount) {
        throw new StoreError(`In-memory index has ${this.state.vectors.size} vectors after the update, the catalogue ${expectedCount}.`);
      }
      this.state = { ...this.state, generation };
      outcome = moved;
    } catch (error) {
      this.cancelRebuild();
      this.state = this.load(`updating the in-memory index failed (${(error as Error).message})`);
      outcome = 'reloaded';
    }
    this.options.onChange?.(outcome);
    this.maybeStartRebuild();
  }

  /** Adds vectors, and journals the change for a background rebuild that has already read past these ids. */
  private addVectors(removedIds: readonly number[], addedIds: readonly number[], added: Float32Array): void {
    this.state.vectors.add(addedIds, added);
    if (this.rebuild) journalChanges(this.rebuild, removedIds, addedIds, added, this.options.dimension);
  }

  /**
   * Loads image_index.faiss if its sidecar matches the catalogue, else rebuilds from the stored embeddings,
   * all within one read transaction so that ids, vectors and generation belong to the same commit.
   */
  private load(forcedRebuildReason?: string): LoadedIndex {
    const { dimension, dataDir, settings } = this.options;
    const loaded = this.catalogue.snapshot((): LoadedIndex => {
      const meta = this.catalogue.readMeta();
      if (!meta) throw new StoreError(`${this.catalogue.location} has no meta row: it is not a catalogue of this tool.`);
      const { catalogueId, generation } = meta;
      const count = this.catalogue.countIndexed();
      const fromFile =
        forcedRebuildReason !== undefined
          ? { rebuildReason: forcedRebuildReason }
          : this.catalogue.location === ':memory:'
            ? { rebuildReason: 'nothing has been indexed yet' }
            : loadIndexFile(dataDir, { catalogueId, generation, ntotal: count, dimension }, { mmap: !this.writes, keepStale: this.options.catchUpStaleFile === true });
      if ('index' in fromFile) {
        fromFile.index.applySearchParameters(settings.searchParams);
        return { vectors: fromFile.index, descriptor: fromFile.descriptor, catalogueId, generation, loadedFrom: 'file', rebuildReason: null };
      }
      const forward = this.options.catchUpStaleFile && fromFile.stale ? this.bringForward(fromFile.stale, count) : undefined;
      if (forward) {
        forward.index.applySearchParameters(settings.searchParams);
        return {
          vectors: forward.index,
          descriptor: forward.descriptor,
          catalogueId,
          generation: forward.generation,
          loadedFrom: 'file',
          rebuildReason: null,
          fileGeneration: fromFile.stale!.generation,
        };
      }
      // Larger chunks than a background build's: fewer round trips for a replica's bulk load (64k vectors: 128 MiB at 512-d).
      const built = buildIndex(this.vectorSource(), dimension, settings, { chunkSize: LOAD_CHUNK, ...this.tuning(), ...(fromFile.stale ? { reuse: fromFile.stale } : {}) });
      if (built.index.size !== count) {
        throw new StoreError(`Rebuilt ${built.index.size} vectors from ${this.catalogue.location}, which lists ${count} indexed images.`);
      }
      return { vectors: built.index, descriptor: built.descriptor, catalogueId, generation, loadedFrom: 'catalogue', rebuildReason: fromFile.rebuildReason };
    });
    this.savedGeneration = loaded.loadedFrom === 'file' ? (loaded.fileGeneration ?? loaded.generation) : undefined;
    return loaded;
  }

  /** A saved index of an earlier generation with the logged changes since applied, or undefined (rebuild instead). */
  private bringForward(
    stale: { index: VectorIndex; descriptor: IndexDescriptor; generation: number },
    expectedCount: number,
  ): { index: VectorIndex; descriptor: IndexDescriptor; generation: number } | undefined {
    const changes = this.catalogue.changesSince(stale.generation, this.options.dimension);
    if (!changes) return undefined;
    const replaced = [...changes.removedIds, ...changes.upserted.ids];
    stale.index.remove(replaced);
    stale.index.add(changes.upserted.ids, changes.upserted.vectors);
    if (stale.index.size !== changes.indexedCount || changes.indexedCount !== expectedCount) return undefined;
    return { index: stale.index, descriptor: stale.descriptor, generation: changes.generation };
  }

  private tuning(): { tuningQueries?: TuningQueryProvider } {
    return this.options.tuningQueries ? { tuningQueries: this.options.tuningQueries } : {};
  }

  /** The catalogue's stored embeddings, as index builds read them. */
  private vectorSource(): VectorSource {
    const { dimension } = this.options;
    return {
      ids: () => this.catalogue.indexedIds(),
      byIds: (ids) => this.catalogue.embeddingsByIds(ids, dimension),
      chunk: (afterId, limit) => this.catalogue.embeddingChunk(afterId, limit, dimension),
    };
  }

  /** Saves an index rebuilt at open or swapped in. Not fatal if it fails (e.g. disk full): it stays unsaved and close() retries. */
  private saveRebuilt(): void {
    try {
      this.save();
    } catch (error) {
      if (!(error instanceof IndexSaveError)) throw error;
    }
  }

  /** Writers: starts a background rebuild when the index no longer suits the collection (see indexPlan.ts). */
  private maybeStartRebuild(): void {
    if (!this.writes || this.closed || this.rebuild) return;
    const info = this.state.vectors.info();
    if (info.size < this.retryRebuildAt) return;
    const reason = rebuildReason(this.state.descriptor, { count: info.size, stored: info.size + info.tombstones, tombstones: info.tombstones }, this.options.dimension, this.options.settings);
    if (reason !== undefined) this.startRebuild(reason);
  }

  private startRebuild(reason: string): void {
    const rebuild: BackgroundRebuild = { reason, startedAt: Date.now(), readUpTo: -1, vectorsRead: 0, journal: [], cancelled: false, done: Promise.resolve() };
    this.rebuild = rebuild;
    const isCancelled = () => rebuild.cancelled || this.closed;
    rebuild.done = (async () => {
      try {
        const built = await buildIndexInBackground(this.vectorSource(), this.options.dimension, this.options.settings, {
          cancelled: isCancelled,
          ...this.tuning(),
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
    const { dimension } = this.options;
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
    if (built.index.size !== this.state.vectors.size) {
      throw new StoreError(`The rebuilt index holds ${built.index.size} vectors, the current one ${this.state.vectors.size}: not swapped in.`);
    }
    this.state = { ...this.state, vectors: built.index, descriptor: built.descriptor, loadedFrom: 'catalogue', rebuildReason: rebuild.reason };
    this.savedGeneration = undefined;
    this.saveRebuilt();
    return latest.size;
  }

  private cancelRebuild(): void {
    if (!this.rebuild) return;
    this.rebuild.cancelled = true;
    this.rebuild = undefined;
  }
}

/** Vectors per read when an index is built at open (blocking anyway). */
const LOAD_CHUNK = 65_536;

/** Records the part of a change that a background build has already read past (see BackgroundRebuild). */
function journalChanges(rebuild: BackgroundRebuild, removed: readonly number[], appendedIds: readonly number[], appended: Float32Array, dimension: number): void {
  const removedIds = removed.filter((id) => id <= rebuild.readUpTo);
  const keep = appendedIds.map((id, i) => [id, i] as const).filter(([id]) => id <= rebuild.readUpTo);
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

function sameParams(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

/**
 * nprobe for a search among a selection of `selected` of `total` vectors: the tuned value divided by the
 * selected share (at most every list). A selection that does not follow the clusters leaves that share of each
 * list's vectors as candidates, so the lists the unfiltered search visits hold too few of the selection's
 * nearest neighbours; widening by 1/share keeps as many candidates in play as the tuning measured.
 */
function widenedForSelection(params: Readonly<Record<string, number>>, selected: number, total: number, descriptor: IndexDescriptor): Record<string, number> | undefined {
  if (params.nprobe === undefined || total <= 0 || selected >= total) return { ...params };
  const nlist = /(?:^|,)IVF(\d+)/.exec(descriptor.factory)?.[1];
  const widened = Math.ceil(params.nprobe / Math.max(selected / total, 1e-6));
  return { ...params, nprobe: Math.min(nlist ? Number(nlist) : widened, widened) };
}
