export { ClipEmbedder, type Embedder, type EmbedderSettings, type ModelEmbedder } from './clipEmbedder';
export { resolveModelSource, modelLoadError, ModelNotFoundError, type ModelSource } from './modelSource';
export { MODEL_DTYPES, DTYPE_FILE_SUFFIX, graphFile, precisionLabel, towerPrecision, type ModelDtype, type TowerPrecision } from './precision';
export { availableCores, ortSessionOptions, type SessionTuning, type SessionUse } from './sessionOptions';
export { cosine, normalizeInPlace } from './vectors';
