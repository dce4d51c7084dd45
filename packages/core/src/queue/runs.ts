import type { Redis } from 'ioredis';
import type { SkippedFile } from '../indexing';

/**
 * The state of queued reindex runs and of the workers, in Redis beside BullMQ's own keys: one hash per run
 * (counts, state), one hash per run of the batches already counted (so that a batch that is retried after it
 * committed is counted once), one hash of the running run of each folder (single flight), and one hash per
 * live worker (heartbeats, expiring). Counting and finishing a run is one Lua script: atomic in Redis.
 */

export type QueueRunState = 'enqueuing' | 'running' | 'done' | 'cancelled';

export interface QueueRun {
  runId: string;
  root: string;
  state: QueueRunState;
  /** Files found by the coordinator's scan. */
  seen: number;
  toEmbed: number;
  unchanged: number;
  /** Files skipped before and unchanged since (not retried). */
  unchangedSkipped: number;
  removed: number;
  /** Scan problems (unreadable folders) recorded by the coordinator. */
  scanSkipped: number;
  batches: number;
  batchesDone: number;
  batchesFailed: number;
  embedded: number;
  /** Files that a worker could not embed (typed skip reasons, in the catalogue). */
  skipped: number;
  /** Files in batches that ended in the failed list. */
  failedFiles: number;
  /** Unchanged indexed files queued for their metadata only (embedded before it was recorded): no model runs for them. */
  metadataQueued: number;
  metadataRead: number;
  /** Files whose header could not be read (they stay without metadata; a later reindex tries again). */
  metadataUnreadable: number;
  /** Files in metadata batches that ended in the failed list. */
  metadataFailed: number;
  createdAt: number;
  startedAt: number;
  finishedAt: number | undefined;
}

export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  startedAt: number;
  lastSeen: number;
  embedded: number;
  batches: number;
  /** Images/s over the last minute of work. */
  recentImagesPerSecond: number;
  /** The batch in hand, if any (job id). */
  current: string;
}

/** A worker counts as live while its heartbeat is younger than this. */
export const WORKER_LIVE_MS = 15_000;

const PREFIX = 'sis';
const runKey = (runId: string) => `${PREFIX}:run:${runId}`;
const batchesKey = (runId: string) => `${PREFIX}:run:${runId}:batches`;
const skippedKey = (runId: string) => `${PREFIX}:run:${runId}:skipped`;
const ACTIVE_KEY = `${PREFIX}:runs:active`;
const RUNS_KEY = `${PREFIX}:runs`;
const WORKERS_KEY = `${PREFIX}:workers`;
const workerKey = (id: string) => `${PREFIX}:worker:${id}`;

// Finishes the run (state done, folder released) once every batch is counted, if it is running.
const FINISH_IF_COMPLETE = `
local batches = tonumber(redis.call('HGET', KEYS[1], 'batches') or '0')
local finished = tonumber(redis.call('HGET', KEYS[1], 'batchesDone') or '0') + tonumber(redis.call('HGET', KEYS[1], 'batchesFailed') or '0')
if finished >= batches and redis.call('HGET', KEYS[1], 'state') == 'running' then
  redis.call('HSET', KEYS[1], 'state', 'done', 'finishedAt', ARGV[3])
  if redis.call('HGET', KEYS[3], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[3], ARGV[1]) end
  return 1
end
return 0`;

// KEYS: run, batches, active, skipped. ARGV: root, runId, now, batchId, outcome ('done' | 'failed'), the number n of
// counters, n pairs of counter field and increment, then path and JSON { reason, message } of each skipped file.
const RECORD_BATCH = `
if redis.call('HSETNX', KEYS[2], ARGV[4], ARGV[5]) == 0 then return {0, 0} end
redis.call('HINCRBY', KEYS[1], ARGV[5] == 'done' and 'batchesDone' or 'batchesFailed', 1)
local counters = tonumber(ARGV[6])
for i = 7, 6 + 2 * counters, 2 do redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1]) end
for i = 7 + 2 * counters, #ARGV, 2 do redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 1]) end
local finished = (function() ${FINISH_IF_COMPLETE} end)()
return {1, finished}`;

/** What one batch came to: embedded, its metadata read, or failed for good (of either kind). */
export type BatchOutcome =
  | { kind: 'embedded'; embedded: number; skipped: readonly SkippedFile[] }
  | { kind: 'metadata'; read: number; unreadable: number }
  | { kind: 'failed'; job: 'embed' | 'metadata'; files: number };

