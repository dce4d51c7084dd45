import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectRedis, QueueRuns, SyncPostgres } from '@sis/core';
import { startTestPostgres, type TestPostgres } from '@sis/config/postgres';
import { startTestRedis, type TestRedis } from '@sis/config/redis';
import { cliPath, copyPhotos, runCli, tinyModelEnv } from '../helpers/cli';

/**
 * `sis worker` processes on a real Redis and PostgreSQL, one SIGKILLed mid-batch three times: BullMQ's stalled
 * check hands each killed batch to another worker, and every photo ends up in the catalogue exactly once.
 */
describe('sis worker killed mid-batch (real Redis + PostgreSQL)', () => {
  let redis: TestRedis;
  let postgres: TestPostgres;
  let work: string;
  let env: NodeJS.ProcessEnv;
  let url: string;
  const workers = new Set<ChildProcess>();

  beforeAll(async () => {
    [redis, postgres] = await Promise.all([startTestRedis(), startTestPostgres()]);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-kill-'));
    url = postgres.createDatabase('kills');
    env = tinyModelEnv(path.join(work, 'data'), {
      SIS_CATALOGUE_URL: url, SIS_QUEUE_URL: redis.url, SIS_QUEUE_BATCH_IMAGES: '10', SIS_BATCH_SIZE: '1', SIS_THREADS: '1', SIS_DECODE_THREADS: '1',
    });
  }, 120_000);

  afterAll(async () => {
    for (const worker of workers) worker.kill('SIGKILL');
    await redis?.stop();
    postgres?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  /** A `sis worker` that has loaded its model and is taking batches. */
  function startWorkerProcess(name: string): Promise<ChildProcess> {
    const child = spawn(process.execPath, [cliPath, 'worker', '--id', name, '--lock-seconds', '3'], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    workers.add(child);
    child.once('exit', () => workers.delete(child));
    return new Promise((resolve, reject) => {
      let err = '';
      child.stderr!.on('data', (chunk: Buffer) => {
        err += chunk.toString();
        if (err.includes('taking batches')) resolve(child);
      });
      child.once('exit', (code) => reject(new Error(`worker ${name} exited (${code}): ${err}`)));
    });
  }

  /** Workers busy with a batch, by their last heartbeat (a killed one's stays listed until it expires: only ours still running count). */
  const busyWorkers = async (runs: QueueRuns): Promise<{ id: string; pid: number; current: string }[]> => {
    const running = new Set([...workers].filter((w) => w.exitCode === null && w.signalCode === null).map((w) => w.pid));
    return (await runs.liveWorkers()).filter((w) => w.current !== '' && running.has(w.pid));
  };

  test('three SIGKILLs at random moments: every photo exactly once, the run complete with its exact counts', async () => {
    const folder = path.join(work, 'photos');
    copyPhotos(folder, 500);
    await Promise.all(['a', 'b', 'c'].map((name) => startWorkerProcess(name)));
    const queued = await runCli(['reindex', '--no-wait', folder], env);
    expect(queued.code).toBe(0);
    const runId = queued.stdout.trim();

    const killed: string[] = [];
    const redisClient = connectRedis(redis.url, 'test');
    const runs = new QueueRuns(redisClient);
    for (let kill = 0; kill < 3; kill++) {
      await new Promise((resolve) => setTimeout(resolve, 200 + Math.random() * 600));
      const deadline = Date.now() + 30_000;
      let busy = await busyWorkers(runs);
      while (busy.length === 0 && Date.now() < deadline) busy = await busyWorkers(runs);
      if (busy.length === 0) throw new Error(`no worker busy after ${kill} kills: the run ended before the kills (make it longer)`);
      const victim = busy[Math.floor(Math.random() * busy.length)]!;
      const child = [...workers].find((w) => w.pid === victim.pid)!;
      process.kill(victim.pid, 'SIGKILL');
      await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));
      killed.push(victim.current);
      void startWorkerProcess(`r${kill}`).catch(() => undefined);
    }
    redisClient.disconnect();
    expect(killed).toHaveLength(3);

    // A second `sis reindex` of the folder joins the running run and waits for it.
    const waited = await runCli(['reindex', folder], env);
    expect(waited.stderr).toContain(`Joined the running reindex ${runId}`);
    expect(waited.code).toBe(0);
    expect(waited.stdout).toMatch(/embedded: {2}500 /);

    const pg = new SyncPostgres({ connectionString: url });
    try {
      const [counts] = pg.query<{ rows: number; paths: number; indexed: number; vectors: number }>(
        `SELECT (SELECT COUNT(*) FROM sis.images)::bigint AS rows, (SELECT COUNT(DISTINCT path) FROM sis.images)::bigint AS paths,
                (SELECT COUNT(*) FROM sis.images WHERE status = 'indexed')::bigint AS indexed, (SELECT COUNT(*) FROM sis.embeddings)::bigint AS vectors`,
      ).rows;
      expect(counts).toEqual({ rows: 500, paths: 500, indexed: 500, vectors: 500 });
    } finally {
      pg.close();
    }
    const status = JSON.parse((await runCli(['status', '--json'], env)).stdout) as { runs: { run: { runId: string; embedded: number; batchesDone: number; state: string } }[]; failed: unknown[] };
    expect(status.runs.find((p) => p.run.runId === runId)!.run).toMatchObject({ state: 'done', embedded: 500, batchesDone: 50 });
    expect(status.failed).toEqual([]);
  }, 300_000);
});
