import type { AppConfig } from '../config';
import { ClipEmbedder, type Embedder } from '../embedding';
import { DECODE_REQUESTS_PER_THREAD, DecodePool, decodeThreadsFor, scanOptionsOf } from '../indexing';
import { readImageMetadata } from '../metadata';
import { PostgresCatalogue, withLibraryModel } from '../store';
import { BatchEmbedder, type ReadImage } from './batchEmbedder';
import { QueueCoordinator } from './coordinator';
import { MetadataBatchReader } from './metadataBatch';
import { QueueWorker, type QueueWorkerOptions } from './queueWorker';
import { catalogueWriter, connectRedis, coordinatorCatalogue, openQueueClient, type QueueClient } from './services';
import { queueSettingsOf } from './settings';
import { QueueRuns } from './runs';

/** The coordinator side of a configuration (SIS_QUEUE_URL + SIS_CATALOGUE_URL): what `sis reindex`, `sis status` and the API use. */
export interface OpenedCoordinator {
  coordinator: QueueCoordinator;
  client: QueueClient;
  close(): Promise<void>;
}

export function openCoordinator(config: AppConfig, options: { onError?: (error: Error) => void } = {}): OpenedCoordinator {
  const settings = queueSettingsOf(config);
  const client = openQueueClient(settings.url, options);
  const catalogue = PostgresCatalogue.connect(settings.catalogueUrl, { writable: true, applicationName: 'sis-coordinator' });
  const coordinator = new QueueCoordinator(coordinatorCatalogue(catalogue), client.queue, client.runs, {
    scan: scanOptionsOf(config),
    batchImages: settings.batchImages,
  });
  return {
    coordinator,
    client,
    async close() {
      await client.close();
      catalogue.close();
    },
  };
}

export interface StartedWorker {
  worker: QueueWorker;
  embedder: Embedder;
  close(): Promise<void>;
}

/**
 * A `sis worker`: the model loaded once, at start, decoding on worker
 * threads, batches committed to the shared catalogue. `embedder` replaces the configured model (the bench's no-op one).
 */
export async function startWorker(
  config: AppConfig,
  options: Pick<QueueWorkerOptions, 'lockMs' | 'heartbeatMs' | 'id' | 'onBatch' | 'onError'> & { embedder?: Embedder; read?: ReadImage } = {},
): Promise<StartedWorker> {
  const settings = queueSettingsOf(config);
  // Without SIS_MODEL a worker embeds with the model the catalogue records (after `sis reindex --model`).
  const embedder = options.embedder ?? (await loadModel(withLibraryModel(config)));
  const catalogue = PostgresCatalogue.connect(settings.catalogueUrl, { writable: true, applicationName: 'sis-worker' });
  let pool: DecodePool | undefined;
  const redis = connectRedis(settings.url, 'sis-worker');
  redis.on('error', (error) => options.onError?.(error));
  try {
    const writer = catalogueWriter(catalogue, embedder);
    const threads = decodeThreadsFor(config);
    // The pool's workers read each file's metadata beside decoding it (the main thread is blocked while the model runs).
    const read: ReadImage =
      options.read ?? ((file, spec, metadataRoot) => (pool ??= new DecodePool({ threads, limits: { maxPixels: config.maxPixels } })).prepare(file, spec, metadataRoot));
    const batches = new BatchEmbedder(read, embedder, writer, {
      inferenceBatch: config.batchSize,
      decodeConcurrency: threads * DECODE_REQUESTS_PER_THREAD,
      pathMap: settings.pathMap,
    }, readImageMetadata);
    const metadata = new MetadataBatchReader(readImageMetadata, writer, settings.pathMap);
    const worker = new QueueWorker({ ...options, connection: redis, runs: new QueueRuns(redis), batches, metadata, writer });
    return {
      worker,
      embedder,
      async close() {
        await worker.close();
        await pool?.close();
        redis.disconnect();
        catalogue.close();
      },
    };
  } catch (error) {
    redis.disconnect();
    catalogue.close();
    throw error;
  }
}

async function loadModel(config: AppConfig): Promise<Embedder> {
  const model = await ClipEmbedder.load(config);
  await model.warmUp();
  return model;
}
