import crypto from 'node:crypto';
import path from 'node:path';
import type { Queue } from 'bullmq';
import { assertScannableRoot, planReindex, scanImages, type KnownFile } from '../indexing';
import type { ScanOptions } from '../indexing/scan';
import { BATCH_ATTEMPTS, batchJobId, JOB_NAMES, METADATA_BATCH_FACTOR, type QueueJob, type QueuedFile } from './jobs';
import type { QueueRun, QueueRuns, WorkerInfo } from './runs';

/** What the coordinator needs from the catalogue: the diff, and the removals it commits itself. */
export interface CoordinatorCatalogue {
  fileStates(): ReadonlyMap<string, KnownFile>;
  removePaths(paths: readonly string[]): void;
  recordFileIdentities(files: readonly { path: string; device: string; inode: string }[]): void;
  /** Indexed files whose metadata was never recorded (embedded before it was): queued for a header read, not re-embedded. */
  pathsWithoutMetadata(): string[];
  /** Holds the folder across every process sharing the catalogue while scanning and enqueuing (an embedded reindex too). */
  claimReindex?(root: string): { release(): void };
}

export interface QueueProgress {
  run: QueueRun;
  /** Images embedded or skipped per second since the batches were queued. */
  imagesPerSecond: number;
  etaSeconds: number | undefined;
  liveWorkers: WorkerInfo[];
  /** Batches waiting or in hand, over every run. */
  queueDepth: number;
  finished: boolean;
}

export interface FailedBatch {
  jobId: string;
  runId: string;
  files: number;
  reason: string;
  attempts: number;
  failedAt: number | undefined;
}

export interface EnqueueResult {
  runId: string;
  /** True when a run of this folder was going already: this call joined it. */
  joined: boolean;
}

/**
 * `sis reindex` with SIS_QUEUE_URL: scans the folder, diffs it against the catalogue, commits the removals,
 * and enqueues the files to embed in batches of file references for `sis worker` processes. Progress is
 * aggregated from the run's counts in Redis, BullMQ's job counts and the workers' heartbeats.
 */
export class QueueCoordinator {
  constructor(
    private readonly catalogue: CoordinatorCatalogue,
    private readonly queue: Queue<QueueJob>,
    private readonly runs: QueueRuns,
    private readonly settings: { scan: ScanOptions; batchImages: number },
  ) {}

  async enqueue(folder: string): Promise<EnqueueResult> {
    const root = path.resolve(folder);
    await assertScannableRoot(root);
    const createdAt = Date.now();
    const runId = crypto.randomUUID();
    const holder = await this.runs.claimRoot(root, runId);
    if (holder !== runId) return { runId: holder, joined: true };
    const claim = this.catalogue.claimReindex?.(root);
    try {
      const scan = await scanImages(root, this.settings.scan);
      const plan = planReindex(root, scan.files, this.catalogue.fileStates());
      if (plan.identityUpdates.length > 0) this.catalogue.recordFileIdentities(plan.identityUpdates);
      if (plan.removed.length > 0) this.catalogue.removePaths(plan.removed);
      const jobs: QueueJob[] = [];
      const { batchImages } = this.settings;
      for (let i = 0; i < plan.toEmbed.length; i += batchImages) {
        const files: QueuedFile[] = plan.toEmbed.slice(i, i + batchImages).map(({ path: file, size, mtimeMs, device, inode }) => ({ path: file, size, mtimeMs, device, inode }));
        jobs.push({ runId, root, batch: jobs.length, files });
      }
      const metadataOnly = this.metadataBackfill(root, plan.toEmbed);
      for (let i = 0; i < metadataOnly.length; i += batchImages * METADATA_BATCH_FACTOR) {
        jobs.push({ kind: 'metadata', runId, root, batch: jobs.length, files: metadataOnly.slice(i, i + batchImages * METADATA_BATCH_FACTOR) });
      }
      await this.runs.create({
        runId, root, seen: scan.files.length, toEmbed: plan.toEmbed.length, unchanged: plan.unchangedIndexed, unchangedSkipped: plan.unchangedSkipped,
        removed: plan.removed.length, scanSkipped: scan.problems.length, metadataQueued: metadataOnly.length, batches: jobs.length, createdAt,
      });
      const jobOptions = (batch: number) => ({
        jobId: batchJobId(runId, batch),
        attempts: BATCH_ATTEMPTS,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: true,
        removeOnFail: { age: 7 * 24 * 3600 },
      });
      for (let i = 0; i < jobs.length; i += 500) {
        await this.queue.addBulk(jobs.slice(i, i + 500).map((data) => ({ name: JOB_NAMES[data.kind ?? 'embed'], data, opts: jobOptions(data.batch) })));
      }
      await this.runs.markRunning({ runId, root });
      return { runId, joined: false };
    } catch (error) {
      await this.runs.cancel(runId).catch(() => undefined);
      throw error;
    } finally {
      claim?.release();
    }
  }

