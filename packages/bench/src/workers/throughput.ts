/**
 * Throughput benchmark worker (issue 11): for each precision (dtype) and each split of the cores
 * between inference (ONNX Runtime intra-op threads) and decoding (worker threads), the model alone on
 * prepared pixels and the product's reindex (decode pool + batched inference + store) of the folder,
 * alternating run by run so that background load falls on both alike; plus the CPU time of each stage
 * of preparing one image (read, decode, resize + crop + normalise), one image at a time.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  ClipEmbedder,
  clipSourceRegion,
  DecodePool,
  ImageLibrary,
  Indexer,
  indexerSettingsOf,
  decodeImage,
  graphFile,
  imageMetadataOfDecoded,
  nativeJpegLoaded,
  prepareClipImage,
  readImageFileSync,
  scanImages, scanOptionsOf,
  toClipPixelValues,
  type AppConfig,
  type ModelDtype,
} from '@sis/core';
import { serveWorker, type WorkerReporter } from '../ipc';
import { cpuShare, cpuSnapshot } from '../machine';
import { removeDir } from '../workdir';

export interface Split {
  /** ONNX Runtime intra-op threads (0: its default, one per core). */
  threads: number;
  decodeThreads: number;
  /** false: the vision session without intra-op spinning (its 'latency' tuning); absent: the product's indexing tuning, spinning allowed. */
  spinning?: false;
}

export interface ThroughputJob {
  config: AppConfig;
  folder: string;
  workDir: string;
  dtypes: ModelDtype[];
  splits: Split[];
  runs: number;
  warmup: number;
  modelOnlyImages: number;
  /** Images timed one at a time for the per-stage CPU figures (0: skip them). */
  cpuSampleImages: number;
}

export interface ThroughputRun {
  modelOnlyImagesPerSecond: number;
  /** Process CPU time per image while the model alone ran. */
  modelOnlyCpuMs: number;
  reindexImagesPerSecond: number;
  reindexElapsedMs: number;
  reindexCpuMs: number;
  decodeWaitMs: number;
  embedded: number;
  /** Cores other processes took (the larger of the two steps); undefined off Linux. */
  otherCores: number | undefined;
}

export interface ThroughputEntry {
  dtype: ModelDtype;
  split: Split;
  modelLoadMs: number;
  runs: ThroughputRun[];
}

/** CPU ms per image of each stage of preparing one image on the main thread, medians of per-image figures are too coarse: totals / images. */
export interface StageCpu {
  images: number;
  readMs: number;
  decodeMs: number;
  preprocessMs: number;
  /** read + decode + preprocess (what PIL's figure covers). */
  totalMs: number;
  /** The metadata a decode worker reads besides (format, orientation, EXIF), from the bytes and header already decoded. */
  metadataMs: number;
  /** Whether `decodeMs` used the libjpeg-turbo addon (baseline JPEGs); false: sharp for every image. */
  nativeJpeg: boolean;
  /** The same images decoded by sharp alone (what decodeMs was before the addon). */
  sharpDecodeMs: number;
  /** The same images decoded whole by the addon (decodeMs decodes only the part the crop reads). */
  wholeDecodeMs: number;
}

export interface ThroughputResult {
  stageCpu?: StageCpu;
  entries: ThroughputEntry[];
  /** Precisions not measured, with why (e.g. the folder has no such graph). */
  skipped: { dtype: ModelDtype; reason: string }[];
}

const cpuMs = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

