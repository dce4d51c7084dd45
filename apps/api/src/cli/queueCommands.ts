import { InvalidArgumentError, type Command } from 'commander';
import { openCoordinator, startWorker, usesQueue, type AppConfig, type FailedBatch, type QueueProgress, type SkippedFile, type WorkerInfo } from '@sis/core';
import { resolveUserPath, UserFacingError } from './context';
import { formatDuration } from './format';
import { createQueueProgressBar } from './queueProgress';

/**
 * The queue's commands (SIS_QUEUE_URL + SIS_CATALOGUE_URL): `sis reindex` sends its work to `sis worker`
 * processes on any number of hosts and waits with their aggregated progress; `sis status` lists the workers and
 * runs; `sis cancel` stops a run on every worker.
 */
function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > 3600) throw new InvalidArgumentError('seconds must be a number from 1 to 3600.');
  return seconds;
}

type Out = { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream };

/** `sis reindex DIR` through the queue. Ctrl-C (or SIGTERM) while waiting cancels the run on every worker. */
export async function queuedReindex(config: AppConfig, root: string, options: { wait: boolean }, out: Out): Promise<void> {
  const { coordinator, client, close } = openCoordinator(config);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const bar = createQueueProgressBar(out.stderr);
  try {
    const { runId, joined } = await coordinator.enqueue(root);
    const queued = (await coordinator.progress(runId))!;
    out.stderr.write(
      `${joined ? 'Joined the running' : 'Queued'} reindex ${runId} of ${queued.run.root}: ${queued.run.toEmbed} to embed` +
        `${queued.run.metadataQueued > 0 ? `, ${queued.run.metadataQueued} to read metadata for (no re-embedding)` : ''} in ${queued.run.batches} batches` +
        ` (${queued.run.unchanged} unchanged, ${queued.run.removed} removed); ${queued.liveWorkers.length} live worker(s).\n`,
    );
    if (!options.wait) {
      out.stdout.write(`${runId}\n`);
      return;
    }
    if (queued.liveWorkers.length === 0 && !queued.finished) out.stderr.write('No live workers yet: start `sis worker` on one or more hosts.\n');
    const final = await coordinator.wait(runId, { onProgress: bar.update, signal: stop.signal });
    bar.stop();
    if (!final.finished && stop.signal.aborted) {
      await coordinator.cancel(runId);
      out.stdout.write(`Cancelled reindex ${runId}: ${final.run.embedded} embedded before it stopped (committed); the remaining batches are dropped on every worker.\n`);
      process.exitCode = 130;
      return;
    }
    const [failed, skipped] = await Promise.all([coordinator.failedBatches(runId), client.runs.skippedFiles(runId)]);
    out.stdout.write(`${formatQueueSummary(final, failed, skipped)}\n`);
    if (final.run.state === 'cancelled') process.exitCode = 130;
    else if (final.run.batchesFailed > 0) process.exitCode = 1;
  } finally {
    bar.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await close();
  }
}

export function formatQueueSummary(progress: QueueProgress, failed: readonly FailedBatch[], skipped: readonly SkippedFile[]): string {
  const { run } = progress;
  const elapsed = (run.finishedAt ?? Date.now()) - run.startedAt;
  const lines = [
    `${run.state === 'cancelled' ? 'Cancelled' : 'Indexed'} ${run.root} through the queue in ${formatDuration(elapsed)} (run ${run.runId})`,
    `  embedded:  ${run.embedded}${run.embedded > 0 ? ` (${progress.imagesPerSecond.toFixed(1)} images/s over all workers)` : ''}`,
    `  unchanged: ${run.unchanged}`,
    `  skipped:   ${run.skipped + run.scanSkipped}${run.unchangedSkipped > 0 ? ` (+${run.unchangedSkipped} skipped before and unchanged)` : ''}`,
    `  removed:   ${run.removed}`,
  ];
  if (run.metadataQueued > 0) {
    const unread = run.metadataUnreadable > 0 ? ` (${run.metadataUnreadable} unreadable, tried again next time)` : '';
    lines.push(`  metadata:  ${run.metadataRead} of ${run.metadataQueued} unchanged files read without re-embedding${unread}`);
  }
  if (run.batchesFailed > 0) {
    lines.push(`  failed:    ${run.batchesFailed} batch(es), ${run.failedFiles + run.metadataFailed} files, after every retry (see \`sis status\`; a later reindex retries them)`);
    for (const batch of failed) lines.push(`  failed batch ${batch.jobId} (${batch.files} files, ${batch.attempts} attempts): ${batch.reason}`);
  }
  for (const skip of skipped) lines.push(`  skipped ${skip.path}: ${skip.reason}: ${skip.message}`);
  return lines.join('\n');
}

function formatWorkers(workers: readonly WorkerInfo[], now: number): string[] {
  if (workers.length === 0) return ['workers: none live (start `sis worker` on one or more hosts)'];
  return [
    `workers: ${workers.length} live`,
    ...workers.map(
      (w) =>
        `  ${w.id}  host ${w.host} pid ${w.pid}  up ${formatDuration(now - w.startedAt)}  ${w.batches} batches, ${w.embedded} images,` +
        ` ${w.recentImagesPerSecond.toFixed(1)} images/s (last minute)${w.current ? `  busy with ${w.current}` : '  idle'}  (seen ${formatDuration(now - w.lastSeen)} ago)`,
    ),
  ];
}

