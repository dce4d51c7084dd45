import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MAX_STALLED_COUNT, SyncPostgres } from '@sis/core';
import { startTestPostgres, type TestPostgres } from '@sis/config/postgres';
import { startTestRedis, type TestRedis } from '@sis/config/redis';
import { runCli } from '../helpers/cli';

/**
 * A batch whose worker dies every time (here: reading one of its files SIGKILLs the worker process, as a file
 * that crashes or OOM-kills it would): BullMQ's stalled check hands it on MAX_STALLED_COUNT times, then fails it
 * ("job stalled more than allowable limit"). The run must count it as failed, finish, and show it in
 * `sis status`; the other batches are embedded exactly once. Real Redis, PostgreSQL and worker processes
 * (core's startWorker with a fake model and reader, so that the crash is certain and the test takes about 20 s).
 */
describe('a batch that keeps killing its worker (real Redis + PostgreSQL)', () => {
  let redis: TestRedis;
  let postgres: TestPostgres;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-stalled-'));
  const workers = new Set<ChildProcess>();
  let stopping = false;

  beforeAll(async () => {
    [redis, postgres] = await Promise.all([startTestRedis(), startTestPostgres()]);
  }, 120_000);

  afterAll(async () => {
    stopping = true;
    for (const worker of workers) worker.kill('SIGKILL');
    await redis?.stop();
    postgres?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  // A worker process: core's startWorker, 2 s locks (renewed each second: a loaded CI machine does not lose them), a fake 2-d model; reading poison.jpg kills the process.
  const workerScript = `
    const { defaultConfig, startWorker } = require('@sis/core');
    const [dataDir, catalogueUrl, queueUrl, id] = process.argv.slice(1);
    const embedder = {
      modelName: 'test/fake-2', dimension: 2, precision: 'fp32', preprocess: { cropHeight: 1, cropWidth: 1 },
      embedTexts: () => Promise.reject(new Error('not used')),
      embedPixels: (pixels) => Promise.resolve(pixels.map(() => Float32Array.from([1, 0]))),
    };
    const read = (file) => {
      if (file.endsWith('poison.jpg')) process.kill(process.pid, 'SIGKILL');
      return Promise.resolve({ pixelValues: Float32Array.from([1]), width: 1, height: 1 });
    };
    startWorker({ ...defaultConfig, dataDir, catalogueUrl, queueUrl }, {
      embedder, read, id, lockMs: 2000, heartbeatMs: 500,
      onBatch: (batch) => process.stdout.write('batch ' + batch.jobId + '\\n'),
    }).then(() => process.stderr.write('taking batches\\n'));
  `;
  const batchLines: string[] = [];
  let spawned = 0;

  /**
   * Keeps `count` workers running: each one that dies is replaced (at most 20 processes in all). Resolves when the
   * first `count` are taking batches (the first one has created the catalogue that `sis reindex` diffs against).
   */
  function keepWorkers(count: number, args: string[]): Promise<void> {
    let ready = 0;
    let resolveReady: () => void;
    const allReady = new Promise<void>((resolve) => (resolveReady = resolve));
    const spawnOne = () => {
      if (stopping || spawned >= 20) return;
      const id = `w${spawned++}`;
      const child = spawn(process.execPath, ['-e', workerScript, '--', ...args, id], { cwd: path.resolve(__dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'] });
      workers.add(child);
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const lines = out.split('\n');
        out = lines.pop()!;
        batchLines.push(...lines);
      });
      child.stderr!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('taking batches') && ++ready === count) resolveReady();
      });
      child.once('exit', () => {
        workers.delete(child);
        spawnOne();
      });
    };
    for (let i = 0; i < count; i++) spawnOne();
    return allReady;
  }

  test('handed on past the stall limit, then failed with the stall reason; the run finishes; the rest embedded once', async () => {
    const folder = path.join(work, 'photos');
    fs.mkdirSync(folder);
    for (let i = 0; i < 19; i++) fs.writeFileSync(path.join(folder, `${String(i).padStart(2, '0')}.jpg`), 'x');
    fs.writeFileSync(path.join(folder, 'poison.jpg'), 'x');
    const catalogueUrl = postgres.createDatabase('stalled');
    const env = { SIS_DATA_DIR: path.join(work, 'data'), SIS_CATALOGUE_URL: catalogueUrl, SIS_QUEUE_URL: redis.url, SIS_QUEUE_BATCH_IMAGES: '5', SIS_OFFLINE: '1' };
    await keepWorkers(2, [path.join(work, 'worker-data'), catalogueUrl, redis.url]);

    // Waits for the run with the CLI: before the fix it never finished (bounded by the jest timeout).
    const reindex = await runCli(['reindex', folder], env);
    expect({ code: reindex.code, stderr: reindex.stderr }).toMatchObject({ code: 1 });
    expect(reindex.stdout).toMatch(/embedded: {2}15\b/);
    expect(reindex.stdout).toMatch(/failed: {4}1 batch\(es\), 5 files/);
    expect(reindex.stdout).toMatch(/failed batch \S+-\d \(5 files, \d attempts\): job stalled more than allowable limit/);
    // The poison batch's workers died at least MAX_STALLED_COUNT + 1 times before it failed.
    expect(spawned).toBeGreaterThanOrEqual(2 + MAX_STALLED_COUNT + 1);

    const status = JSON.parse((await runCli(['status', '--json'], env)).stdout) as {
      runs: { run: { state: string; batches: number; batchesDone: number; batchesFailed: number; embedded: number; failedFiles: number } }[];
      failed: { jobId: string; files: number; reason: string }[];
    };
    expect(status.runs[0]!.run).toMatchObject({ state: 'done', batches: 4, batchesDone: 3, batchesFailed: 1, embedded: 15, failedFiles: 5 });
    expect(status.failed).toEqual([expect.objectContaining({ files: 5, reason: 'job stalled more than allowable limit' })]);
    expect((await runCli(['status'], env)).stdout).toMatch(/1 failed[\s\S]*failed batches[\s\S]*5 files, \d attempts: job stalled more than allowable limit/);

    // Each good batch was embedded once (one worker did it, no stall), the poison batch never.
    const good = batchLines.filter((line) => line.startsWith('batch ')).sort();
    expect(good).toHaveLength(3);
    expect(new Set(good).size).toBe(3);
    expect(good).not.toContain(`batch ${status.failed[0]!.jobId}`);
    const pg = new SyncPostgres({ connectionString: catalogueUrl });
    try {
      const [counts] = pg.query<{ rows: number; indexed: number }>(
        `SELECT (SELECT COUNT(*) FROM sis.images)::bigint AS rows, (SELECT COUNT(*) FROM sis.images WHERE status = 'indexed')::bigint AS indexed`,
      ).rows;
      expect(counts).toEqual({ rows: 15, indexed: 15 });
    } finally {
      pg.close();
    }
  }, 120_000);
});