  /**
   * The folder's indexed files that lack metadata and are not re-embedded in this run (those get it from their
   * worker): a worker reads their headers, so the coordinator need not see the files (SIS_QUEUE_PATH_MAP).
   */
  private metadataBackfill(root: string, toEmbed: readonly { path: string }[]): string[] {
    const inRoot = root.endsWith(path.sep) ? root : root + path.sep;
    const reembedded = new Set(toEmbed.map((file) => file.path));
    return this.catalogue.pathsWithoutMetadata().filter((file) => file.startsWith(inRoot) && !reembedded.has(file));
  }

  async progress(runId: string, now = Date.now()): Promise<QueueProgress | undefined> {
    const run = await this.runs.get(runId);
    if (!run) return undefined;
    const [liveWorkers, counts] = await Promise.all([
      this.runs.liveWorkers(now),
      this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized'),
    ]);
    const done = run.embedded + run.skipped + run.failedFiles;
    const seconds = ((run.finishedAt ?? now) - run.startedAt) / 1000;
    const imagesPerSecond = seconds > 0 ? (run.embedded + run.skipped) / seconds : 0;
    const finished = run.state === 'done' || run.state === 'cancelled';
    const etaSeconds = finished ? 0 : imagesPerSecond > 0 ? (run.toEmbed - done) / imagesPerSecond : undefined;
    const queueDepth = Object.values(counts).reduce((sum, n) => sum + n, 0);
    return { run, imagesPerSecond, etaSeconds, liveWorkers, queueDepth, finished };
  }

  /** Polls the run's progress until it is done or cancelled; `signal` stops waiting (not the run). */
  async wait(runId: string, options: { onProgress?: (progress: QueueProgress) => void; signal?: AbortSignal; pollMs?: number } = {}): Promise<QueueProgress> {
    for (;;) {
      const progress = await this.progress(runId);
      if (!progress) throw new Error(`No queued reindex run ${runId}.`);
      options.onProgress?.(progress);
      if (progress.finished || options.signal?.aborted) return progress;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.pollMs ?? 1000);
        options.signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
      });
    }
  }

  /** Cancels a run across every worker: its waiting batches are removed, batches in hand are left to finish. */
  async cancel(runId: string): Promise<boolean> {
    const cancelled = await this.runs.cancel(runId);
    if (!cancelled) return false;
    const run = await this.runs.get(runId);
    for (let batch = 0; run && batch < run.batches; batch++) {
      const job = await this.queue.getJob(batchJobId(runId, batch));
      if (job && (await job.getState()) !== 'active') await job.remove().catch(() => undefined);
    }
    return true;
  }

  /** Batches that failed every attempt (newest first), with BullMQ's reason: the failed list shown to the user. */
  async failedBatches(runId?: string, limit = 100): Promise<FailedBatch[]> {
    const jobs = await this.queue.getFailed(0, limit - 1);
    return jobs
      .filter((job) => runId === undefined || job.data.runId === runId)
      .map((job) => ({
        jobId: job.id ?? '',
        runId: job.data.runId,
        files: job.data.files.length,
        reason: job.failedReason,
        attempts: job.attemptsMade,
        failedAt: job.finishedOn,
      }));
  }
}
