/**
 * The naive indexing pipeline, kept ONLY as the benchmark's baseline: what the original Python design
 * did. One image at a time: read and decode it at full size, preprocess it, run the vision model on a
 * batch of one, then the next image. No batching, no decoding ahead while the model runs, no
 * shrink-on-load of large JPEGs. It stores into the same catalogue and index as the real pipeline,
 * with the same checkpoint cadence, so the comparison isolates the pipeline itself.
 */
import path from 'node:path';
import { decodeImage, scanImages, scanOptionsOf, toClipPixelValues, type AppConfig, type Embedder, type ImageLibrary, type LibraryChanges } from '@sis/core';
// The full-size decode and the preprocessing step on their own (prepareClipImage always pre-reduces very
// large JPEGs, which the naive pipeline must not).

export interface NaiveSummary {
  embedded: number;
  skipped: number;
  elapsedMs: number;
  timings: { scanMs: number; decodeMs: number; inferenceMs: number; writeMs: number };
}

export async function naiveReindex(
  folder: string,
  library: ImageLibrary,
  embedder: Embedder,
  config: Pick<AppConfig, 'imageExtensions' | 'includeHidden' | 'followSymlinks' | 'maxPixels' | 'checkpointImages'>,
  onProgress?: (done: number, total: number) => void,
): Promise<NaiveSummary> {
  const start = performance.now();
  const scan = await scanImages(path.resolve(folder), scanOptionsOf(config));
  const timings = { scanMs: performance.now() - start, decodeMs: 0, inferenceMs: 0, writeMs: 0 };
  let pending: LibraryChanges = { upsertIndexed: [], upsertSkipped: [], removePaths: [] };
  const write = () => {
    const writeStart = performance.now();
    library.apply(pending);
    pending = { upsertIndexed: [], upsertSkipped: [], removePaths: [] };
    timings.writeMs += performance.now() - writeStart;
  };
  let embedded = 0;
  let skipped = 0;
  for (const [i, file] of scan.files.entries()) {
    const decodeStart = performance.now();
    let decoded;
    let pixelValues: Float32Array;
    try {
      decoded = await decodeImage(file.path, { maxPixels: config.maxPixels });
      pixelValues = toClipPixelValues(decoded.rgb, embedder.preprocess);
    } catch (error) {
      timings.decodeMs += performance.now() - decodeStart;
      skipped++;
      pending.upsertSkipped.push({ ...file, reason: 'corrupt', message: (error as Error).message });
      continue;
    }
    timings.decodeMs += performance.now() - decodeStart;
    const inferenceStart = performance.now();
    const [embedding] = await embedder.embedPixels([pixelValues]);
    timings.inferenceMs += performance.now() - inferenceStart;
    pending.upsertIndexed.push({ ...file, width: decoded.originalWidth, height: decoded.originalHeight, embedding: embedding! });
    embedded++;
    if (pending.upsertIndexed.length >= config.checkpointImages) write();
    onProgress?.(i + 1, scan.files.length);
  }
  write();
  const saveStart = performance.now();
  library.checkpoint();
  library.recordReindex();
  timings.writeMs += performance.now() - saveStart;
  return { embedded, skipped, elapsedMs: performance.now() - start, timings };
}