type Counter = 'embedded' | 'skipped' | 'failedFiles' | 'metadataRead' | 'metadataUnreadable' | 'metadataFailed';

function countersOf(outcome: BatchOutcome): [Counter, number][] {
  switch (outcome.kind) {
    case 'embedded':
      return [['embedded', outcome.embedded], ['skipped', outcome.skipped.length]];
    case 'metadata':
      return [['metadataRead', outcome.read], ['metadataUnreadable', outcome.unreadable]];
    case 'failed':
      return [[outcome.job === 'embed' ? 'failedFiles' : 'metadataFailed', outcome.files]];
  }
}

// KEYS: run, batches, active. ARGV: root, runId, now.
const MARK_RUNNING = `
if redis.call('HGET', KEYS[1], 'state') ~= 'enqueuing' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'running')
${FINISH_IF_COMPLETE}`;

// KEYS: active, run. ARGV: root, runId. Claims the folder unless a run that is not finished holds it; returns the holder.
const CLAIM_ROOT = `
local holder = redis.call('HGET', KEYS[1], ARGV[1])
if holder then
  local state = redis.call('HGET', '${PREFIX}:run:' .. holder, 'state')
  if state == 'enqueuing' or state == 'running' then return holder end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return ARGV[2]`;

export class QueueRuns {
  constructor(private readonly redis: Redis) {}

  /**
   * Claims the folder for a new run: returns `runId` when claimed, or the id of the run that holds it (enqueuing
   * or running). The run's hash is created by create().
   */
  async claimRoot(root: string, runId: string): Promise<string> {
    return (await this.redis.eval(CLAIM_ROOT, 2, ACTIVE_KEY, runKey(runId), root, runId)) as string;
  }

  /** `createdAt`: when the coordinator started scanning; the rate counts from now, when the batches are queued. */
  async create(
    run: Pick<QueueRun, 'runId' | 'root' | 'seen' | 'toEmbed' | 'unchanged' | 'unchangedSkipped' | 'removed' | 'scanSkipped' | 'metadataQueued' | 'batches' | 'createdAt'>,
    now = Date.now(),
  ): Promise<void> {
    await this.redis
      .multi()
      .hset(runKey(run.runId), {
        ...run,
        state: 'enqueuing',
        batchesDone: 0,
        batchesFailed: 0,
        embedded: 0,
        skipped: 0,
        failedFiles: 0,
        metadataRead: 0,
        metadataUnreadable: 0,
        metadataFailed: 0,
        startedAt: now,
      })
      .zadd(RUNS_KEY, now, run.runId)
      .exec();
  }

  /** Every batch is queued: the run is running (and done at once when nothing was left to do). Returns true when it finished. */
  async markRunning(run: Pick<QueueRun, 'runId' | 'root'>, now = Date.now()): Promise<boolean> {
    return (await this.redis.eval(MARK_RUNNING, 3, runKey(run.runId), batchesKey(run.runId), ACTIVE_KEY, run.root, run.runId, now)) === 1;
  }

  /**
   * Counts one batch once, however often it is retried. Returns whether it was counted now and whether that
   * finished the run (exactly one caller learns that).
   */
  async recordBatch(run: Pick<QueueRun, 'runId' | 'root'>, batchId: string, outcome: BatchOutcome, now = Date.now()): Promise<{ counted: boolean; finishedRun: boolean }> {
    const counters = countersOf(outcome);
    const skipped = outcome.kind === 'embedded' ? outcome.skipped.flatMap((file) => [file.path, JSON.stringify({ reason: file.reason, message: file.message })]) : [];
    const args = [outcome.kind === 'failed' ? 'failed' : 'done', counters.length, ...counters.flat(), ...skipped];
    const keys = [runKey(run.runId), batchesKey(run.runId), ACTIVE_KEY, skippedKey(run.runId)];
    const [counted, finished] = (await this.redis.eval(RECORD_BATCH, keys.length, ...keys, run.root, run.runId, now, batchId, ...args)) as [number, number];
    return { counted: counted === 1, finishedRun: finished === 1 };
  }

