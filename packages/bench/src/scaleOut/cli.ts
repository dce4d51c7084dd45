import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { ChangeFollower, defaultConfig, ImageLibrary, openEngine, PostgresCatalogue, type IndexedImageInput } from '@sis/core';
import { startTestPostgres, type TestPostgres } from '@sis/config/postgres';
import { count, ms, table } from '../format';
import { sharedDir, tinyModelDir } from '../paths';
import { median, percentile } from '../stats';
import { seededRandom } from '../synthetic';
import { makeWorkDir, removeDir } from '../workdir';

/**
 * `pnpm bench:scale-out`: the PostgreSQL catalogue and its replicas against the embedded SQLite catalogue, on a
 * throwaway PostgreSQL cluster with its durable defaults (fsync on) on this machine's disk:
 * reindex images/s into each (same photos, same run), one checkpoint commit at N stored rows, a replica's load
 * of N embeddings (from PostgreSQL, then from its local cache), and the delay from a commit to searchable on a
 * replica (p50/p99). Synthetic rows: 512-float unit vectors, as CLIP ViT-B/32 stores.
 */

const D = 512;
const CHECKPOINT = 256;
const FILL_BATCH = 5000;

function syntheticImages(first: number, n: number, random: () => number): IndexedImageInput[] {
  return Array.from({ length: n }, (_, i) => {
    const embedding = new Float32Array(D);
    let norm = 0;
    for (let d = 0; d < D; d++) {
      const value = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      embedding[d] = value;
      norm += value * value;
    }
    for (let d = 0; d < D; d++) embedding[d] = embedding[d]! / Math.sqrt(norm);
    return { path: `/synthetic/${first + i}.jpg`, size: 100_000 + i, mtimeMs: 1_700_000_000_000 + first + i, width: 640, height: 480, embedding };
  });
}

const model = { modelName: 'bench/synthetic-512', dimension: D };

function openPg(url: string, dataDir: string, writable: boolean): ImageLibrary {
  return ImageLibrary.openCatalogue(PostgresCatalogue.connect(url, { writable }), dataDir, { ...model, writable });
}

/** Fills a library to n rows; returns the median time of one checkpoint-sized commit (3 runs) at that size. */
function fillAndTimeCheckpoint(library: ImageLibrary, n: number, random: () => number): number {
  for (let done = 0; done < n; done += FILL_BATCH) library.apply({ upsertIndexed: syntheticImages(done, Math.min(FILL_BATCH, n - done), random), upsertSkipped: [], removePaths: [] });
  const times: number[] = [];
  for (let run = 0; run < 3; run++) {
    const batch = syntheticImages(n + run * CHECKPOINT, CHECKPOINT, random);
    const start = performance.now();
    library.apply({ upsertIndexed: batch, upsertSkipped: [], removePaths: [] });
    times.push(performance.now() - start);
  }
  return median(times);
}

async function reindexRates(server: TestPostgres, work: string, photos: number): Promise<{ sqlite: number; postgres: number }> {
  const folder = path.join(work, 'photos');
  fs.mkdirSync(folder);
  const source = path.join(sharedDir(), 'datasets/flickr8k-photos-500/images');
  for (const name of fs.readdirSync(source).sort().slice(0, photos)) fs.copyFileSync(path.join(source, name), path.join(folder, name));
  const base = { ...defaultConfig, model: tinyModelDir(), offline: true };
  const rate = async (config: typeof base) => {
    const engine = await openEngine(config, { writable: true });
    try {
      return (await engine.indexer!.reindex(folder)).imagesPerSecond;
    } finally {
      engine.close();
    }
  };
  await rate({ ...base, dataDir: path.join(work, 'reindex-warm-up') }); // model files and decoder warm for both runs
  const sqlite = await rate({ ...base, dataDir: path.join(work, 'reindex-sqlite') });
  const postgres = await rate({ ...base, dataDir: path.join(work, 'reindex-pg'), catalogueUrl: server.createDatabase('reindex') });
  return { sqlite, postgres };
}

