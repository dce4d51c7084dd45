export type ReindexPhase = 'scanning' | 'embedding' | 'saving' | 'done';

/** Emitted as a reindex runs; counts are for this run. */
export interface ReindexProgress {
  phase: ReindexPhase;
  /** Image files found by the scan so far. */
  seen: number;
  /** Files this run has to decode and embed (new or changed). */
  toEmbed: number;
  embedded: number;
  skipped: number;
  removed: number;
  unchanged: number;
  /** Through the embedding queue (SIS_QUEUE_URL) only: workers with a live heartbeat, and batches waiting or in hand. */
  liveWorkers?: number;
  queueDepth?: number;
  imagesPerSecond: number;
  /** Seconds left at the current rate; undefined until there is a rate. */
  etaSeconds: number | undefined;
}

/** Images/s and ETA over the embedding phase. */
export class RateMeter {
  private startedAt = 0;

  start(now = performance.now()): void {
    this.startedAt = now;
  }

  rate(done: number, now = performance.now()): number {
    const seconds = (now - this.startedAt) / 1000;
    return seconds > 0 ? done / seconds : 0;
  }

  eta(done: number, total: number, now = performance.now()): number | undefined {
    const rate = this.rate(done, now);
    return done > 0 && rate > 0 ? (total - done) / rate : undefined;
  }
}
