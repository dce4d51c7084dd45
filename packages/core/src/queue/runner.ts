import type { ReindexProgress, ReindexSummary } from '../indexing';
import type { ReindexRunner } from '../jobs';
import { StoreError } from '../store';
import type { FailedBatch, QueueCoordinator, QueueProgress } from './coordinator';
import type { QueueRuns } from './runs';

/** Batches of a queued reindex failed every attempt: their files are not indexed (a later reindex queues them again). */
export class QueueBatchesFailedError extends StoreError {
  override readonly name = 'QueueBatchesFailedError';

  constructor(
    readonly runId: string,
    readonly failed: readonly FailedBatch[],
    readonly failedFiles: number,
  ) {
    const reasons = [...new Set(failed.map((batch) => batch.reason))].slice(0, 3).join('; ');
    super(
      `${failed.length} batch(es) of reindex ${runId} (${failedFiles} files) failed after every retry${reasons ? `: ${reasons}` : ''}. ` +
        'The rest is indexed; reindex the folder again to retry them (`sis status` lists the failed batches).',
    );
  }
}

/** The queue's progress in the shape of an in-process reindex's (the GraphQL job, the web panel). */
export function reindexProgressOf(progress: QueueProgress): ReindexProgress {
  const { run } = progress;
  return {
    phase: progress.finished ? 'done' : 'embedding',
    seen: run.seen,
    toEmbed: run.toEmbed,
    embedded: run.embedded,
    skipped: run.skipped + run.scanSkipped,
    removed: run.removed,
    unchanged: run.unchanged,
    imagesPerSecond: progress.imagesPerSecond,
    etaSeconds: progress.etaSeconds,
    liveWorkers: progress.liveWorkers.length,
    queueDepth: progress.queueDepth,
  };
}

/**
 * A ReindexRunner (what ReindexJobs runs in the API server) that reindexes through the queue: enqueues, follows
 * the aggregated progress, cancels the run on every worker when its signal fires, and summarises it.
 */
export function queueReindexRunner(
  coordinator: QueueCoordinator,
  runs: QueueRuns,
  options: {
    pollMs?: number;
    /** Fires when this process stops following (a server shutting down): the run goes on on the workers, not cancelled. */
    detachOn?: AbortSignal;
  } = {},
): ReindexRunner {
  return async (root, { onProgress, signal }) => {
    const { runId } = await coordinator.enqueue(root);
    const report = (progress: QueueProgress) => onProgress?.(reindexProgressOf(progress));
    let final = await coordinator.wait(runId, { onProgress: report, ...(signal ? { signal } : {}), ...(options.pollMs ? { pollMs: options.pollMs } : {}) });
    if (!final.finished && options.detachOn?.aborted) {
      throw new StoreError(`This process stopped following queued reindex ${runId}; it goes on on the workers (\`sis status\` shows it).`);
    }
    if (!final.finished) {
      await coordinator.cancel(runId);
      final = (await coordinator.progress(runId)) ?? final;
      report(final);
    }
    const { run } = final;
    if (run.batchesFailed > 0) throw new QueueBatchesFailedError(runId, await coordinator.failedBatches(runId), run.failedFiles + run.metadataFailed);
    return summaryOf(final, await runs.skippedFiles(runId));
  };
}

function summaryOf(progress: QueueProgress, skipped: ReindexSummary['skipped']): ReindexSummary {
  const { run } = progress;
  return {
    root: run.root,
    seen: run.seen,
    embedded: run.embedded,
    unchanged: run.unchanged,
    skipped,
    unchangedSkipped: run.unchangedSkipped,
    removed: run.removed,
    elapsedMs: (run.finishedAt ?? Date.now()) - run.createdAt,
    imagesPerSecond: progress.imagesPerSecond,
    // Stage times are each worker's: the coordinator does not add them up.
    timings: { scanMs: run.startedAt - run.createdAt, decodeMs: 0, decodeWaitMs: 0, inferenceMs: 0, writeMs: 0 },
    cancelled: run.state === 'cancelled',
  };
}
