import crypto from 'node:crypto';
import type { ReindexOptions, ReindexProgress, ReindexSummary } from '../indexing';

/**
 * Reindex jobs run in the background of a long-lived process (the API server): one at a time, observable
 * by polling, cancellable. The registry knows nothing about HTTP; it runs whatever `runner` it is given
 * (normally Indexer.reindex) and records what happens.
 */

export type ReindexJobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** A point-in-time copy of a job: safe to hand out, never changes after it is returned. */
export interface ReindexJob {
  readonly id: string;
  /** Absolute folder being indexed. */
  readonly root: string;
  /** The model this job switches the library to (`reindex --model`); undefined for a plain reindex. */
  readonly model: string | undefined;
  readonly state: ReindexJobState;
  /** Latest progress report of the indexer (counts are for this run). */
  readonly progress: Readonly<ReindexProgress>;
  /** Set once the run has finished (succeeded, or cancelled after it started): counts and skipped files with reasons. */
  readonly summary: ReindexSummary | undefined;
  /** Why the job failed, one line for a person. */
  readonly error: string | undefined;
  /** All times are milliseconds since the epoch. */
  readonly createdAt: number;
  readonly startedAt: number | undefined;
  readonly finishedAt: number | undefined;
}

export type ReindexRunner = (root: string, options: ReindexOptions, request: ReindexRequest) => Promise<ReindexSummary>;

/** What a job was asked to do beyond reindexing its folder. */
export interface ReindexRequest {
  /** Switch the library to this model first (ModelSwitch): its vectors are built beside the old ones. */
  model?: string;
}

export interface ReindexJobsOptions {
  /** Finished jobs remembered for polling (oldest forgotten first; default 20). */
  keepFinished?: number;
  now?: () => number;
  newId?: () => string;
  /** Called once per job when it ends, with the error for failed jobs (for logging). */
  onFinished?: (job: ReindexJob, error?: unknown) => void;
}

export class ReindexJobsClosedError extends Error {
  override readonly name = 'ReindexJobsClosedError';
}

interface JobRecord {
  id: string;
  root: string;
  model: string | undefined;
  state: ReindexJobState;
  progress: ReindexProgress;
  summary: ReindexSummary | undefined;
  error: string | undefined;
  createdAt: number;
  startedAt: number | undefined;
  finishedAt: number | undefined;
  controller: AbortController;
  /** Settles (never rejects) when the job has ended. */
  done: Promise<void>;
}

const FINISHED: ReadonlySet<ReindexJobState> = new Set(['succeeded', 'failed', 'cancelled']);

export function isFinished(state: ReindexJobState): boolean {
  return FINISHED.has(state);
}

function initialProgress(): ReindexProgress {
  return { phase: 'scanning', seen: 0, toEmbed: 0, embedded: 0, skipped: 0, removed: 0, unchanged: 0, imagesPerSecond: 0, etaSeconds: undefined };
}

/** Single-flight registry of reindex jobs. */
export class ReindexJobs {
  private readonly jobs = new Map<string, JobRecord>();
  private active: JobRecord | undefined;
  private closed = false;
  private readonly keepFinished: number;
  private readonly now: () => number;
  private readonly newId: () => string;

  constructor(
    private readonly runner: ReindexRunner,
    private readonly options: ReindexJobsOptions = {},
  ) {
    this.keepFinished = Math.max(1, options.keepFinished ?? 20);
    this.now = options.now ?? Date.now;
    this.newId = options.newId ?? (() => crypto.randomUUID());
  }

  /**
   * Starts a reindex of `root` in the background and returns at once. While a job is queued or running,
   * returns that job instead (whatever folder it indexes) with `created: false`: one reindex at a time.
   */
  start(root: string, request: ReindexRequest = {}): { job: ReindexJob; created: boolean } {
    if (this.closed) throw new ReindexJobsClosedError('The server is shutting down: no new reindex can start.');
    if (this.active) return { job: snapshot(this.active), created: false };
    const record: JobRecord = {
      id: this.newId(),
      root,
      model: request.model,
      state: 'queued',
      progress: initialProgress(),
      summary: undefined,
      error: undefined,
      createdAt: this.now(),
      startedAt: undefined,
      finishedAt: undefined,
      controller: new AbortController(),
      done: Promise.resolve(),
    };
    this.jobs.set(record.id, record);
    this.active = record;
    // Next turn of the event loop: the caller gets its answer before any indexing work happens.
    record.done = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.execute(record));
    this.forgetOldJobs();
    return { job: snapshot(record), created: true };
  }

  get(id: string): ReindexJob | undefined {
    const record = this.jobs.get(id);
    return record && snapshot(record);
  }

  /** The queued or running job, if any. */
  current(): ReindexJob | undefined {
    return this.active && snapshot(this.active);
  }

  /** Remembered jobs, newest first. */
  list(): ReindexJob[] {
    return [...this.jobs.values()].reverse().map(snapshot);
  }

  /**
   * Asks a queued or running job to stop: a queued job never starts; a running one stops after its current
   * batch and keeps what it committed. Returns the job (already finished jobs are returned unchanged), or
   * undefined for an unknown id.
   */
  cancel(id: string): ReindexJob | undefined {
    const record = this.jobs.get(id);
    if (!record) return undefined;
    if (!isFinished(record.state)) record.controller.abort();
    return snapshot(record);
  }

  /** Resolves when no job is queued or running. */
  async whenIdle(): Promise<void> {
    while (this.active) await this.active.done;
  }

  /** Refuses new jobs, cancels the running one (it commits what it did) and waits for it to end. */
  async shutdown(): Promise<void> {
    this.closed = true;
    this.active?.controller.abort();
    await this.whenIdle();
  }

  private async execute(record: JobRecord): Promise<void> {
    let failure: unknown;
    try {
      if (record.controller.signal.aborted) {
        record.state = 'cancelled';
        return;
      }
      record.state = 'running';
      record.startedAt = this.now();
      const summary = await this.runner(
        record.root,
        {
          signal: record.controller.signal,
          onProgress: (progress) => {
            record.progress = { ...progress };
          },
        },
        record.model === undefined ? {} : { model: record.model },
      );
      record.summary = summary;
      record.state = summary.cancelled ? 'cancelled' : 'succeeded';
    } catch (error) {
      failure = error;
      record.state = 'failed';
      record.error = error instanceof Error ? error.message : String(error);
    } finally {
      record.finishedAt = this.now();
      if (this.active === record) this.active = undefined;
      try {
        this.options.onFinished?.(snapshot(record), failure);
      } catch {
        // A logging hook must not break the registry.
      }
    }
  }

  private forgetOldJobs(): void {
    const finished = [...this.jobs.values()].filter((record) => isFinished(record.state));
    for (const record of finished.slice(0, Math.max(0, finished.length - this.keepFinished))) this.jobs.delete(record.id);
  }
}

function snapshot(record: JobRecord): ReindexJob {
  return Object.freeze({
    id: record.id,
    root: record.root,
    model: record.model,
    state: record.state,
    progress: Object.freeze({ ...record.progress }),
    summary: record.summary,
    error: record.error,
    createdAt: record.createdAt,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
  });
}
