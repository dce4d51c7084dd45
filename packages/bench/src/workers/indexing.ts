/**
 * Indexing benchmark worker: loads the model once, then for each round (warm-up rounds first) measures
 * the model alone on prepared pixels, a full reindex of the folder into a fresh data directory, the
 * no-op reindex of the same folder, and the naive baseline into another fresh data directory.
 * Interleaving the three per round spreads any background load on the machine evenly over them.
 */
import path from 'node:path';
import {
  ClipEmbedder,
  DecodePool,
  decodeThreadsFor,
  ImageLibrary,
  Indexer,
  indexerSettingsOf,
  prepareClipImage,
  scanImages, scanOptionsOf,
  type AppConfig,
  type ClipPreprocessSpec,
  type ReindexSummary,
} from '@sis/core';
import { serveWorker, type WorkerReporter } from '../ipc';
import { cpuShare, cpuSnapshot, maxRssBytes, RssSampler, type CpuShare } from '../machine';
import { naiveReindex, type NaiveSummary } from '../naive';
import { removeDir } from '../workdir';

export interface IndexingJob {
  config: AppConfig;
  folder: string;
  workDir: string;
  warmup: number;
  runs: number;
  /** Images pushed through the model alone per round (rounded up to whole batches). */
  modelOnlyImages: number;
  naive: boolean;
  /** Keep the last real run's data directory (returned as seedDir) for the query and cold-start benchmarks. */
  keepSeed: boolean;
}

export interface ModelOnlyRound {
  /** CPU use while it ran: otherCores > 0 means other work on the machine slowed it down. */
  cpu: CpuShare;
  images: number;
  batches: number;
  elapsedMs: number;
  imagesPerSecond: number;
}

export interface RealRound {
  cpu: CpuShare;
  embedded: number;
  skipped: number;
  elapsedMs: number;
  imagesPerSecond: number;
  /** The engine's own figure (excludes the scan). */
  engineImagesPerSecond: number;
  timings: ReindexSummary['timings'];
  peakRssBytes: number;
  noopMs: number;
}

export interface NaiveRound extends NaiveSummary {
  cpu: CpuShare;
  imagesPerSecond: number;
}

export interface IndexingRound {
  warmup: boolean;
  modelOnly: ModelOnlyRound;
  real: RealRound;
  naive?: NaiveRound;
}

export interface IndexingResult {
  modelName: string;
  dimension: number;
  /** Text and vision towers, from files to ready sessions. */
  modelLoadMs: number;
  imagesInFolder: number;
  rounds: IndexingRound[];
  processMaxRssBytes: number;
  seedDir?: string;
}

type Prepare = (source: string | Buffer, spec: ClipPreprocessSpec) => ReturnType<typeof prepareClipImage>;

async function measureModelOnly(embedder: ClipEmbedder, batches: Float32Array[][], count: number): Promise<ModelOnlyRound> {
  const cpuStart = cpuSnapshot();
  const start = performance.now();
  let images = 0;
  for (let b = 0; b < count; b++) {
    const batch = batches[b % batches.length]!;
    await embedder.embedPixels(batch);
    images += batch.length;
  }
  const elapsedMs = performance.now() - start;
  return { cpu: cpuShare(cpuStart, cpuSnapshot()), images, batches: count, elapsedMs, imagesPerSecond: images / (elapsedMs / 1000) };
}

async function realRun(job: IndexingJob, embedder: ClipEmbedder, pool: DecodePool, dataDir: string, label: string, reporter: WorkerReporter): Promise<RealRound> {
  const { config } = job;
  const library = ImageLibrary.open(dataDir, { modelName: embedder.modelName, dimension: embedder.dimension, precision: embedder.precision, writable: true });
  try {
    // The same wiring as openEngine(), with the already loaded embedder: decoding on worker threads.
    const indexer = new Indexer(library, embedder, (file, spec, root) => pool.prepare(file, spec, root), indexerSettingsOf(config, pool.capacity));
    const sampler = new RssSampler();
    sampler.start();
    const cpuStart = cpuSnapshot();
    const summary = await indexer.reindex(job.folder, {
      onProgress: (progress) => {
        sampler.sample();
        if (progress.phase === 'embedding') reporter.progress(label, progress.embedded + progress.skipped, progress.toEmbed, 'images');
      },
    });
    const cpu = cpuShare(cpuStart, cpuSnapshot());
    const peakRssBytes = sampler.stop();
    const noop = await indexer.reindex(job.folder);
    if (noop.embedded !== 0) throw new Error(`the no-op reindex embedded ${noop.embedded} images`);
    return {
      cpu,
      embedded: summary.embedded,
      skipped: summary.skipped.length,
      elapsedMs: summary.elapsedMs,
      imagesPerSecond: summary.embedded / (summary.elapsedMs / 1000),
      engineImagesPerSecond: summary.imagesPerSecond,
      timings: summary.timings,
      peakRssBytes,
      noopMs: noop.elapsedMs,
    };
  } finally {
    library.close();
  }
}

