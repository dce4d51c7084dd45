/**
 * Admission of model calls (inference) from two kinds of callers: interactive ones (a search waiting for its query
 * vector) and background ones (the indexer's batches). Without it, twenty searches running flat out leave a
 * reindex a sliver of the CPU: every call shares ONNX Runtime's threads, and there are twenty of them to one batch.
 *
 * The policy, work-conserving and fair by time (start-time fair queuing with two weights):
 * - At most `concurrency` calls run at once (default 1: one call already uses all of ONNX Runtime's threads).
 * - When only one kind is waiting, it runs: each kind gets all the time the other leaves idle.
 * - When both are waiting, the kind that has had less model time for its weight goes first (background weight
 *   `backgroundShare`, interactive weight 1 - `backgroundShare`; a tie goes to the interactive call). Each kind keeps
 *   a virtual clock: a finished call adds its duration divided by its weight. A kind that was idle (nothing waiting
 *   or running) restarts at the other kind's clock, so idle time neither buys nor costs turns later.
 * So while both compete, the indexer gets `backgroundShare` of the model's time (give or take one call), searches
 * get the rest. 0 gives searches strict priority; 1 gives it to the indexer.
 */

export type InferencePriority = 'interactive' | 'background';

export interface InferenceSchedulerSettings {
  /** Share of inference time guaranteed to background work while both kinds wait, from 0 (strict priority to interactive work) to 1. */
  backgroundShare: number;
  /** Calls running at once (default 1). */
  concurrency?: number;
  /** Milliseconds from any fixed point (default performance.now): tests pass a fake clock. */
  now?: () => number;
}

export interface InferenceSchedulerStats {
  running: number;
  waiting: Record<InferencePriority, number>;
  /** Calls finished, by kind. */
  completed: Record<InferencePriority, number>;
  /** Model time used by finished calls, by kind, in milliseconds. */
  busyMs: Record<InferencePriority, number>;
}

interface Waiting {
  start: () => void;
}

export class InferenceScheduler {
  readonly backgroundShare: number;
  private readonly concurrency: number;
  private readonly now: () => number;
  private readonly queues: Record<InferencePriority, Waiting[]> = { interactive: [], background: [] };
  private readonly virtualMs: Record<InferencePriority, number> = { interactive: 0, background: 0 };
  private readonly runningByKind: Record<InferencePriority, number> = { interactive: 0, background: 0 };
  private readonly busyMs: Record<InferencePriority, number> = { interactive: 0, background: 0 };
  private readonly completed: Record<InferencePriority, number> = { interactive: 0, background: 0 };
  private running = 0;

  constructor(settings: InferenceSchedulerSettings) {
    const { backgroundShare, concurrency = 1 } = settings;
    if (!(backgroundShare >= 0 && backgroundShare <= 1)) throw new RangeError(`backgroundShare must be from 0 to 1 (got ${backgroundShare})`);
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a whole number of at least 1 (got ${concurrency})`);
    this.backgroundShare = backgroundShare;
    this.concurrency = concurrency;
    this.now = settings.now ?? (() => performance.now());
  }

  /** Runs `task` when its turn comes; resolves or rejects with it. */
  run<T>(priority: InferencePriority, task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const other = otherThan(priority);
      if (this.queues[priority].length === 0 && this.runningByKind[priority] === 0) {
        this.virtualMs[priority] = Math.max(this.virtualMs[priority], this.virtualMs[other]);
      }
      this.queues[priority].push({
        start: () => {
          const startedAt = this.now();
          let result: Promise<T>;
          try {
            result = task();
          } catch (error) {
            result = Promise.reject(error);
          }
          // The slot is free (and the time counted) before the caller continues.
          result.then(
            (value) => {
              this.finished(priority, this.now() - startedAt);
              resolve(value);
            },
            (error: unknown) => {
              this.finished(priority, this.now() - startedAt);
              reject(error);
            },
          );
        },
      });
      this.dispatch();
    });
  }

  stats(): InferenceSchedulerStats {
    return {
      running: this.running,
      waiting: { interactive: this.queues.interactive.length, background: this.queues.background.length },
      completed: { ...this.completed },
      busyMs: { ...this.busyMs },
    };
  }

  /** The kind whose call starts next, when a slot is free. */
  private next(): InferencePriority | undefined {
    const interactive = this.queues.interactive.length > 0;
    const background = this.queues.background.length > 0;
    if (!interactive || !background) return interactive ? 'interactive' : background ? 'background' : undefined;
    if (this.backgroundShare === 0) return 'interactive';
    if (this.backgroundShare === 1) return 'background';
    return this.virtualMs.background < this.virtualMs.interactive ? 'background' : 'interactive';
  }

  private dispatch(): void {
    while (this.running < this.concurrency) {
      const kind = this.next();
      if (!kind) return;
      this.running++;
      this.runningByKind[kind]++;
      this.queues[kind].shift()!.start();
    }
  }

  private finished(priority: InferencePriority, ms: number): void {
    this.running--;
    this.runningByKind[priority]--;
    const used = Math.max(0, ms);
    this.busyMs[priority] += used;
    const weight = priority === 'background' ? this.backgroundShare : 1 - this.backgroundShare;
    // A weight of 0 is strict priority (see next()); its clock does not matter then.
    if (weight > 0) this.virtualMs[priority] += used / weight;
    this.completed[priority]++;
    this.dispatch();
  }
}

function otherThan(priority: InferencePriority): InferencePriority {
  return priority === 'interactive' ? 'background' : 'interactive';
}
