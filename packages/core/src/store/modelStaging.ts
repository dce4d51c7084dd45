import type { ModelIdentity } from './errors';

/**
 * A model switch: the vectors of another model built beside the library's own (catalogue migration 4), while
 * search goes on answering with the library's model. Completing it swaps them in one transaction; until then
 * nothing the library serves changes, and a switch that stops half way resumes where it stopped.
 */

/** The model a switch is building, with how far it got. */
export interface StagedModel extends ModelIdentity {
  precision: string;
  startedAt: number;
  /** Indexed images that have a current staged vector (made from the file as the catalogue knows it). */
  staged: number;
  /** Indexed images still without one. */
  remaining: number;
}

/** An indexed image a switch has still to embed. */
export interface StagingTarget {
  id: number;
  path: string;
  size: number;
  mtimeMs: number;
}

/** A vector of the staged model, and the file state it was made from. */
export interface StagedVector extends StagingTarget {
  embedding: Float32Array;
}

export interface CompletedSwitch {
  /** The library's model before the switch. */
  previous: ModelIdentity & { precision: string };
  model: ModelIdentity & { precision: string };
  generation: number;
  indexedCount: number;
  /**
   * Indexed images the staged model had no current vector for (a file that changed, or could not be read, during
   * the switch): forgotten by the switch, so that the next reindex of their folder embeds them as new files.
   */
  forgotten: string[];
}

/** The staging half of a Catalogue (writers). */
export interface ModelStagingStore {
  stagedModel(): StagedModel | undefined;
  /**
   * Starts staging `model`; a switch to the same model (name, dimension, precision) that is already staged
   * resumes, one to another model is discarded first.
   */
  beginStaging(model: ModelIdentity & { precision: string }, now: number): StagedModel;
  /** Up to `limit` indexed images with id > afterId that have no current staged vector, ascending by id. */
  unstagedImages(afterId: number, limit: number): StagingTarget[];
  /** Stores staged vectors (replacing older ones of the same ids); ids no longer indexed are ignored. */
  stageVectors(vectors: readonly StagedVector[]): void;
  /** One transaction: the staged vectors and model become the library's; the old vectors are deleted. */
  completeStaging(): CompletedSwitch;
  discardStaging(): void;
}

export class NoStagedModelError extends Error {
  override readonly name = 'NoStagedModelError';
  constructor(location: string) {
    super(`${location} has no model switch in progress.`);
  }
}

/** A library whose catalogue another process switched to another model: its vectors no longer match this process's model. */
export class ModelSwitchedError extends Error {
  override readonly name = 'ModelSwitchedError';
  constructor(
    readonly location: string,
    readonly from: string,
    readonly to: string,
  ) {
    super(`The library in ${location} was switched from model "${from}" to "${to}": restart this process with SIS_MODEL=${to}.`);
  }
}

/** What a model switch needs from the library (ImageLibrary): the staging store, and adopting the result. */
export interface ModelSwitchWriter {
  readonly modelName: string;
  stagedModel(): StagedModel | undefined;
  beginModelSwitch(model: ModelIdentity & { precision: string }): StagedModel;
  unstagedImages(afterId: number, limit: number): StagingTarget[];
  stageVectors(vectors: readonly StagedVector[]): void;
  /** Commits the switch and follows it: from then on this library serves the new model's vectors. */
  completeModelSwitch(): CompletedSwitch;
  discardModelSwitch(): void;
}
