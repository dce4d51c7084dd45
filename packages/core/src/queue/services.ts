import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Embedder } from '../embedding';
import { PostgresCatalogue, redactUrl } from '../store';
import { checkModel } from '../store/library';
import { validateChanges } from '../store/validation';
import type { BatchWriter } from './batchEmbedder';
import type { CoordinatorCatalogue } from './coordinator';
import { EMBED_QUEUE_NAME, QUEUE_KEY_PREFIX, type QueueJob } from './jobs';
import { QueueRuns } from './runs';

/**
 * A Redis connection as BullMQ wants it: commands wait through a reconnect instead of failing
 * (maxRetriesPerRequest: null), reconnecting with a capped backoff for as long as it takes.
 */
export function connectRedis(url: string, name: string): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    connectionName: name,
    retryStrategy: (attempt) => Math.min(200 * attempt, 5000),
  });
}

/** The queue and the run records over one connection (the coordinator's and the status command's side). */
export interface QueueClient {
  readonly location: string;
  readonly redis: Redis;
  readonly queue: Queue<QueueJob>;
  readonly runs: QueueRuns;
  close(): Promise<void>;
}

/** `onError` hears connection errors (ioredis reconnects by itself meanwhile); default: ignored. */
export function openQueueClient(url: string, options: { name?: string; onError?: (error: Error) => void } = {}): QueueClient {
  const redis = connectRedis(url, options.name ?? 'sis-coordinator');
  const queue = new Queue<QueueJob>(EMBED_QUEUE_NAME, { connection: redis, prefix: QUEUE_KEY_PREFIX });
  const onError = options.onError ?? (() => undefined);
  queue.on('error', onError);
  redis.on('error', onError);
  return {
    location: redactUrl(url),
    redis,
    queue,
    runs: new QueueRuns(redis),
    async close() {
      await queue.close();
      redis.disconnect();
    },
  };
}

/** The coordinator's view of a PostgreSQL catalogue: nothing exists before the first worker creates it. */
export function coordinatorCatalogue(catalogue: PostgresCatalogue): CoordinatorCatalogue {
  return {
    fileStates: () => (catalogue.readMeta() ? catalogue.fileStates() : new Map()),
    removePaths(paths) {
      const meta = catalogue.readMeta();
      if (!meta) return;
      catalogue.apply(validateChanges({ upsertIndexed: [], upsertSkipped: [], removePaths: [...paths] }, meta.dimension), Date.now());
    },
    recordFileIdentities(files) {
      if (catalogue.readMeta()) catalogue.recordFileIdentities(files);
    },
    pathsWithoutMetadata: () => (catalogue.readMeta() ? catalogue.pathsWithoutMetadata() : []),
    claimReindex: (root) => catalogue.claimReindex(root),
  };
}

/**
 * A worker's writer to a PostgreSQL catalogue: created (or migrated) for the worker's model on first use, and
 * refused when it holds another model's vectors. Each commit is one transaction, upserts keyed by path.
 */
export function catalogueWriter(catalogue: PostgresCatalogue, model: Pick<Embedder, 'modelName' | 'dimension' | 'precision'>): BatchWriter {
  const identity = { modelName: model.modelName, dimension: model.dimension, precision: model.precision };
  checkModel(catalogue.location, catalogue.initialise(identity), identity);
  return {
    commit(changes) {
      catalogue.apply(validateChanges({ ...changes, removePaths: [] }, model.dimension), Date.now());
    },
    recordMetadata(entries) {
      catalogue.recordMetadata(entries, Date.now());
    },
    recordReindex() {
      catalogue.recordReindex(Date.now());
    },
  };
}