async function naiveRun(job: IndexingJob, embedder: ClipEmbedder, dataDir: string, label: string, reporter: WorkerReporter): Promise<NaiveRound> {
  const library = ImageLibrary.open(dataDir, { modelName: embedder.modelName, dimension: embedder.dimension, precision: embedder.precision, writable: true });
  try {
    const cpuStart = cpuSnapshot();
    const summary = await naiveReindex(job.folder, library, embedder, job.config, (done, total) => reporter.progress(label, done, total, 'images'));
    return { ...summary, cpu: cpuShare(cpuStart, cpuSnapshot()), imagesPerSecond: summary.embedded / (summary.elapsedMs / 1000) };
  } finally {
    library.close();
  }
}

/** "; other processes took up to 0.8 cores" when they took a noticeable share. */
function otherLoadNote(shares: (CpuShare | undefined)[]): string {
  const other = Math.max(0, ...shares.map((share) => share?.otherCores ?? 0));
  return other >= 0.1 ? `; other processes took up to ${other.toFixed(1)} cores` : '';
}

async function main(job: IndexingJob, reporter: WorkerReporter): Promise<IndexingResult> {
  const { config } = job;
  const loadStart = performance.now();
  const embedder = await ClipEmbedder.load(config);
  await embedder.warmUp();
  const modelLoadMs = performance.now() - loadStart;
  const limits = { maxPixels: config.maxPixels };
  const prepare: Prepare = (source, spec) => prepareClipImage(source, spec, limits);

  // Distinct real images for the model-only measurement (the model's cost does not depend on the pixels).
  const scan = await scanImages(job.folder, scanOptionsOf(config));
  const batchSize = config.batchSize;
  const batches: Float32Array[][] = [];
  for (let i = 0; i + batchSize <= scan.files.length && batches.length < 4; i += batchSize) {
    const prepared = await Promise.all(scan.files.slice(i, i + batchSize).map((file) => prepare(file.path, embedder.preprocess)));
    batches.push(prepared.map((image) => image.pixelValues));
  }
  if (batches.length === 0) throw new Error(`the folder has ${scan.files.length} images, fewer than one batch of ${batchSize}`);
  const modelOnlyBatches = Math.max(1, Math.ceil(job.modelOnlyImages / batchSize));

  const rounds: IndexingRound[] = [];
  // The engine keeps one decode pool for all its reindexes: so does this worker.
  const pool = new DecodePool({ threads: decodeThreadsFor(config), limits });
  const total = job.warmup + job.runs;
  let seedDir: string | undefined;
  for (let round = 0; round < total; round++) {
    const warmup = round < job.warmup;
    const name = warmup ? `warm-up ${round + 1}/${job.warmup}` : `run ${round - job.warmup + 1}/${job.runs}`;
    const modelOnly = await measureModelOnly(embedder, batches, modelOnlyBatches);

    const realDir = path.join(job.workDir, `index-real-${round}`);
    const real = await realRun(job, embedder, pool, realDir, `${name}: reindex`, reporter);
    const isLast = round === total - 1;
    if (isLast && job.keepSeed) seedDir = realDir;
    else removeDir(realDir);

    let naive: NaiveRound | undefined;
    if (job.naive) {
      const naiveDir = path.join(job.workDir, `index-naive-${round}`);
      naive = await naiveRun(job, embedder, naiveDir, `${name}: naive baseline`, reporter);
      removeDir(naiveDir);
    }
    rounds.push({ warmup, modelOnly, real, naive });
    reporter.log(
      `  ${name}: model only ${modelOnly.imagesPerSecond.toFixed(1)} images/s; reindex ${real.imagesPerSecond.toFixed(1)} images/s ` +
        `(${(real.elapsedMs / 1000).toFixed(1)} s, no-op ${real.noopMs.toFixed(0)} ms)` +
        (naive ? `; naive ${naive.imagesPerSecond.toFixed(1)} images/s (${(naive.elapsedMs / 1000).toFixed(1)} s)` : '') +
        otherLoadNote([modelOnly.cpu, real.cpu, naive?.cpu]),
    );
  }
  await pool.close();
  return {
    modelName: embedder.modelName,
    dimension: embedder.dimension,
    modelLoadMs,
    imagesInFolder: scan.files.length,
    rounds,
    processMaxRssBytes: maxRssBytes(),
    seedDir,
  };
}

serveWorker(main);
