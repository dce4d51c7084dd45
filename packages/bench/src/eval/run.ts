/**
 * pnpm eval: retrieval quality of the configured model on a captioned image set, through the product's
 * own pipeline. The images are indexed by the engine's Indexer (decode, CLIP preprocessing, vision
 * model, catalogue), the captions embedded by its text model; the similarity of every caption to every
 * indexed image then gives exact ranks (ties counted against the model, see ../metrics.ts). A sample of
 * captions is also run through the engine's FAISS search to check that it ranks the same way.
 */
import fs from 'node:fs';
import path from 'node:path';
import { cosine, openEngine, type AppConfig, type Engine, type ModelDtype } from '@sis/core';
import { groupCaptions, parseCaptionsCsv } from '../captions';
import type { Headline } from '../compare';
import { machineInfo, type MachineInfo } from '../machine';
import { imageToText, similarityMatrix, textToImage, type RetrievalMetrics } from '../metrics';
import { topKOverlap, topKRows, type TopKOverlap } from './dtypeCompare';
import type { ProgressDisplay } from '../progress';
import { makeWorkDir, removeDir, scratchDataDir } from '../workdir';

export interface EvalOptions {
  images: string;
  captions: string;
  limit: number | undefined;
  ks: number[];
  textBatch: number;
  /** Captions whose top-1 is cross-checked against the engine's FAISS search. */
  crossCheck: number;
  workDir: string | undefined;
  keep: boolean;
  quick: boolean;
  /** Also index and encode the set at this precision, and compare rankings (pnpm eval --compare-dtype int8). */
  compareDtype?: ModelDtype;
}

export interface DtypeComparison {
  /** The precision of the main run (what the top-K overlap is measured against). */
  reference: string;
  dtype: ModelDtype;
  /** How much of the reference's top-10 (text -> image) each caption keeps at `dtype`. */
  topK: TopKOverlap;
  textToImage: RetrievalMetrics;
  imagesPerSecond: number;
  /** Per image, cosine between the two precisions' embeddings: min and mean. */
  imageCosine: { min: number; mean: number };
}

type CaptionSet = ReturnType<typeof groupCaptions>;

/** The product's own path: the engine's indexer over the gallery, its text model over the captions. */
async function indexAndEncode(engine: Engine, gallery: string, set: CaptionSet, options: EvalOptions, progress: ProgressDisplay) {
  const { embedder, library } = engine;
  const loadStart = performance.now();
  await embedder.warmUp();
  const modelLoadMs = performance.now() - loadStart;
  const label = `(${embedder.precision})`;

  const summary = await engine.indexer!.reindex(gallery, {
    onProgress: (p) => {
      if (p.phase === 'embedding') progress.update(`indexing images ${label}`, p.embedded + p.skipped, p.toEmbed, 'images');
    },
  });
  progress.log(`Indexed ${summary.embedded} images ${label} in ${(summary.elapsedMs / 1000).toFixed(1)} s (${summary.imagesPerSecond.toFixed(1)} images/s)`);

  const galleryIndex = new Int32Array(set.images.length).fill(-1);
  const galleryVectors: Float32Array[] = [];
  set.images.forEach((name, i) => {
    const stored = library.getByPath(path.join(gallery, name));
    if (stored) {
      galleryIndex[i] = galleryVectors.length;
      galleryVectors.push(stored.embedding);
    }
  });

  const textStart = performance.now();
  const captionVectors: Float32Array[] = [];
  for (let start = 0; start < set.captions.length; start += options.textBatch) {
    const batch = set.captions.slice(start, start + options.textBatch).map((caption) => caption.text.trim());
    captionVectors.push(...(await embedder.embedTexts(batch)));
    progress.update(`encoding captions ${label}`, captionVectors.length, set.captions.length, 'captions');
  }
  const textMs = performance.now() - textStart;
  progress.log(`Encoded ${captionVectors.length} captions ${label} in ${(textMs / 1000).toFixed(1)} s`);
  return { summary, modelLoadMs, galleryIndex, galleryVectors, captionVectors, textMs };
}

/** Top-K of each caption as indices into set.images (not gallery positions, which differ when a precision skipped an image). */
function topImages(scores: Float32Array, captions: number, galleryIndex: Int32Array, k: number): Int32Array[] {
  const imageOf = new Int32Array(galleryIndex.length);
  let columns = 0;
  galleryIndex.forEach((position, image) => {
    if (position >= 0) {
      imageOf[position] = image;
      columns++;
    }
  });
  return topKRows(scores, captions, columns, k).map((row) => row.map((position) => imageOf[position]!));
}