  async get(runId: string): Promise<QueueRun | undefined> {
    const hash = await this.redis.hgetall(runKey(runId));
    if (!hash.runId) return undefined;
    const n = (key: string) => Number(hash[key] ?? 0);
    return {
      runId: hash.runId,
      root: hash.root ?? '',
      state: hash.state as QueueRunState,
      seen: n('seen'),
      toEmbed: n('toEmbed'),
      unchanged: n('unchanged'),
      unchangedSkipped: n('unchangedSkipped'),
      removed: n('removed'),
      scanSkipped: n('scanSkipped'),
      batches: n('batches'),
      batchesDone: n('batchesDone'),
      batchesFailed: n('batchesFailed'),
      embedded: n('embedded'),
      skipped: n('skipped'),
      failedFiles: n('failedFiles'),
      metadataQueued: n('metadataQueued'),
      metadataRead: n('metadataRead'),
      metadataUnreadable: n('metadataUnreadable'),
      metadataFailed: n('metadataFailed'),
      createdAt: n('createdAt'),
      startedAt: n('startedAt'),
      finishedAt: hash.finishedAt !== undefined ? Number(hash.finishedAt) : undefined,
    };
  }

  /** The files the run's workers skipped, with their typed reasons (at most `limit`). */
  async skippedFiles(runId: string, limit = 1000): Promise<SkippedFile[]> {
    const files: SkippedFile[] = [];
    let cursor = '0';
    do {
      const [next, entries] = await this.redis.hscan(skippedKey(runId), cursor, 'COUNT', 500);
      cursor = next;
      for (let i = 0; i + 1 < entries.length && files.length < limit; i += 2) {
        const { reason, message } = JSON.parse(entries[i + 1]!) as Pick<SkippedFile, 'reason' | 'message'>;
        files.push({ path: entries[i]!, reason, message });
      }
    } while (cursor !== '0' && files.length < limit);
    return files.sort((a, b) => a.path.localeCompare(b.path));
  }

  /** The most recent runs, newest first. */
  async recent(limit = 10): Promise<QueueRun[]> {
    const ids = await this.redis.zrevrange(RUNS_KEY, 0, limit - 1);
    const runs = await Promise.all(ids.map((id) => this.get(id)));
    return runs.filter((run): run is QueueRun => run !== undefined);
  }

  /** The run that holds the folder now, if any. */
  async activeFor(root: string): Promise<string | undefined> {
    return (await this.redis.hget(ACTIVE_KEY, root)) ?? undefined;
  }

  /** Stops a run: workers skip its remaining batches; the folder is released. False when it had finished already. */
  async cancel(runId: string, now = Date.now()): Promise<boolean> {
    const run = await this.get(runId);
    if (!run || run.state === 'done' || run.state === 'cancelled') return false;
    await this.redis.multi().hset(runKey(runId), { state: 'cancelled', finishedAt: now }).hdel(ACTIVE_KEY, run.root).exec();
    return true;
  }

  async state(runId: string): Promise<QueueRunState | undefined> {
    return ((await this.redis.hget(runKey(runId), 'state')) as QueueRunState | null) ?? undefined;
  }

  async heartbeat(worker: WorkerInfo): Promise<void> {
    await this.redis
      .multi()
      .hset(workerKey(worker.id), { ...worker })
      .pexpire(workerKey(worker.id), WORKER_LIVE_MS)
      .zadd(WORKERS_KEY, worker.lastSeen, worker.id)
      .exec();
  }

  async removeWorker(id: string): Promise<void> {
    await this.redis.multi().del(workerKey(id)).zrem(WORKERS_KEY, id).exec();
  }

  /** Workers whose heartbeat is younger than WORKER_LIVE_MS. */
  async liveWorkers(now = Date.now()): Promise<WorkerInfo[]> {
    await this.redis.zremrangebyscore(WORKERS_KEY, '-inf', now - WORKER_LIVE_MS);
    const ids = await this.redis.zrangebyscore(WORKERS_KEY, now - WORKER_LIVE_MS, '+inf');
    const hashes = await Promise.all(ids.map((id) => this.redis.hgetall(workerKey(id))));
    return hashes
      .filter((hash) => hash.id !== undefined)
      .map((hash) => ({
        id: hash.id!,
        host: hash.host ?? '',
        pid: Number(hash.pid),
        startedAt: Number(hash.startedAt),
        lastSeen: Number(hash.lastSeen),
        embedded: Number(hash.embedded),
        batches: Number(hash.batches),
        recentImagesPerSecond: Number(hash.recentImagesPerSecond),
        current: hash.current ?? '',
      }));
  }
}