async function measureStages(files: string[], config: AppConfig, embedder: ClipEmbedder): Promise<StageCpu> {
  const spec = embedder.preprocess;
  // What prepareClipImage asks for: a JPEG is decoded only where the crop reads it.
  const wholeOptions = { maxPixels: config.maxPixels, reduceLargeJpegToShortSide: 4 * spec.shortestEdge };
  const decodeOptions = { ...wholeOptions, region: (width: number, height: number) => clipSourceRegion(width, height, spec) };
  let read = 0;
  let decode = 0;
  let preprocess = 0;
  let metadata = 0;
  let sharpDecode = 0;
  let wholeDecode = 0;
  for (const file of files.slice(0, 5)) {
    // Warm caches and JIT on both decoders.
    await prepareClipImage(file, embedder.preprocess, { maxPixels: config.maxPixels });
    await decodeImage(file, { ...wholeOptions, nativeJpeg: false });
  }
  for (const file of files) {
    // As the decode worker reads a file: synchronously.
    const t0 = cpuMs();
    const bytes = readImageFileSync(file);
    const t1 = cpuMs();
    const decoded = await decodeImage(bytes, decodeOptions);
    const t2 = cpuMs();
    toClipPixelValues(decoded.rgb, spec, { width: decoded.originalWidth, height: decoded.originalHeight });
    const t3 = cpuMs();
    await imageMetadataOfDecoded(bytes, file, path.dirname(file), { format: decoded.format, width: decoded.originalWidth, height: decoded.originalHeight });
    const t4 = cpuMs();
    await decodeImage(bytes, { ...wholeOptions, nativeJpeg: false });
    const t5 = cpuMs();
    await decodeImage(bytes, wholeOptions);
    const t6 = cpuMs();
    read += t1 - t0;
    decode += t2 - t1;
    preprocess += t3 - t2;
    metadata += t4 - t3;
    sharpDecode += t5 - t4;
    wholeDecode += t6 - t5;
  }
  const n = files.length;
  return {
    images: n,
    readMs: read / n,
    decodeMs: decode / n,
    preprocessMs: preprocess / n,
    totalMs: (read + decode + preprocess) / n,
    metadataMs: metadata / n,
    nativeJpeg: nativeJpegLoaded,
    sharpDecodeMs: sharpDecode / n,
    wholeDecodeMs: wholeDecode / n,
  };
}

async function modelAlone(embedder: ClipEmbedder, batches: Float32Array[][], images: number): Promise<{ imagesPerSecond: number; cpuMs: number; cpu: ReturnType<typeof cpuShare> }> {
  const start = cpuSnapshot();
  let done = 0;
  for (let b = 0; done < images; b++) {
    const batch = batches[b % batches.length]!;
    await embedder.embedPixels(batch);
    done += batch.length;
  }
  const end = cpuSnapshot();
  return { imagesPerSecond: done / ((end.wallMs - start.wallMs) / 1000), cpuMs: (end.ownCpuMs - start.ownCpuMs) / done, cpu: cpuShare(start, end) };
}

async function reindexOnce(job: ThroughputJob, embedder: ClipEmbedder, pool: DecodePool, split: Split, dataDir: string, label: string, reporter: WorkerReporter) {
  const { config } = job;
  const library = ImageLibrary.open(dataDir, { modelName: embedder.modelName, dimension: embedder.dimension, precision: embedder.precision, writable: true });
  try {
    // The wiring of openEngine(), with this split.
    const indexer = new Indexer(library, embedder, (file, spec, root) => pool.prepare(file, spec, root), indexerSettingsOf(config, pool.capacity));
    const start = cpuSnapshot();
    const summary = await indexer.reindex(job.folder, {
      onProgress: (progress) => {
        if (progress.phase === 'embedding') reporter.progress(label, progress.embedded + progress.skipped, progress.toEmbed, 'images');
      },
    });
    const end = cpuSnapshot();
    return { summary, cpuMs: (end.ownCpuMs - start.ownCpuMs) / Math.max(1, summary.embedded), cpu: cpuShare(start, end) };
  } finally {
    library.close();
  }
}

