import type { QueueProgress } from '@sis/core';
import { progressBar } from './progressBar';

/** The queued reindex's progress on stderr: every worker's work together, the live workers, the queue depth, and the metadata-only files. */
export function createQueueProgressBar(stream: NodeJS.WriteStream = process.stderr): { update: (progress: QueueProgress) => void; stop: () => void } {
  const bar = progressBar(stream, 'embedding [{bar}] {value}/{total} | {rate} img/s | ETA {eta_text} | {workers} workers | queue {depth} | skipped {skipped} failed {failed}{metadata}');
  let started = false;
  return {
    update(progress) {
      const { run } = progress;
      const total = Math.max(run.toEmbed, 1);
      const payload = {
        rate: progress.imagesPerSecond.toFixed(1),
        eta_text: progress.etaSeconds === undefined ? '--' : `${Math.ceil(progress.etaSeconds)}s`,
        workers: progress.liveWorkers.length,
        depth: progress.queueDepth,
        skipped: run.skipped,
        failed: run.failedFiles,
        // Rows embedded before metadata was recorded get it read by the workers, without the model.
        metadata: run.metadataQueued > 0 ? ` | metadata ${run.metadataRead + run.metadataUnreadable + run.metadataFailed}/${run.metadataQueued}` : '',
      };
      if (!started) {
        bar.start(total, 0, payload);
        started = true;
      }
      bar.update(Math.min(run.embedded + run.skipped + run.failedFiles, total), payload);
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
