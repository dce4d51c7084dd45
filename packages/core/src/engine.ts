import type { AppConfig } from './config';
import { ClipEmbedder, SwitchableEmbedder, defaultMinScore, type ModelEmbedder } from './embedding';
import { prepareClipImage } from './image';
import { InferenceScheduler, scheduledEmbedder } from './inference';
import { DECODE_REQUESTS_PER_THREAD, DecodePool, Indexer, decodeThreadsFor, type IndexerSettings, type ReindexOptions } from './indexing';
import { runModelSwitch, type ModelSwitchSummary } from './modelSwitch';
import { DuplicateFinder, Searcher } from './search';
import { countExifFields } from './image';
import { ChangeFollower, openStore, withLibraryModel, type ImageStore, type IndexSettings } from './store';

/** The engine wired together for one catalogue and one model: what the apps talk to. */
export interface Engine {
  readonly config: AppConfig;
  readonly embedder: ModelEmbedder;
  /** The catalogue and its search index: SQLite in dataDir, or PostgreSQL when catalogueUrl is set. */
  readonly library: ImageStore;
  readonly searcher: Searcher;
  /** Near-duplicate groups of the library (cached until it changes). */
  readonly duplicates: DuplicateFinder;
  /** Present only when opened writable (holding the data directory's writer lock, with SQLite). */
  readonly indexer: Indexer | undefined;
  /**
   * Writers: switches the library to another model (`reindex --model`, modelSwitch.ts): builds its vectors beside
   * the old ones while searches go on with the old model, switches, then reindexes `root` with it.
   */
  switchModel(root: string, model: string, options?: ReindexOptions): Promise<ModelSwitchSummary>;
  close(): void;
}

export interface OpenEngineOptions {
  writable: boolean;
  /**
   * With a PostgreSQL catalogue: follow other processes' commits (LISTEN/NOTIFY, and a poll every
   * `followPollMs`, default 1000), so that this process searches what any of them indexed. What `sis serve` does.
   */
  followChanges?: boolean;
  followPollMs?: number;
  onFollowError?: (error: unknown) => void;
}

export async function openEngine(configured: AppConfig, options: OpenEngineOptions): Promise<Engine> {
  const config = withLibraryModel(configured);
  // Switchable: a completed model switch replaces the model under the searcher and the indexer.
  const embedder = new SwitchableEmbedder(await ClipEmbedder.load(config));
  const library = openStore(config, {
    modelName: embedder.modelName,
    dimension: embedder.dimension,
    precision: embedder.precision,
    writable: options.writable,
    index: indexSettingsOf(config),
  });
  const limits = { maxPixels: config.maxPixels };
  const prepare = (source: string | Buffer, spec: typeof embedder.preprocess) => prepareClipImage(source, spec, limits);
  // Searches and the indexer take turns at the model: queries first, the indexer guaranteed its share.
  const scheduler = new InferenceScheduler({ backgroundShare: config.indexingShare });
  const searcher = new Searcher(library, scheduledEmbedder(embedder, scheduler, 'interactive'), prepare, {
    maxResults: config.maxResults,
    defaultMinScore: () => defaultMinScore(embedder.modelName),
  });
  // Indexing decodes on worker threads, started on the first reindex (a server may never index).
  let pool: DecodePool | undefined;
  const decodeThreads = decodeThreadsFor(config);
  const decodeOnPool = (file: string, spec: typeof embedder.preprocess, metadataRoot?: string) =>
    (pool ??= new DecodePool({ threads: decodeThreads, limits })).prepare(file, spec, metadataRoot);
  const indexer = options.writable
    ? new Indexer(
        library,
        scheduledEmbedder(embedder, scheduler, 'background', { imagesPerCallWhenBusy: 2 }),
        decodeOnPool,
        indexerSettingsOf(config, decodeThreads * DECODE_REQUESTS_PER_THREAD),
      )
    : undefined;
  const follower =
    options.followChanges && config.catalogueUrl !== ''
      ? ChangeFollower.start(library, {
          url: config.catalogueUrl,
          ...(options.followPollMs !== undefined ? { pollMs: options.followPollMs } : {}),
          ...(options.onFollowError ? { onError: options.onFollowError } : {}),
        })
      : undefined;
  const switchModel = (root: string, model: string, reindexOptions: ReindexOptions = {}) => {
    if (!indexer) return Promise.reject(new Error('This engine was opened read-only: it cannot switch models.'));
    return runModelSwitch(
      {
        library,
        model: embedder,
        indexer,
        exclusive: (change) => searcher.exclusive(change),
        load: (name) => ClipEmbedder.load({ ...config, model: name }),
        staging: (next) => ({
          embedder: scheduledEmbedder(next, scheduler, 'background', { imagesPerCallWhenBusy: 2 }),
          prepare: decodeOnPool,
          settings: { batchSize: config.batchSize, decodeConcurrency: decodeThreads * DECODE_REQUESTS_PER_THREAD },
        }),
      },
      root,
      model,
      reindexOptions,
    );
  };
  const close = () => {
    follower?.stop();
    void pool?.close();
    library.close();
  };
  const duplicates = new DuplicateFinder(library, countExifFields);
  return { config, embedder, library, searcher, indexer, duplicates, switchModel, close };
}

/** The indexer settings of a configuration, with `decodeConcurrency` images decoding at once (the decode pool's capacity). */
export function indexerSettingsOf(config: AppConfig, decodeConcurrency: number): IndexerSettings {
  return {
    imageExtensions: config.imageExtensions,
    includeHidden: config.includeHidden,
    followSymlinks: config.followSymlinks,
    batchSize: config.batchSize,
    checkpointImages: config.checkpointImages,
    checkpointMs: config.checkpointSeconds * 1000,
    decodeConcurrency,
  };
}

/** The vector-index settings of a configuration (SIS_INDEX_FACTORY, SIS_TARGET_RECALL, SIS_MEMORY_BUDGET_MB, SIS_INDEX_SEARCH_PARAMS). */
export function indexSettingsOf(config: Pick<AppConfig, 'indexFactory' | 'targetRecall' | 'memoryBudgetMb' | 'indexSearchParams'>): Partial<IndexSettings> {
  return {
    factory: config.indexFactory,
    targetRecall: config.targetRecall,
    memoryBudgetBytes: config.memoryBudgetMb * 1024 * 1024,
    searchParams: { ...config.indexSearchParams },
  };
}
