export { ClipEmbedder, TransformersEmbedder, type Embedder, type EmbedderSettings, type ModelEmbedder } from './modelEmbedder';
export { SUPPORTED_MODEL_TYPES, UnsupportedModelError, modelFamilyOf, type ModelFamily, type ModelFamilyName } from './modelFamily';
export { resolveModelSource, modelLoadError, ModelNotFoundError, type ModelSource } from './modelSource';
export { MODEL_DTYPES, DTYPE_FILE_SUFFIX, graphFile, precisionLabel, towerPrecision, type ModelDtype, type TowerPrecision } from './precision';
export { availableCores, ortSessionOptions, type SessionTuning, type SessionUse } from './sessionOptions';
export { cosine, normalizeInPlace } from './vectors';
export { SwitchableEmbedder } from './switchableEmbedder';
export {
  DEFAULT_MODEL_ID,
  FAMILY_SCORE_SCALES,
  RECOMMENDED_MODELS,
  defaultMinScore,
  downloadMb,
  recommendedModel,
  scoreScaleOf,
  type RecommendedModel,
  type ScoreScale,
  FAMILY_DUPLICATE_THRESHOLDS,
  duplicateThresholdOf,
} from './registry';
