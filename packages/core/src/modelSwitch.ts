import path from 'node:path';
import type { ModelEmbedder, SwitchableEmbedder } from './embedding';
import { assertScannableRoot, buildStagedModel, type Indexer, type PrepareImage, type ReindexOptions, type ReindexSummary, type StagedBuildSettings, type StagedBuildSummary } from './indexing';
import type { Embedder } from './embedding';
import type { ImageStore } from './store';

/**
 * `reindex --model NAME`: switching a library to another model without losing it. The new model's vectors are
 * built beside the old ones (searches keep answering with the old model meanwhile), the library switches in
 * one commit when every image has its new vector, the old vectors are deleted by that commit, and the folder
 * is then reindexed incrementally with the new model (files that changed during the switch, new files).
 * Stopped before the switch, the old library is intact and the same command resumes the build.
 */

/** What the switch claims (as a reindex claims its folder), so that a second switch is told who holds it. */
export const MODEL_SWITCH_CLAIM = '(the model switch of this library)';

export interface ModelSwitchSummary {
  previousModel: string;
  model: string;
  /** The library already used this model: only the incremental reindex ran. */
  alreadyCurrent: boolean;
  build: StagedBuildSummary | undefined;
  /** True once the library uses the new model (false: stopped before the switch; the old library is intact). */
  switched: boolean;
  /** Images the switch forgot because their new vector was missing (changed or unreadable): the reindex met them again. */
  forgotten: number;
  /** The incremental reindex with the new model (absent when stopped before it). */
  reindex: ReindexSummary | undefined;
}

export interface ModelSwitchDeps {
  library: ImageStore;
  /** The engine's current model: replaced by the new one at the moment of the switch. */
  model: SwitchableEmbedder;
  indexer: Indexer;
  load(modelName: string): Promise<ModelEmbedder>;
  /** Runs the switch (synchronous) when no search is running, holding new ones meanwhile (Searcher.exclusive). */
  exclusive(change: () => void): Promise<void>;
  /** How the build runs the new model: a background view of it (searches keep priority), the decode pool. */
  staging(next: ModelEmbedder): { embedder: Embedder; prepare: PrepareImage; settings: StagedBuildSettings };
}

export async function runModelSwitch(deps: ModelSwitchDeps, folder: string, modelName: string, options: ReindexOptions = {}): Promise<ModelSwitchSummary> {
  const root = path.resolve(folder);
  // Before loading a model or embedding anything: a wrong folder fails at once.
  await assertScannableRoot(root);
  const { library, model, indexer } = deps;
  const next = await deps.load(modelName);
  const previousModel = library.modelName;
  const withModel = (summary: Partial<ModelSwitchSummary>): ModelSwitchSummary => ({
    previousModel, model: next.modelName, alreadyCurrent: false, build: undefined, switched: false, forgotten: 0, reindex: undefined, ...summary,
  });
  const reindexWithModel = () =>
    indexer.reindex(root, { ...options, onProgress: options.onProgress && ((progress) => options.onProgress!({ ...progress, model: next.modelName })) });
  if (next.modelName === previousModel && next.dimension === library.dimension && next.precision === library.stats().precision) {
    library.discardModelSwitch();
    return withModel({ alreadyCurrent: true, reindex: await reindexWithModel() });
  }
  const staging = deps.staging(next);
  // One switch at a time across the processes sharing a PostgreSQL catalogue (a no-op with SQLite's writer lock).
  const claim = library.claimReindex(MODEL_SWITCH_CLAIM);
  let build: StagedBuildSummary;
  let forgotten = 0;
  try {
    build = await buildStagedModel(library, staging.embedder, staging.prepare, staging.settings, options);
    if (build.cancelled) return withModel({ build });
    // One synchronous step: the library's vectors and the engine's model change together, between two searches.
    await deps.exclusive(() => {
      forgotten = library.completeModelSwitch().forgotten.length;
      model.use(next);
    });
  } finally {
    claim.release();
  }
  return withModel({ build, switched: true, forgotten, reindex: await reindexWithModel() });
}