async function compareDtype(
  config: AppConfig,
  dtype: ModelDtype,
  workDir: string,
  gallery: string,
  set: CaptionSet,
  options: EvalOptions,
  progress: ProgressDisplay,
  reference: { precision: string; galleryIndex: Int32Array; galleryVectors: Float32Array[]; scores: Float32Array },
): Promise<DtypeComparison> {
  const other = { ...scratchDataDir(config, path.join(workDir, `data-${dtype}`)), followSymlinks: true, dtype, dtypeVision: '' as const, dtypeText: '' as const };
  const engine = await openEngine(other, { writable: true });
  try {
    const { summary, galleryIndex, galleryVectors, captionVectors } = await indexAndEncode(engine, gallery, set, options, progress);
    const scores = similarityMatrix(captionVectors, galleryVectors);
    const captionImage = Int32Array.from(set.captions, (caption) => galleryIndex[caption.image]!);
    const k = 10;
    const topK = topKOverlap(topImages(reference.scores, captionVectors.length, reference.galleryIndex, k), topImages(scores, captionVectors.length, galleryIndex, k), k);
    const cosines: number[] = [];
    set.images.forEach((_, image) => {
      const a = reference.galleryIndex[image]!;
      const b = galleryIndex[image]!;
      if (a >= 0 && b >= 0) cosines.push(cosine(reference.galleryVectors[a]!, galleryVectors[b]!));
    });
    return {
      reference: reference.precision,
      dtype,
      topK,
      textToImage: textToImage({ scores, numCaptions: captionVectors.length, numImages: galleryVectors.length, captionImage }, options.ks),
      imagesPerSecond: summary.imagesPerSecond,
      imageCosine: { min: Math.min(...cosines), mean: cosines.reduce((sum, c) => sum + c, 0) / Math.max(1, cosines.length) },
    };
  } finally {
    engine.close();
  }
}

export interface EvalResult {
  kind: 'eval';
  version: 1;
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  machine: MachineInfo;
  model: { name: string; dimension: number; batchSize: number; threads: number };
  dataset: {
    images: string;
    captions: string;
    limit: number | null;
    imagesListed: number;
    imagesIndexed: number;
    /** Listed images that are not in the index (file missing, or skipped by the indexer), with the reason. */
    imagesMissing: { image: string; reason: string }[];
    captionCount: number;
    captionsWithoutIndexedImage: number;
  };
  textToImage: RetrievalMetrics;
  imageToText: RetrievalMetrics;
  crossCheck: { captions: number; agreeing: number; maxScoreDifference: number };
  /** --compare-dtype: the same set at another precision, and how much of this run's top-K it keeps. */
  dtypeComparison?: DtypeComparison;
  timings: { modelLoadMs: number; indexMs: number; imagesPerSecond: number; textMs: number; captionsPerSecond: number; scoringMs: number };
  headline: Headline[];
}

