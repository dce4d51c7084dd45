import type { Embedder } from '../embedding';
import { ImageSkipError, type PreparedImage } from '../image';
import type { ModelSwitchWriter, StagedVector, StagingTarget } from '../store';
import type { PrepareImage, ReindexOptions, SkippedFile } from './indexer';
import { batchPrefetchLimits, prefetchMap } from './prefetch';
import { RateMeter, type ReindexProgress } from './progress';

/**
 * The first half of a model switch: embeds every indexed image of the library with the new model and stages
 * the vectors beside the library's own (ImageLibrary.stageVectors), one batch per commit. Nothing the library
 * serves changes; a build that stops (cancelled, or the process killed) resumes from what it committed.
 */

export interface StagedBuildSettings {
  batchSize: number;
  /** Images decoding at once. */
  decodeConcurrency?: number;
}

export interface StagedBuildSummary {
  /** The model whose vectors were built. */
  model: string;
  /** Images embedded by this run. */
  embedded: number;
  /** Images a previous, interrupted run had staged already. */
  alreadyStaged: number;
  /** Images the new model could not read (they are forgotten by the switch and met again by the next reindex). */
  failed: SkippedFile[];
  cancelled: boolean;
  elapsedMs: number;
  imagesPerSecond: number;
}

/** Rows of the catalogue read at a time. */
const TARGET_CHUNK = 1000;

export async function buildStagedModel(
  library: ModelSwitchWriter,
  embedder: Embedder,
  prepareImage: PrepareImage,
  settings: StagedBuildSettings,
  options: ReindexOptions = {},
): Promise<StagedBuildSummary> {
  const startedAt = performance.now();
  const started = library.beginModelSwitch({ modelName: embedder.modelName, dimension: embedder.dimension, precision: embedder.precision });
  const progress: ReindexProgress = {
    phase: 'embedding', seen: started.staged + started.remaining, toEmbed: started.remaining, embedded: 0, skipped: 0, removed: 0,
    unchanged: started.staged, imagesPerSecond: 0, etaSeconds: undefined, model: embedder.modelName,
  };
  const report = () => options.onProgress?.({ ...progress });
  report();
  const failed: SkippedFile[] = [];
  const meter = new RateMeter();
  meter.start();
  const spec = embedder.preprocess;
  type Prepared = { target: StagingTarget; image: PreparedImage } | { target: StagingTarget; skip: SkippedFile };
  const prepare = async (target: StagingTarget): Promise<Prepared> => {
    try {
      return { target, image: await prepareImage(target.path, spec) };
    } catch (error) {
      const reason = error instanceof ImageSkipError ? error.reason : 'corrupt';
      return { target, skip: { path: target.path, reason, message: (error as Error).message } };
    }
  };
  let batch: { target: StagingTarget; pixels: Float32Array }[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const vectors = await embedder.embedPixels(batch.map((entry) => entry.pixels));
    library.stageVectors(batch.map(({ target }, i): StagedVector => ({ ...target, embedding: vectors[i]! })));
    progress.embedded += batch.length;
    progress.imagesPerSecond = meter.rate(progress.embedded);
    progress.etaSeconds = meter.eta(progress.embedded + failed.length, progress.toEmbed);
    batch = [];
    report();
  };

  let cancelled = false;
  let afterId = -1;
  outer: for (;;) {
    const targets = library.unstagedImages(afterId, TARGET_CHUNK);
    if (targets.length === 0) break;
    afterId = targets[targets.length - 1]!.id;
    for await (const result of prefetchMap(targets, batchPrefetchLimits(settings.batchSize, settings.decodeConcurrency ?? 2), prepare)) {
      if ('skip' in result) {
        failed.push(result.skip);
        progress.skipped = failed.length;
      } else {
        batch.push({ target: result.target, pixels: result.image.pixelValues });
        if (batch.length >= settings.batchSize) await flush();
      }
      if (options.signal?.aborted) {
        cancelled = true;
        break outer;
      }
    }
  }
  await flush();
  const elapsedMs = performance.now() - startedAt;
  return {
    model: embedder.modelName,
    embedded: progress.embedded,
    alreadyStaged: started.staged,
    failed,
    cancelled,
    elapsedMs,
    imagesPerSecond: progress.embedded > 0 ? progress.embedded / (elapsedMs / 1000) : 0,
  };
}
