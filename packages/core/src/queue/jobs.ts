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
  runId: string;
  /** The folder being reindexed (coordinator's path). */
  root: string;
  /** 0-based number of the batch in its run. */
  batch: number;
  files: QueuedFile[];
}

/** BullMQ job ids: one per batch of a run, so that enqueuing a batch twice is a no-op. */
export function batchJobId(runId: string, batch: number): string {
  return `${runId}-${batch}`;
}

/** Every batch is tried this many times (failures of the batch as a whole: the catalogue down, ...); then it is in the failed list. */
export const BATCH_ATTEMPTS = 3;
