import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { defaultConfig, openCoordinator, openEngine, type AppConfig } from '@sis/core';
import { startTestPostgres, type TestPostgres } from '@sis/config/postgres';
import { startTestRedis, type TestRedis } from '@sis/config/redis';
import { ms, table } from '../format';
import { sharedDir, tinyModelDir } from '../paths';
import { median } from '../stats';
import { makeWorkDir, removeDir } from '../workdir';

/**
 * `pnpm bench:queue` (the queue half of `--scale-out`): a throwaway Redis (AOF, appendfsync everysec) and
 * PostgreSQL (fsync on) on loopback. Images/s of the embedded reindex against 1, 2, 3 `sis worker` processes
 * (ONNX Runtime threads per worker set so that they share the cores), and the coordination cost per image: the
 * same run with a no-op reader and embedder, so that only the queue and the catalogue commit are left.
 */

interface Options {
  photos: number;
  workers: number[];
  noopFiles: number;
  runs: number;
  model: string;
}

function startWorkers(n: number, config: Partial<AppConfig>, noop: boolean): Promise<ChildProcess[]> {
  const script = path.join(__dirname, 'workerProcess.js');
  return Promise.all(
    Array.from({ length: n }, (_, i) => {
      const child = spawn(process.execPath, [script], {
        env: { ...process.env, SIS_BENCH_CONFIG: JSON.stringify(config), SIS_BENCH_NOOP: noop ? '1' : '0', SIS_BENCH_WORKER_ID: `bench-${i}` },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      return new Promise<ChildProcess>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve(child));
        child.once('exit', (code) => reject(new Error(`bench worker exited (${code}) before it was ready`)));
      });
    }),
  );
}

async function stopWorkers(children: ChildProcess[]): Promise<void> {
  await Promise.all(children.map((child) => new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGTERM')))));
}

/** One queued reindex of `folder` through `n` fresh workers into a fresh database: images/s from enqueue to the last commit. */
async function queuedRate(redis: TestRedis, postgres: TestPostgres, work: string, folder: string, n: number, base: Partial<AppConfig>, noop: boolean, tag: string): Promise<number> {
  const config: AppConfig = {
    ...defaultConfig, ...base, dataDir: path.join(work, `data-${tag}`), catalogueUrl: postgres.createDatabase(tag), queueUrl: redis.url,
  };
  const workers = await startWorkers(n, config, noop);
  const { coordinator, close } = openCoordinator(config);
  try {
    const { runId } = await coordinator.enqueue(folder);
    const final = await coordinator.wait(runId, { pollMs: 100 });
    if (final.run.embedded !== final.run.toEmbed) throw new Error(`run ${runId}: ${final.run.embedded} of ${final.run.toEmbed} embedded`);
    return final.run.embedded / ((final.run.finishedAt! - final.run.startedAt) / 1000);
  } finally {
    await close();
    await stopWorkers(workers);
  }
}

/** `pnpm bench:queue`, also `pnpm bench --scale-out` (the name for these figures). */
export async function queueMain(argv: readonly string[]): Promise<void> {
  const program = new Command()
    .option('--scale-out', 'accepted: how `pnpm bench --scale-out` reaches this benchmark')
    .option('--photos <n>', 'photos of flickr8k-photos-500 reindexed each way', '500')
    .option('--workers <list>', 'worker counts', '1,2,3')
    .option('--noop-files <n>', 'files for the no-op (coordination cost) runs', '5000')
    .option('--runs <n>', 'runs of each figure (median)', '3')
    .option('--model <dir>', 'model folder (default: the tiny CLIP in shared/models)')
    .option('--quick', 'a smoke run: 50 photos, 1 and 2 workers, 500 no-op files, 1 run')
    .parse(argv.filter((arg) => arg !== '--'));
  const raw = program.opts<{ photos: string; workers: string; noopFiles: string; runs: string; model?: string; quick?: boolean }>();
  const options: Options = raw.quick
    ? { photos: 50, workers: [1, 2], noopFiles: 500, runs: 1, model: raw.model ?? tinyModelDir() }
    : { photos: Number(raw.photos), workers: raw.workers.split(',').map(Number), noopFiles: Number(raw.noopFiles), runs: Number(raw.runs), model: raw.model ?? tinyModelDir() };
  const cores = os.cpus().length;
  const work = makeWorkDir();
  const [redis, postgres] = await Promise.all([startTestRedis(), startTestPostgres({ durable: true })]);
  try {
    console.log(`queue bench: Redis 7 (AOF everysec) + PostgreSQL 15 (fsync on) on loopback; ${cores} cores; load ${os.loadavg()[0]!.toFixed(1)}; model ${path.basename(options.model)}; batches of ${defaultConfig.queueBatchImages}`);
    const folder = path.join(work, 'photos');
    fs.mkdirSync(folder);
    const source = path.join(sharedDir(), 'datasets/flickr8k-photos-500/images');
    for (const name of fs.readdirSync(source).sort().slice(0, options.photos)) fs.copyFileSync(path.join(source, name), path.join(folder, name));
    const base = { model: options.model, offline: true };

    const rows: string[][] = [];
    const embeddedRates: number[] = [];
    for (let run = 0; run < options.runs + 1; run++) {
      const engine = await openEngine({ ...defaultConfig, ...base, dataDir: path.join(work, `embedded-${run}`) }, { writable: true });
      try {
        const rate = (await engine.indexer!.reindex(folder)).imagesPerSecond;
        if (run > 0) embeddedRates.push(rate); // the first run warms the model files and the decoder
      } finally {
        engine.close();
      }
    }
    const embedded = median(embeddedRates);
    rows.push(['embedded reindex (one process)', embedded.toFixed(1), '1.00']);
    for (const n of options.workers) {
      // Each worker gets its share of the cores for inference, and one decode thread.
      const threads = { threads: Math.max(1, Math.floor(cores / n)), decodeThreads: 1 };
      const rates: number[] = [];
      for (let run = 0; run < options.runs; run++) rates.push(await queuedRate(redis, postgres, work, folder, n, { ...base, ...threads }, false, `w${n}_${run}`));
      rows.push([`${n} worker(s), ${threads.threads} inference thread(s) each`, median(rates).toFixed(1), (median(rates) / embedded).toFixed(2)]);
    }
    console.log(`\nreindex of ${options.photos} photos, median of ${options.runs}:\n${table(['how', 'images/s', 'vs embedded'], rows)}`);

    const empty = path.join(work, 'noop');
    fs.mkdirSync(empty);
    for (let i = 0; i < options.noopFiles; i++) fs.writeFileSync(path.join(empty, `${i}.jpg`), '');
    const noopRows: string[][] = [];
    for (const n of [1, 3]) {
      const rates: number[] = [];
      for (let run = 0; run < options.runs; run++) rates.push(await queuedRate(redis, postgres, work, empty, n, base, true, `noop${n}_${run}`));
      const rate = median(rates);
      noopRows.push([String(n), rate.toFixed(0), ms(1000 / rate, 2), ms((1000 * n) / rate, 2)]);
    }
    console.log(
      `\ncoordination with a no-op reader and embedder (${options.noopFiles} files, 512-float vectors, median of ${options.runs}):\n` +
        table(['workers', 'images/s absorbed', 'wall ms per image', 'worker ms per image'], noopRows),
    );
  } finally {
    await redis.stop();
    postgres.stop();
    removeDir(work);
  }
}

if (require.main === module) {
  queueMain(process.argv).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
