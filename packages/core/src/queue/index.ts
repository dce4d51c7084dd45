export { usesQueue, queueSettingsOf, mapPath, type QueueSettings, type PathMapping } from './settings';
export { EMBED_QUEUE_NAME, BATCH_ATTEMPTS, batchJobId, type EmbedBatchJob, type QueuedFile } from './jobs';
export { QueueRuns, WORKER_LIVE_MS, type QueueRun, type QueueRunState, type WorkerInfo } from './runs';
export { BatchEmbedder, type BatchWriter, type BatchResult, type ReadImage, type ReadMetadata, type BatchEmbedderSettings } from './batchEmbedder';
export { QueueCoordinator, type CoordinatorCatalogue, type QueueProgress, type FailedBatch, type EnqueueResult } from './coordinator';
export { QueueWorker, MAX_STALLED_COUNT, type QueueWorkerOptions } from './queueWorker';
export { connectRedis, openQueueClient, coordinatorCatalogue, catalogueWriter, type QueueClient } from './services';
export { openCoordinator, startWorker, type OpenedCoordinator, type StartedWorker } from './open';
export { queueReindexRunner, reindexProgressOf, QueueBatchesFailedError } from './runner';