async function main(job: ThroughputJob, reporter: WorkerReporter): Promise<ThroughputResult> {
  const { config } = job;
  const scan = await scanImages(job.folder, scanOptionsOf(config));
  const files = scan.files.map((file) => file.path);
  if (files.length < config.batchSize) throw new Error(`${job.folder} has ${files.length} images, fewer than one batch of ${config.batchSize}`);
  const result: ThroughputResult = { entries: [], skipped: [] };
  let round = 0;
  for (const dtype of job.dtypes) {
    if (path.isAbsolute(config.model) && !fs.existsSync(path.join(config.model, graphFile('vision_model', dtype)))) {
      result.skipped.push({ dtype, reason: `${graphFile('vision_model', dtype)} is missing in the model folder` });
      continue;
    }
    for (const split of job.splits) {
      const loadStart = performance.now();
      // Only the vision tower runs here; the text tower stays fp32 so that it need not exist at this precision.
      const embedder = await ClipEmbedder.load({
        ...config,
        threads: split.threads,
        dtype: 'fp32',
        dtypeVision: dtype,
        dtypeText: 'fp32',
        visionSessionUse: split.spinning === false ? 'latency' : 'throughput',
      });
      const limits = { maxPixels: config.maxPixels };
      const batches: Float32Array[][] = [];
      for (let i = 0; i + config.batchSize <= files.length && batches.length < 4; i += config.batchSize) {
        const prepared = await Promise.all(files.slice(i, i + config.batchSize).map((file) => prepareClipImage(file, embedder.preprocess, limits)));
        batches.push(prepared.map((image) => image.pixelValues));
      }
      await embedder.embedPixels(batches[0]!); // loads the vision session
      const modelLoadMs = performance.now() - loadStart;
      if (!result.stageCpu && job.cpuSampleImages > 0) result.stageCpu = await measureStages(files.slice(0, job.cpuSampleImages), config, embedder);
      const entry: ThroughputEntry = { dtype, split, modelLoadMs, runs: [] };
      // One pool per split, as an engine keeps one for all its reindexes.
      const pool = new DecodePool({ threads: split.decodeThreads, limits });
      for (let run = 0; run < job.warmup + job.runs; run++) {
        const warm = run < job.warmup;
        const label = `${dtype}, ${split.threads || 'default'} inference / ${split.decodeThreads} decode threads${split.spinning === false ? ' (no spinning)' : ''}, ${warm ? 'warm-up' : `run ${run - job.warmup + 1}/${job.runs}`}`;
        const alone = await modelAlone(embedder, batches, job.modelOnlyImages);
        const dataDir = path.join(job.workDir, `throughput-${round++}`);
        const real = await reindexOnce(job, embedder, pool, split, dataDir, label, reporter);
        removeDir(dataDir);
        const others = [alone.cpu.otherCores, real.cpu.otherCores].filter((cores): cores is number => cores !== undefined);
        const figures: ThroughputRun = {
          modelOnlyImagesPerSecond: alone.imagesPerSecond,
          modelOnlyCpuMs: alone.cpuMs,
          reindexImagesPerSecond: real.summary.embedded / (real.summary.elapsedMs / 1000),
          reindexElapsedMs: real.summary.elapsedMs,
          reindexCpuMs: real.cpuMs,
          decodeWaitMs: real.summary.timings.decodeWaitMs / Math.max(1, real.summary.embedded),
          embedded: real.summary.embedded,
          otherCores: others.length > 0 ? Math.max(...others) : undefined,
        };
        reporter.log(
          `  ${label}: model alone ${figures.modelOnlyImagesPerSecond.toFixed(1)}, reindex ${figures.reindexImagesPerSecond.toFixed(1)} images/s` +
            ` (${(figures.reindexImagesPerSecond / figures.modelOnlyImagesPerSecond).toFixed(2)})` +
            (figures.otherCores !== undefined && figures.otherCores >= 0.1 ? `; other processes took up to ${figures.otherCores.toFixed(1)} cores` : ''),
        );
        if (!warm) entry.runs.push(figures);
      }
      await pool.close();
      result.entries.push(entry);
    }
  }
  return result;
}

serveWorker(main);
