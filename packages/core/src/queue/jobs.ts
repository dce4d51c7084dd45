/** What one queued job carries: file references, never credentials or pixels. */

/** The BullMQ queue's name (its keys live under `sis:embed:` in Redis). */
export const EMBED_QUEUE_NAME = 'embed';
export const QUEUE_KEY_PREFIX = 'sis';

/** One file to embed, as the coordinator scanned it (its path is the catalogue's key, on the coordinator's host). */
export interface QueuedFile {
  path: string;
  size: number;
  mtimeMs: number;
  device: string;
  inode: string;
}

export interface EmbedBatchJob {
  /** Absent on embedding batches (and on those queued before metadata batches existed). */
  kind?: undefined;
  runId: string;
  /** The folder being reindexed (coordinator's path). */
  root: string;
  /** 0-based number of the batch in its run. */
  batch: number;
  files: QueuedFile[];
}

/**
 * Indexed, unchanged files whose metadata was never recorded (embedded before it was): the worker reads their
 * headers and records the metadata, without decoding or running the model. Numbered after the run's embedding batches.
 */
export interface MetadataBatchJob {
  kind: 'metadata';
  runId: string;
  root: string;
  batch: number;
  /** Catalogue paths (the coordinator's). */
  files: string[];
}

/** Both kinds share one queue, so that cancelling, the failed list, the queue depth and the stalled check cover both. */
export type QueueJob = EmbedBatchJob | MetadataBatchJob;

/** BullMQ job names of the two kinds (what `sis status` and Redis show). */
export const JOB_NAMES = { embed: 'embed', metadata: 'metadata' } as const;

/** Header reads are far cheaper than embedding: a metadata batch holds this many embedding batches' worth of files. */
export const METADATA_BATCH_FACTOR = 8;

/** BullMQ job ids: one per batch of a run, so that enqueuing a batch twice is a no-op. */
export function batchJobId(runId: string, batch: number): string {
  return `${runId}-${batch}`;
}

/** Every batch is tried this many times (failures of the batch as a whole: the catalogue down, ...); then it is in the failed list. */
export const BATCH_ATTEMPTS = 3;
