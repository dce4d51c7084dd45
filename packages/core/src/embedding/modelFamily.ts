/**
 * Model families the engine runs, told apart by config.json's `model_type`. Each says which
 * transformers.js classes load its towers, which graph output is the embedding, how its texts are
 * padded and how its preprocessor_config.json is read. Everything else comes from the model's files.
 */
import { parsePreprocessorConfig, parseSiglipPreprocessorConfig, type ClipPreprocessSpec } from '../image';
import type { TextPadding } from './tokenizer';
import { CLIPTextModelWithProjection, CLIPVisionModelWithProjection, SiglipTextModel, SiglipVisionModel, type PreTrainedModel } from './transformers';

export type ModelFamilyName = 'clip' | 'siglip';

interface TowerClass {
  from_pretrained(modelId: string, options: object): Promise<PreTrainedModel>;
}

export interface ModelFamily {
  readonly name: ModelFamilyName;
  /** Length of the embeddings both towers return. */
  readonly dimension: number;
  readonly textModel: TowerClass;
  readonly visionModel: TowerClass;
  readonly textOutput: 'text_embeds' | 'pooler_output';
  readonly imageOutput: 'image_embeds' | 'pooler_output';
  readonly textPadding: TextPadding;
  /** The text tower's position table: no row may be longer. */
  readonly maxTextPositions: number;
  parsePreprocessor(json: unknown): ClipPreprocessSpec;
}

/** A model the engine cannot run, or runs wrongly: refused at load, with the reason. */
export class UnsupportedModelError extends Error {
  override readonly name = 'UnsupportedModelError';
}

export const SUPPORTED_MODEL_TYPES: readonly string[] = ['clip', 'siglip'];

type Json = Record<string, unknown>;

/** The family of a model from its parsed config.json; throws UnsupportedModelError naming what is wrong. */
export function modelFamilyOf(modelName: string, config: unknown): ModelFamily {
  const json = isObject(config) ? config : {};
  const modelType = json.model_type;
  const refuse = (reason: string) => new UnsupportedModelError(`Model ${modelName} is not supported: ${reason}`);
  const textConfig = isObject(json.text_config) ? json.text_config : {};
  const visionConfig = isObject(json.vision_config) ? json.vision_config : {};
  const positions = positiveInt(textConfig.max_position_embeddings);
  if (modelType === 'clip') {
    // CLIP and OpenCLIP exports in this layout: both towers project to projection_dim.
    const dimension = positiveInt(json.projection_dim);
    if (dimension === undefined) throw refuse('its config.json (model_type "clip") has no valid projection_dim');
    return {
      name: 'clip',
      dimension,
      textModel: CLIPTextModelWithProjection,
      visionModel: CLIPVisionModelWithProjection,
      textOutput: 'text_embeds',
      imageOutput: 'image_embeds',
      textPadding: 'longest',
      maxTextPositions: positions ?? Number.POSITIVE_INFINITY,
      parsePreprocessor: parsePreprocessorConfig,
    };
  }
  if (modelType === 'siglip') {
    // No projection: the embeddings are the pooled outputs, the text head mapping to the vision width.
    const dimension = positiveInt(visionConfig.hidden_size);
    const textDimension = positiveInt(textConfig.projection_size) ?? positiveInt(textConfig.hidden_size);
    if (dimension === undefined || textDimension === undefined) {
      throw refuse('its config.json (model_type "siglip") lacks vision_config.hidden_size or text_config.hidden_size');
    }
    if (dimension !== textDimension) {
      throw refuse(`its text embeddings (${textDimension}-d) and image embeddings (${dimension}-d) differ in length`);
    }
    if (positions === undefined) throw refuse('its config.json has no text_config.max_position_embeddings');
    return {
      name: 'siglip',
      dimension,
      textModel: SiglipTextModel,
      visionModel: SiglipVisionModel,
      textOutput: 'pooler_output',
      imageOutput: 'pooler_output',
      textPadding: 'max_length',
      maxTextPositions: positions,
      parsePreprocessor: parseSiglipPreprocessorConfig,
    };
  }
  const named = typeof modelType === 'string' ? `model_type "${modelType}"` : 'no model_type';
  throw refuse(`its config.json has ${named}; supported: ${SUPPORTED_MODEL_TYPES.map((type) => `"${type}"`).join(', ')}`);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function positiveInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}
