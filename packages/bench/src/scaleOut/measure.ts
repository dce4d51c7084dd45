import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChangeFollower, defaultConfig, ImageLibrary, openEngine, PostgresCatalogue, type AppConfig, type IndexedImageInput } from '@sis/core';
import { startTestPostgres, type TestPostgres } from '@sis/config/postgres';
import { count, ms, seconds, table } from '../format';
import type { WorkerReporter } from '../ipc';
import { sharedDir, tinyModelDir } from '../paths';
import { percentile, runStats, type RunStats } from '../stats';
import { ClusteredCorpus } from '../scale/corpus';
import { makeWorkDir, removeDir } from '../workdir';

/**
 * The scale-out figures (`pnpm bench`'s scale-out section, and `pnpm bench:scale-out`): the PostgreSQL catalogue and
 * its replicas against the embedded SQLite catalogue, on a throwaway PostgreSQL cluster with its durable defaults
 * (fsync on) on this machine's disk: reindex images/s into each (same photos, same run), one checkpoint commit at N
 * stored rows, a replica's load of N embeddings (from PostgreSQL, then from its local cache), and the delay from a
 * commit to searchable on a replica (p50/p99). Synthetic rows: 512-float unit vectors, as CLIP ViT-B/32 stores,
 * drawn from the scale bench's clustered corpus (scale/corpus.ts): at 1M the replica builds IVF lists and tunes
 * nprobe, and on uniform random vectors (no neighbourhoods) tuning would end at an exhaustive scan.
 */

export interface ScaleOutJob {
  /** Stored rows at which commits and replica loads are measured. */
  sizes: number[];
  /** Photos reindexed into each catalogue (tiny model). */
  photos: number;
  /** Commits timed for the catch-up delay. */
  commits: number;
  /** Replica loads timed at each size, from each source (median reported). */
  loadRuns: number;
  workDir?: string;
}

export interface ScaleOutSize {
  rows: number;
  /** One checkpoint-sized commit at that size (3 timed). */
  commitSqliteMs: RunStats;
  commitPostgresMs: RunStats;
  loadFromPostgresMs: RunStats;
  loadFromCacheMs: RunStats;
  /** What the cached load came from ('file': the local cache). */
  cacheLoadedFrom: string;
  /** The index the replica built (its plan at that size). */
  indexFactory: string;
  /** Its tuned search parameters (nprobe) and the recall@10 measured on its tuning sample (null: exact search). */
  searchParams: Record<string, number>;
  measuredRecall: number | null;
}

export interface ScaleOutResult {
  checkpointImages: number;
  loadAverageAtStart: number;
  /** OPENBLAS_CORETYPE when set (FAISS's k-means and IVF assignment run on OpenBLAS); null: OpenBLAS chose by CPU model. */
  openblasCoreType: string | null;
  reindex: { photos: number; sqliteImagesPerSecond: number; postgresImagesPerSecond: number };
  sizes: ScaleOutSize[];
  catchUp: { commits: number; imagesPerCommit: number; p50Ms: number; p99Ms: number; maxMs: number };
}

const D = 512;
const CHECKPOINT = 256;
const FILL_BATCH = 5000;
const DELAY_BATCH = 16;

/** n rows from row `first` on: the same rows for the same `first` (each batch seeded by its first row). */
function syntheticImages(corpus: ClusteredCorpus, first: number, n: number): IndexedImageInput[] {
  const vectors = corpus.sample(n, 0x5151 + first);
  return Array.from({ length: n }, (_, i) => ({
    path: `/synthetic/${first + i}.jpg`,
    size: 100_000 + i,
    mtimeMs: 1_700_000_000_000 + first + i,
    width: 640,
    height: 480,
    embedding: vectors.slice(i * D, (i + 1) * D),
  }));
}

const model = { modelName: 'bench/synthetic-512', dimension: D };

function openPg(url: string, dataDir: string, writable: boolean): ImageLibrary {
  return ImageLibrary.openCatalogue(PostgresCatalogue.connect(url, { writable }), dataDir, { ...model, writable });
}

/** Fills a library to n rows; returns the times of three checkpoint-sized commits at that size. */
function fillAndTimeCheckpoint(library: ImageLibrary, n: number, corpus: ClusteredCorpus, reporter: WorkerReporter, label: string): number[] {
  for (let done = 0; done < n; done += FILL_BATCH) {
    reporter.progress(label, done, n, 'rows');
    library.apply({ upsertIndexed: syntheticImages(corpus, done, Math.min(FILL_BATCH, n - done)), upsertSkipped: [], removePaths: [] });
  }
  const times: number[] = [];
  for (let run = 0; run < 3; run++) {
    const batch = syntheticImages(corpus, n + run * CHECKPOINT, CHECKPOINT);
    const start = performance.now();
    library.apply({ upsertIndexed: batch, upsertSkipped: [], removePaths: [] });
    times.push(performance.now() - start);
  }
  return times;
}