async function catchUpDelays(url: string, work: string, commits: number, random: () => number): Promise<number[]> {
  const writer = openPg(url, path.join(work, 'delay-writer'), true);
  const replica = openPg(url, path.join(work, 'delay-replica'), true);
  const follower = ChangeFollower.start(replica, { url, pollMs: 3_600_000 });
  const delays: number[] = [];
  try {
    while (!follower.listening) await new Promise((resolve) => setTimeout(resolve, 10));
    for (let i = 0; i < commits; i++) {
      writer.apply({ upsertIndexed: syntheticImages(10_000_000 + i * 16, 16, random), upsertSkipped: [], removePaths: [] });
      const committedAt = performance.now();
      const generation = writer.indexGeneration;
      while (replica.indexGeneration < generation) await new Promise((resolve) => setImmediate(resolve));
      delays.push(performance.now() - committedAt);
    }
  } finally {
    follower.stop();
    replica.close();
    writer.close();
  }
  return delays;
}

async function main(): Promise<void> {
  const program = new Command()
    .option('--sizes <list>', 'stored rows at which to measure commits and replica loads', '100000')
    .option('--photos <n>', 'photos reindexed into each catalogue', '500')
    .option('--commits <n>', 'commits timed for the catch-up delay', '200')
    .option('--quick', 'a smoke run: 2000 rows, 50 photos, 20 commits')
    .parse();
  const options = program.opts<{ sizes: string; photos: string; commits: string; quick?: boolean }>();
  const sizes = options.quick ? [2000] : options.sizes.split(',').map(Number);
  const photos = options.quick ? 50 : Number(options.photos);
  const commits = options.quick ? 20 : Number(options.commits);
  const work = makeWorkDir();
  const server = await startTestPostgres({ durable: true });
  const random = seededRandom(12);
  try {
    console.log(`scale-out bench: PostgreSQL 15 on loopback (fsync on), SQLite (synchronous=FULL); ${os.cpus().length} cores; machine load ${os.loadavg()[0]!.toFixed(1)}`);
    const rates = await reindexRates(server, work, photos);
    console.log(`\nreindex of ${photos} photos (tiny model): ${rates.sqlite.toFixed(1)} images/s into SQLite, ${rates.postgres.toFixed(1)} images/s into PostgreSQL`);

    const rows: string[][] = [];
    for (const n of sizes) {
      const sqliteDir = path.join(work, `sqlite-${n}`);
      const sqlite = ImageLibrary.open(sqliteDir, { ...model, writable: true });
      const sqliteCommit = fillAndTimeCheckpoint(sqlite, n, random);
      sqlite.close();
      removeDir(sqliteDir);
      const url = server.createDatabase(`rows_${n}`);
      const writer = openPg(url, path.join(work, `pg-writer-${n}`), true);
      const pgCommit = fillAndTimeCheckpoint(writer, n, random);
      writer.close();
      const replicaDir = path.join(work, `pg-replica-${n}`);
      let start = performance.now();
      const cold = openPg(url, replicaDir, true);
      const fromPostgres = performance.now() - start;
      cold.close(); // leaves its index file: the cache
      start = performance.now();
      const warm = openPg(url, replicaDir, true);
      const fromCache = performance.now() - start;
      const loadedFrom = warm.stats().index.loadedFrom;
      warm.close();
      rows.push([count(n), ms(sqliteCommit), ms(pgCommit), ms(fromPostgres), `${ms(fromCache)} (${loadedFrom})`]);
    }
    console.log(`\n${table(['stored rows', `commit ${CHECKPOINT} (SQLite)`, `commit ${CHECKPOINT} (PostgreSQL)`, 'replica load from PostgreSQL', 'replica load from cache'], rows)}`);

    const delays = await catchUpDelays(server.createDatabase('delay'), work, commits, random);
    console.log(`\ncatch-up delay, commit -> searchable on a replica (LISTEN/NOTIFY, ${commits} commits of 16 images): p50 ${ms(percentile(delays, 50), 2)}, p99 ${ms(percentile(delays, 99), 2)}, max ${ms(Math.max(...delays), 2)}`);
  } finally {
    server.stop();
    removeDir(work);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
