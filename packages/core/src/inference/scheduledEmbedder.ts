import type { Embedder } from '../embedding';
import type { InferencePriority, InferenceScheduler } from './scheduler';

/**
 * An Embedder whose model calls wait for their turn in `scheduler`, all at one priority: the engine hands the
 * searcher an interactive view and the indexer a background view of the same model.
 */
export function scheduledEmbedder(embedder: Embedder, scheduler: InferenceScheduler, priority: InferencePriority): Embedder {
  return {
    get modelName() {
      return embedder.modelName;
    },
    get dimension() {
      return embedder.dimension;
    },
    get preprocess() {
      return embedder.preprocess;
    },
    embedTexts: (texts) => (texts.length === 0 ? Promise.resolve([]) : scheduler.run(priority, () => embedder.embedTexts(texts))),
    embedPixels: (pixelValues) => (pixelValues.length === 0 ? Promise.resolve([]) : scheduler.run(priority, () => embedder.embedPixels(pixelValues))),
  };
}