async function reindexRates(server: TestPostgres, work: string, photos: number): Promise<ScaleOutResult['reindex']> {
  const folder = path.join(work, 'photos');
  fs.mkdirSync(folder);
  const source = path.join(sharedDir(), 'datasets/flickr8k-photos-500/images');
  for (const name of fs.readdirSync(source).sort().slice(0, photos)) fs.copyFileSync(path.join(source, name), path.join(folder, name));
  const base: AppConfig = { ...defaultConfig, model: tinyModelDir(), offline: true };
  const rate = async (config: AppConfig) => {
    const engine = await openEngine(config, { writable: true });
    try {
      return (await engine.indexer!.reindex(folder)).imagesPerSecond;
    } finally {
      engine.close();
    }
  };
  await rate({ ...base, dataDir: path.join(work, 'reindex-warm-up') }); // model files and decoder warm for both runs
  const sqliteImagesPerSecond = await rate({ ...base, dataDir: path.join(work, 'reindex-sqlite') });
  const postgresImagesPerSecond = await rate({ ...base, dataDir: path.join(work, 'reindex-pg'), catalogueUrl: server.createDatabase('reindex') });
  return { photos, sqliteImagesPerSecond, postgresImagesPerSecond };
}

/** Times `runs` replica opens from PostgreSQL (no cache: a fresh data directory each) and from the cache left behind. */
function timeReplicaLoads(url: string, work: string, n: number, runs: number): Omit<ScaleOutSize, 'rows' | 'commitSqliteMs' | 'commitPostgresMs'> {
  const fromPostgres: number[] = [];
  const fromCache: number[] = [];
  let cacheLoadedFrom = '';
  let built: Pick<ScaleOutSize, 'indexFactory' | 'searchParams' | 'measuredRecall'> = { indexFactory: '', searchParams: {}, measuredRecall: null };
  for (let run = 0; run < runs; run++) {
    const replicaDir = path.join(work, `pg-replica-${n}-${run}`);
    let start = performance.now();
    const cold = openPg(url, replicaDir, true);
    fromPostgres.push(performance.now() - start);
    const { factory, searchParams, measuredRecall } = cold.stats().index;
    built = { indexFactory: factory, searchParams, measuredRecall };
    cold.close(); // leaves its index file: the cache
    start = performance.now();
    const warm = openPg(url, replicaDir, true);
    fromCache.push(performance.now() - start);
    cacheLoadedFrom = warm.stats().index.loadedFrom;
    warm.close();
    removeDir(replicaDir);
  }
  return { loadFromPostgresMs: runStats(fromPostgres), loadFromCacheMs: runStats(fromCache), cacheLoadedFrom, ...built };
}

