export { ClipEmbedder, type Embedder, type ModelEmbedder } from './clipEmbedder';
export { resolveModelSource, modelLoadError, ModelNotFoundError, type ModelSource } from './modelSource';
export { cosine, normalizeInPlace } from './vectors';
