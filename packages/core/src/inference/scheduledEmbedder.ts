import type { Embedder } from '../embedding';
import type { InferencePriority, InferenceScheduler } from './scheduler';

export interface ScheduledEmbedderOptions {
  /**
   * When interactive calls are waiting as an image batch's turn comes, run at most this many of its images in one
   * model call and queue the rest as a new call: a search then waits for a slice, not a whole batch. Alone, a batch
   * runs whole (no cost to throughput). Default: no limit.
   */
  imagesPerCallWhenBusy?: number;
}

/**
 * An Embedder whose model calls wait for their turn in `scheduler`, all at one priority: the engine hands the
 * searcher an interactive view and the indexer a background view of the same model.
 */
export function scheduledEmbedder(embedder: Embedder, scheduler: InferenceScheduler, priority: InferencePriority, options: ScheduledEmbedderOptions = {}): Embedder {
  const slice = options.imagesPerCallWhenBusy ?? Number.POSITIVE_INFINITY;
  const embedPixels = async (pixelValues: Float32Array[]): Promise<Float32Array[]> => {
    const vectors: Float32Array[] = [];
    while (vectors.length < pixelValues.length) {
      const rest = pixelValues.slice(vectors.length);
      const part = await scheduler.run(priority, () => {
        const busy = scheduler.stats().waiting.interactive > 0;
        return embedder.embedPixels(busy ? rest.slice(0, slice) : rest);
      });
      if (part.length === 0) throw new Error(`The model returned no vectors for ${rest.length} images`);
      vectors.push(...part);
    }
    return vectors;
  };
  return {
    get modelName() {
      return embedder.modelName;
    },
    get dimension() {
      return embedder.dimension;
    },
    get precision() {
      return embedder.precision;
    },
    get preprocess() {
      return embedder.preprocess;
    },
    embedTexts: (texts) => (texts.length === 0 ? Promise.resolve([]) : scheduler.run(priority, () => embedder.embedTexts(texts))),
    embedPixels,
  };
}
