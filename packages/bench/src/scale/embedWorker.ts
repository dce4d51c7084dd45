/**
 * Scale run, step 1: the real photos. Indexes a folder through the engine (scan, decode, embed, store:
 * the ordinary reindex) into a scratch data directory and writes the stored embeddings to a vector file;
 * embeds a second set of photos, not indexed, as real queries.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openEngine, prepareClipImage, scanImages, TUNING_PHRASES, type AppConfig, type Embedder } from '@sis/core';
import { parseCaptionsCsv } from '../captions';
import { serveWorker, type WorkerReporter } from '../ipc';
import { scratchDataDir } from '../workdir';
import { writeMatrix } from './vectorFile';

export interface EmbedJob {
  config: AppConfig;
  /** Photos indexed alongside the synthetic vectors. */
  folder: string;
  /** Photos embedded as queries (not indexed). */
  queryFolder: string;
  queryCount: number;
  workDir: string;
  realFile: string;
  realQueriesFile: string;
  /** captions.csv whose captions (spread over the file) become text queries: held out from tuning. */
  captionsFile: string;
  captionCount: number;
  captionQueriesFile: string;
  /** The engine's built-in tuning phrases, embedded: what the product tunes text queries on. */
  phrasesFile: string;
}

export interface EmbedResult {
  modelName: string;
  dimension: number;
  realImages: number;
  realQueries: number;
  captionQueries: number;
  tuningPhrases: number;
  elapsedMs: number;
}

async function embedTextsToFile(embedder: Embedder, texts: readonly string[], file: string): Promise<void> {
  const out = new Float32Array(texts.length * embedder.dimension);
  for (let i = 0; i < texts.length; i += 32) {
    const vectors = await embedder.embedTexts(texts.slice(i, i + 32));
    vectors.forEach((vector, j) => out.set(vector, (i + j) * embedder.dimension));
  }
  writeMatrix(file, out);
}

async function main(job: EmbedJob, reporter: WorkerReporter): Promise<EmbedResult> {
  const start = performance.now();
  const engine = await openEngine(scratchDataDir(job.config, path.join(job.workDir, 'real-photos')), { writable: true });
  try {
    const { embedder, indexer, library } = engine;
    if (!indexer) throw new Error('the engine opened read-only');
    await indexer.reindex(job.folder, {
      onProgress: (progress) => reporter.progress('real photos: indexing', progress.embedded, Math.max(progress.toEmbed, 1), 'images'),
    });
    const paths = [...library.fileStates()].filter(([, state]) => state.status === 'indexed').map(([filePath]) => filePath).sort();
    const dimension = embedder.dimension;
    const real = new Float32Array(paths.length * dimension);
    paths.forEach((filePath, i) => real.set(library.getByPath(filePath)!.embedding, i * dimension));
    writeMatrix(job.realFile, real);

    const scan = await scanImages(job.queryFolder, { extensions: job.config.imageExtensions, includeHidden: false });
    const files = scan.files.map((file) => file.path).sort();
    // Spread over the folder rather than its first files.
    const picked = Array.from({ length: Math.min(job.queryCount, files.length) }, (_, i) => files[Math.floor((i * files.length) / Math.min(job.queryCount, files.length))]!);
    const queries = new Float32Array(picked.length * dimension);
    for (let i = 0; i < picked.length; i += 8) {
      const batch = picked.slice(i, i + 8);
      const prepared = await Promise.all(batch.map((file) => prepareClipImage(file, embedder.preprocess, { maxPixels: job.config.maxPixels })));
      const vectors = await embedder.embedPixels(prepared.map((image) => image.pixelValues));
      vectors.forEach((vector, j) => queries.set(vector, (i + j) * dimension));
      reporter.progress('real photos: query photos', Math.min(i + 8, picked.length), picked.length, 'images');
    }
    writeMatrix(job.realQueriesFile, queries);

    const rows = parseCaptionsCsv(fs.readFileSync(job.captionsFile, 'utf8'));
    const count = Math.min(job.captionCount, rows.length);
    const captions = Array.from({ length: count }, (_, i) => rows[Math.floor((i * rows.length) / count)]!.caption);
    reporter.progress('captions: embedding', 0, count, 'texts');
    await embedTextsToFile(embedder, captions, job.captionQueriesFile);
    await embedTextsToFile(embedder, TUNING_PHRASES, job.phrasesFile);
    if (!fs.existsSync(job.realFile)) throw new Error('no real vectors written');
    return { modelName: embedder.modelName, dimension, realImages: paths.length, realQueries: picked.length, captionQueries: count, tuningPhrases: TUNING_PHRASES.length, elapsedMs: performance.now() - start };
  } finally {
    engine.close();
  }
}

serveWorker(main);