export function registerQueueCommands(program: Command, out: Out, configOf: () => AppConfig): void {
  program
    .command('worker')
    .description('embed queued reindex batches (SIS_QUEUE_URL, SIS_CATALOGUE_URL): start one on each host; stops after the batch in hand on SIGTERM/Ctrl-C')
    .option('--id <name>', 'the name `sis status` shows (default host:pid)')
    .option('--lock-seconds <n>', 'a batch whose worker died is handed to another after this long (BullMQ lock duration)', parseSeconds, 30)
    .action(async (options: { id?: string; lockSeconds: number }) => {
      const config = configOf();
      if (!usesQueue(config)) throw new UserFacingError('`sis worker` needs SIS_QUEUE_URL=redis://... (and SIS_CATALOGUE_URL=postgres://...).');
      let lastError = '';
      const started = await startWorker(config, {
        ...(options.id ? { id: options.id } : {}),
        lockMs: options.lockSeconds * 1000,
        onBatch: (batch) =>
          out.stderr.write(
            `batch ${batch.jobId}: ${batch.metadataRead > 0 ? `metadata of ${batch.metadataRead} files read` : `${batch.embedded} embedded, ${batch.skipped} skipped`} in ${formatDuration(batch.ms)}\n`,
          ),
        onError: (error) => {
          // Reconnects repeat the same error: say it once per change.
          if (error.message !== lastError) out.stderr.write(`worker: ${error.message}\n`);
          lastError = error.message;
        },
      });
      out.stderr.write(`worker ${started.worker.id}: model ${started.embedder.modelName} (${started.embedder.precision}) loaded; taking batches.\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      out.stderr.write(`worker ${started.worker.id}: stopping after the batch in hand.\n`);
      await started.close();
    });

  program
    .command('status')
    .description('the embedding queue: live workers and their rates, queue depth, recent reindex runs, failed batches')
    .option('--json', 'print it as JSON')
    .action(async (options: { json?: boolean }) => {
      const config = configOf();
      if (!usesQueue(config)) throw new UserFacingError('`sis status` shows the embedding queue: set SIS_QUEUE_URL=redis://... (and SIS_CATALOGUE_URL).');
      const { coordinator, client, close } = openCoordinator(config);
      try {
        const now = Date.now();
        const runs = await client.runs.recent(5);
        const progress = await Promise.all(runs.map((run) => coordinator.progress(run.runId, now)));
        const workers = await client.runs.liveWorkers(now);
        const depth = await client.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed');
        const failed = await coordinator.failedBatches(undefined, 20);
        if (options.json) {
          out.stdout.write(`${JSON.stringify({ workers, queue: depth, runs: progress.map((p) => p && { ...p, liveWorkers: undefined }), failed }, null, 2)}\n`);
          return;
        }
        const lines = [
          `queue ${client.location}: ${depth.waiting! + depth.prioritized! + depth.delayed!} batches waiting, ${depth.active} in hand, ${depth.failed} failed`,
          ...formatWorkers(workers, now),
          runs.length === 0 ? 'runs: none yet' : 'runs (newest first):',
          ...progress.filter((p): p is QueueProgress => p !== undefined).map(
            (p) =>
              `  ${p.run.runId}  ${p.run.state.padEnd(9)} ${p.run.root}  ${p.run.embedded + p.run.skipped}/${p.run.toEmbed} done` +
              ` (${p.run.skipped} skipped, ${p.run.batchesFailed} failed batches)` +
              (p.run.metadataQueued > 0 ? `  metadata ${p.run.metadataRead + p.run.metadataUnreadable + p.run.metadataFailed}/${p.run.metadataQueued}` : '') +
              `  ${p.imagesPerSecond.toFixed(1)} images/s` +
              (p.finished ? '' : `  ETA ${p.etaSeconds === undefined ? '--' : formatDuration(p.etaSeconds * 1000)}`),
          ),
          ...(failed.length > 0 ? ['failed batches (newest first):', ...failed.map((b) => `  ${b.jobId}  ${b.files} files, ${b.attempts} attempts: ${b.reason}`)] : []),
        ];
        out.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        await close();
      }
    });

  program
    .command('cancel')
    .description('cancel a queued reindex on every worker: by run id, or by folder (its running run)')
    .argument('<run>', 'a run id (`sis status` lists them) or the folder being reindexed')
    .action(async (target: string) => {
      const config = configOf();
      if (!usesQueue(config)) throw new UserFacingError('`sis cancel` stops a queued reindex: set SIS_QUEUE_URL=redis://... (and SIS_CATALOGUE_URL).');
      const { coordinator, client, close } = openCoordinator(config);
      try {
        const runId = (await client.runs.get(target)) ? target : await client.runs.activeFor(resolveUserPath(target));
        if (!runId) throw new UserFacingError(`No queued reindex ${target}: give a run id from \`sis status\` or a folder being reindexed.`);
        const cancelled = await coordinator.cancel(runId);
        out.stdout.write(cancelled ? `Cancelled reindex ${runId}.\n` : `Reindex ${runId} had finished already.\n`);
      } finally {
        await close();
      }
    });
}