export async function runEval(config: AppConfig, options: EvalOptions, progress: ProgressDisplay): Promise<EvalResult> {
  const startedAt = new Date();
  const machine = machineInfo();
  const set = groupCaptions(parseCaptionsCsv(fs.readFileSync(options.captions, 'utf8')), options.limit);
  if (set.images.length === 0) throw new Error(`${options.captions} lists no images`);
  const workDir = makeWorkDir(options.workDir);
  try {
    // The listed images, as links in one folder: the gallery is exactly the set, even with --limit.
    const gallery = path.join(workDir, 'gallery');
    const missing: EvalResult['dataset']['imagesMissing'] = [];
    set.images.forEach((name) => {
      const source = path.resolve(options.images, name);
      const link = path.join(gallery, name);
      if (path.relative(gallery, link).startsWith('..') || path.isAbsolute(name)) {
        missing.push({ image: name, reason: 'not a path inside the images folder' });
        return;
      }
      if (!fs.existsSync(source)) {
        missing.push({ image: name, reason: 'file not found' });
        return;
      }
      fs.mkdirSync(path.dirname(link), { recursive: true });
      fs.symlinkSync(source, link);
    });
    fs.mkdirSync(gallery, { recursive: true });

    // The gallery is links to the set's files, which lie outside it: follow them.
    const engine = await openEngine({ ...scratchDataDir(config, path.join(workDir, 'data')), followSymlinks: true }, { writable: true });
    try {
      const { embedder, library } = engine;
      const { summary, modelLoadMs, galleryIndex, galleryVectors, captionVectors, textMs } = await indexAndEncode(engine, gallery, set, options, progress);
      for (const skip of summary.skipped) missing.push({ image: path.relative(gallery, skip.path), reason: `skipped: ${skip.reason}` });

      const scoringStart = performance.now();
      const captionImage = Int32Array.from(set.captions, (caption) => galleryIndex[caption.image]!);
      const matrix = {
        scores: similarityMatrix(captionVectors, galleryVectors),
        numCaptions: captionVectors.length,
        numImages: galleryVectors.length,
        captionImage,
      };
      const t2i = textToImage(matrix, options.ks);
      const i2t = imageToText(matrix, options.ks);
      const scoringMs = performance.now() - scoringStart;

      // The product's search (FAISS inner product) must find the same best score as the exact scoring.
      const sample = Math.min(options.crossCheck, captionVectors.length);
      let agreeing = 0;
      let maxScoreDifference = 0;
      for (let c = 0; c < sample && galleryVectors.length > 0; c++) {
        const [top] = library.search(captionVectors[c]!, 1);
        let best = Number.NEGATIVE_INFINITY;
        for (let i = 0; i < matrix.numImages; i++) best = Math.max(best, matrix.scores[c * matrix.numImages + i]!);
        const difference = Math.abs((top?.score ?? Number.NaN) - best);
        maxScoreDifference = Math.max(maxScoreDifference, difference);
        if (difference <= 1e-4) agreeing++;
      }

      const dtypeComparison = options.compareDtype
        ? await compareDtype(config, options.compareDtype, workDir, gallery, set, options, progress, { precision: embedder.precision, galleryIndex, galleryVectors, scores: matrix.scores })
        : undefined;

      const result: EvalResult = {
        kind: 'eval',
        version: 1,
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        quick: options.quick,
        machine,
        model: { name: embedder.modelName, dimension: embedder.dimension, batchSize: config.batchSize, threads: config.threads },
        dataset: {
          images: options.images,
          captions: options.captions,
          limit: options.limit ?? null,
          imagesListed: set.images.length,
          imagesIndexed: galleryVectors.length,
          imagesMissing: missing,
          captionCount: set.captions.length,
          captionsWithoutIndexedImage: t2i.missing,
        },
        textToImage: t2i,
        imageToText: i2t,
        crossCheck: { captions: sample, agreeing, maxScoreDifference },
        dtypeComparison,
        timings: {
          modelLoadMs,
          indexMs: summary.elapsedMs,
          imagesPerSecond: summary.imagesPerSecond,
          textMs,
          captionsPerSecond: captionVectors.length / (textMs / 1000),
          scoringMs,
        },
        headline: [],
      };
      result.headline = evalHeadline(result);
      return result;
    } finally {
      engine.close();
    }
  } finally {
    if (!options.keep) removeDir(workDir);
  }
}

export function evalHeadline(result: EvalResult): Headline[] {
  const figures: Headline[] = [];
  for (const [direction, metrics] of [
    ['textToImage', result.textToImage],
    ['imageToText', result.imageToText],
  ] as const) {
    const name = direction === 'textToImage' ? 'text->image' : 'image->text';
    for (const [k, value] of Object.entries(metrics.recall)) {
      figures.push({ key: `${direction}.recall@${k}`, label: `${name} R@${k}`, value: value * 100, unit: '%', better: 'higher' });
    }
    if (metrics.meanRank !== null) figures.push({ key: `${direction}.meanRank`, label: `${name} mean rank`, value: metrics.meanRank, unit: '', better: 'lower' });
    if (metrics.medianRank !== null) figures.push({ key: `${direction}.medianRank`, label: `${name} median rank`, value: metrics.medianRank, unit: '', better: 'lower' });
  }
  if (result.dtypeComparison) {
    const { dtype, topK } = result.dtypeComparison;
    figures.push({ key: `dtype.${dtype}.top${topK.k}Overlap`, label: `${dtype} keeps of the top-${topK.k}`, value: topK.meanOverlap * 100, unit: '%', better: 'higher' });
  }
  return figures;
}
