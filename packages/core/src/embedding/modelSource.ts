import fs from 'node:fs';
import path from 'node:path';
import type { AppConfig } from '../config';
import { recommendedModel } from './registry';

/** Where transformers.js finds a model: a local folder, or the hub with a cache under the data directory. */
export interface ModelSource {
  /** Name recorded in the catalogue; an index built with one model is never searched with another. */
  modelName: string;
  /** The id transformers.js is asked for, relative to localModelPath. */
  modelId: string;
  localModelPath: string;
  allowRemote: boolean;
  cacheDir: string;
}

export class ModelNotFoundError extends Error {
  override readonly name = 'ModelNotFoundError';
}

export function resolveModelSource(config: Pick<AppConfig, 'model' | 'offline' | 'dataDir'>): ModelSource {
  const cacheDir = path.join(config.dataDir, 'models');
  if (path.isAbsolute(config.model)) {
    if (!fs.existsSync(path.join(config.model, 'config.json'))) {
      throw new ModelNotFoundError(
        `SIS_MODEL points at ${config.model}, which is not a model folder (no config.json): ` +
          'give a folder in the transformers.js layout (config.json, tokenizer.json, onnx/*.onnx) or a Hugging Face model id',
      );
    }
    return {
      modelName: config.model,
      modelId: path.basename(config.model),
      localModelPath: path.dirname(config.model),
      allowRemote: false,
      cacheDir,
    };
  }
  // Hub ids (or a recommended model's short name, recorded as its id): files downloaded once land in the
  // cache; offline, only the cache is used.
  const id = recommendedModel(config.model)?.id ?? config.model;
  return { modelName: id, modelId: id, localModelPath: cacheDir, allowRemote: !config.offline, cacheDir };
}

/** Turns transformers.js's loading errors into one line that says what to do. */
export function modelLoadError(source: ModelSource, offline: boolean, cause: unknown): ModelNotFoundError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  if (source.allowRemote) {
    return new ModelNotFoundError(
      `Could not download model ${source.modelName} from the Hugging Face hub (${reason}). ` +
        'Check the network, or set SIS_MODEL to a local model folder and SIS_OFFLINE=1.',
    );
  }
  if (offline && source.modelName === source.modelId) {
    return new ModelNotFoundError(
      `Model ${source.modelName} is not in the local cache ${source.cacheDir} and SIS_OFFLINE=1 forbids downloading it: ` +
        `run once without SIS_OFFLINE to download it, or set SIS_MODEL to a local model folder (${reason})`,
    );
  }
  return new ModelNotFoundError(`Cannot load model ${source.modelName}: ${reason}`);
}