async function catchUpDelays(url: string, work: string, commits: number, corpus: ClusteredCorpus): Promise<number[]> {
  const writer = openPg(url, path.join(work, 'delay-writer'), true);
  const replica = openPg(url, path.join(work, 'delay-replica'), true);
  const follower = ChangeFollower.start(replica, { url, pollMs: 3_600_000 });
  const delays: number[] = [];
  try {
    const deadline = Date.now() + 30_000;
    while (!follower.listening) {
      if (Date.now() > deadline) throw new Error('the replica did not start listening within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    for (let i = 0; i < commits; i++) {
      writer.apply({ upsertIndexed: syntheticImages(corpus, 10_000_000 + i * DELAY_BATCH, DELAY_BATCH), upsertSkipped: [], removePaths: [] });
      const committedAt = performance.now();
      const generation = writer.indexGeneration;
      while (replica.indexGeneration < generation) {
        if (performance.now() - committedAt > 30_000) throw new Error(`commit ${i + 1} did not reach the replica within 30 s`);
        await new Promise((resolve) => setImmediate(resolve));
      }
      delays.push(performance.now() - committedAt);
    }
  } finally {
    follower.stop();
    replica.close();
    writer.close();
  }
  return delays;
}

export async function runScaleOut(job: ScaleOutJob, reporter: WorkerReporter): Promise<ScaleOutResult> {
  const work = makeWorkDir(job.workDir);
  const server = await startTestPostgres({ durable: true });
  const corpus = new ClusteredCorpus({ dimension: D, seed: 12 });
  const loadAverageAtStart = os.loadavg()[0] ?? 0;
  try {
    reporter.log(`Scale out: reindex of ${job.photos} photos into SQLite and PostgreSQL`);
    const reindex = await reindexRates(server, work, job.photos);
    const sizes: ScaleOutSize[] = [];
    for (const n of job.sizes) {
      reporter.log(`Scale out: ${count(n)} stored rows (commits; ${job.loadRuns} replica loads from PostgreSQL and from the cache)`);
      const sqliteDir = path.join(work, `sqlite-${n}`);
      const sqlite = ImageLibrary.open(sqliteDir, { ...model, writable: true });
      const commitSqlite = fillAndTimeCheckpoint(sqlite, n, corpus, reporter, `SQLite ${count(n)}`);
      sqlite.close();
      removeDir(sqliteDir);
      const url = server.createDatabase(`rows_${n}`);
      const writer = openPg(url, path.join(work, `pg-writer-${n}`), true);
      const commitPostgres = fillAndTimeCheckpoint(writer, n, corpus, reporter, `PostgreSQL ${count(n)}`);
      writer.close();
      removeDir(path.join(work, `pg-writer-${n}`));
      const loads = timeReplicaLoads(url, work, n, job.loadRuns);
      sizes.push({ rows: n, commitSqliteMs: runStats(commitSqlite), commitPostgresMs: runStats(commitPostgres), ...loads });
      reporter.log(`  replica load: ${seconds(loads.loadFromPostgresMs.median)} from PostgreSQL, ${seconds(loads.loadFromCacheMs.median)} from the cache`);
    }
    reporter.log(`Scale out: catch-up delay over ${job.commits} commits`);
    const delays = await catchUpDelays(server.createDatabase('delay'), work, job.commits, corpus);
    return {
      checkpointImages: CHECKPOINT,
      loadAverageAtStart,
      openblasCoreType: process.env.OPENBLAS_CORETYPE ?? null,
      reindex,
      sizes,
      catchUp: { commits: job.commits, imagesPerCommit: DELAY_BATCH, p50Ms: percentile(delays, 50), p99Ms: percentile(delays, 99), maxMs: Math.max(...delays) },
    };
  } finally {
    server.stop();
    removeDir(work);
  }
}

/** 'IDMap2,Flat' or 'IVF4096,SQ8 nprobe=64, recall@10 0.97'. */
function describeIndex(size: ScaleOutSize): string {
  const params = Object.entries(size.searchParams).map(([name, value]) => `${name}=${value}`);
  const recall = size.measuredRecall === null ? [] : [`recall@10 ${size.measuredRecall.toFixed(3)}`];
  return [size.indexFactory, [...params, ...recall].join(', ')].filter((part) => part !== '').join(' ');
}

export function formatScaleOut(result: ScaleOutResult): string {
  const { reindex, catchUp } = result;
  const rows = result.sizes.map((size) => [
    count(size.rows),
    ms(size.commitSqliteMs.median),
    ms(size.commitPostgresMs.median),
    `${seconds(size.loadFromPostgresMs.median)} (${describeIndex(size)})`,
    `${seconds(size.loadFromCacheMs.median)} (${size.cacheLoadedFrom})`,
  ]);
  return [
    `PostgreSQL 15 on loopback (fsync on) vs SQLite (synchronous=FULL); load average ${result.loadAverageAtStart.toFixed(1)} at start; ` +
      `OpenBLAS kernels ${result.openblasCoreType ?? 'chosen by OpenBLAS from the CPU model'}`,
    '',
    `reindex of ${reindex.photos} photos (tiny model): ${reindex.sqliteImagesPerSecond.toFixed(1)} images/s into SQLite, ${reindex.postgresImagesPerSecond.toFixed(1)} images/s into PostgreSQL`,
    '',
    table(
      ['stored rows', `commit ${result.checkpointImages} (SQLite)`, `commit ${result.checkpointImages} (PostgreSQL)`, 'replica load from PostgreSQL (index built)', 'replica load from its cache'],
      rows,
    ),
    '',
    `catch-up delay, commit -> searchable on a replica (LISTEN/NOTIFY, ${catchUp.commits} commits of ${catchUp.imagesPerCommit} images): ` +
      `p50 ${ms(catchUp.p50Ms, 2)}, p99 ${ms(catchUp.p99Ms, 2)}, max ${ms(catchUp.maxMs, 2)}`,
  ].join('\n');
}
