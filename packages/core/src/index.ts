export * from './config';
export * from './embedding';
export * from './image';
export * from './indexing';
export * from './jobs';
export * from './search';
export * from './store';
export { seededRandom } from './random';
export { openEngine, openStore, indexSettingsOf, type Engine, type OpenEngineOptions } from './engine';
