import os from 'node:os';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BatchEmbedder, BatchWriter } from './batchEmbedder';
import { EMBED_QUEUE_NAME, QUEUE_KEY_PREFIX, type QueueJob } from './jobs';
import type { MetadataBatchReader } from './metadataBatch';
import type { BatchOutcome, QueueRuns, WorkerInfo } from './runs';

export interface QueueWorkerOptions {
  /** A connection for BullMQ (maxRetriesPerRequest: null); the worker duplicates it for its blocking reads. */
  connection: Redis;
  runs: QueueRuns;
  batches: BatchEmbedder;
  /** Metadata batches: headers read and recorded for rows embedded before metadata was, without the model. */
  metadata: MetadataBatchReader;
  writer: BatchWriter;
  /**
   * How long a batch stays locked without a renewal (BullMQ's lockDuration; renewed every half of it while the
   * worker lives). A worker that dies loses its lock after this, and the stalled-job check hands its batch to
   * another worker. Default 30 s.
   */
  lockMs?: number;
  heartbeatMs?: number;
  /** A name for `sis status`; default host:pid. */
  id?: string;
  onBatch?: (event: { jobId: string; embedded: number; skipped: number; metadataRead: number; ms: number }) => void;
  onError?: (error: Error) => void;
}

/** Stalled batches are handed on this many times (a worker killed mid-batch) before they count as failed. */
export const MAX_STALLED_COUNT = 5;

/**
 * A `sis worker` process's queue side: takes batches from BullMQ one at a time, runs each through the
 * BatchEmbedder (the model loaded once, by the caller) or, for a metadata batch, the MetadataBatchReader (no
 * model), counts it once in Redis, heartbeats. A batch whose
 * run was cancelled is acknowledged without work. A batch that BullMQ fails for good (BATCH_ATTEMPTS errors, or
 * stalled past MAX_STALLED_COUNT) is counted as failed (BullMQ keeps it in its failed list, with the reason, for
 * `sis status`).
 */
export class QueueWorker {
  private readonly worker: Worker<QueueJob>;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly info: WorkerInfo;
  private readonly recent: { at: number; embedded: number }[] = [];

  constructor(private readonly options: QueueWorkerOptions) {
    const lockMs = options.lockMs ?? 30_000;
    const host = os.hostname();
    this.info = {
      id: options.id ?? `${host}:${process.pid}`,
      host,
      pid: process.pid,
      startedAt: Date.now(),
      lastSeen: Date.now(),
      embedded: 0,
      batches: 0,
      recentImagesPerSecond: 0,
      current: '',
    };
    this.worker = new Worker<QueueJob>(EMBED_QUEUE_NAME, (job) => this.process(job), {
      connection: options.connection,
      prefix: QUEUE_KEY_PREFIX,
      concurrency: 1,
      lockDuration: lockMs,
      stalledInterval: Math.max(1000, Math.round(lockMs / 2)),
      maxStalledCount: MAX_STALLED_COUNT,
      autorun: true,
    });
    this.worker.on('failed', (job, error) => void this.onFailed(job, error));
    this.worker.on('error', (error) => options.onError?.(error));
    this.heartbeat = setInterval(() => void this.beat(), options.heartbeatMs ?? 2000);
    this.heartbeat.unref();
    void this.beat();
  }

  get id(): string {
    return this.info.id;
  }

  private async process(job: Job<QueueJob>): Promise<{ embedded: number; skipped: number; metadataRead: number } | { cancelled: true }> {
    const data = job.data;
    const state = await this.options.runs.state(data.runId);
    if (state === undefined || state === 'cancelled') return { cancelled: true };
    const start = performance.now();
    this.info.current = job.id ?? '';
    void this.beat(); // `sis status` shows what each worker holds now, not two seconds ago.
    try {
      const outcome: BatchOutcome =
        data.kind === 'metadata'
          ? { kind: 'metadata', ...(await this.options.metadata.process(data)) }
          : { kind: 'embedded', ...(await this.options.batches.process(data)) };
      const { finishedRun } = await this.options.runs.recordBatch(data, job.id!, outcome);
      if (finishedRun) await this.options.writer.recordReindex();
      const done = outcome.kind === 'metadata'
        ? { embedded: 0, skipped: 0, metadataRead: outcome.read }
        : { embedded: outcome.embedded, skipped: outcome.skipped.length, metadataRead: 0 };
      this.info.embedded += done.embedded;
      this.info.batches++;
      this.recent.push({ at: Date.now(), embedded: this.info.embedded });
      this.options.onBatch?.({ jobId: job.id!, ...done, ms: performance.now() - start });
      return done;
    } finally {
      this.info.current = '';
      void this.beat();
    }
  }

  /**
   * BullMQ emits 'failed' for every failed attempt, retried or not, and also for a batch that stalled more than
   * MAX_STALLED_COUNT times (its workers died: BullMQ 6 marks it and fails it, "job stalled more than allowable
   * limit", in whichever worker takes it next, with attemptsMade possibly below BATCH_ATTEMPTS). So the final
   * failure is decided by the job's state: in BullMQ's failed set. The run counts a batch once (runs.ts), so a
   * second 'failed' for it changes nothing.
   */
  private async onFailed(job: Job<QueueJob> | undefined, error: Error): Promise<void> {
    this.options.onError?.(error);
    if (!job?.id) return;
    try {
      if (!(await isFinalFailure(job))) return;
      const kind = job.data.kind === 'metadata' ? 'metadata' : 'embed';
      const { finishedRun } = await this.options.runs.recordBatch(job.data, job.id, { kind: 'failed', job: kind, files: job.data.files.length });
      if (finishedRun) await this.options.writer.recordReindex();
    } catch (recordError) {
      this.options.onError?.(recordError as Error);
    }
  }

  private async beat(): Promise<void> {
    const now = Date.now();
    while (this.recent.length > 0 && this.recent[0]!.at < now - 60_000) this.recent.shift();
    const oldest = this.recent[0];
    const newest = this.recent[this.recent.length - 1];
    this.info.recentImagesPerSecond = oldest && newest && newest.at > oldest.at ? (newest.embedded - oldest.embedded) / ((newest.at - oldest.at) / 1000) : 0;
    this.info.lastSeen = now;
    try {
      await this.options.runs.heartbeat(this.info);
    } catch (error) {
      this.options.onError?.(error as Error); // Redis away: the next beat tries again.
    }
  }

  /** Finishes the batch in hand, then stops taking batches and leaves the live list. */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    await this.worker.close();
    await this.options.runs.removeWorker(this.info.id).catch(() => undefined);
  }
}

/** True when BullMQ moved the job to its failed set (no retry left, or failed as stalled too often), not when it retries it. */
async function isFinalFailure(job: Job<QueueJob>): Promise<boolean> {
  return (await job.getState()) === 'failed';
}
