export { ClipEmbedder, type Embedder } from './clipEmbedder';
export { resolveModelSource, modelLoadError, ModelNotFoundError, type ModelSource } from './modelSource';
export { cosine, normalizeInPlace } from './vectors';
