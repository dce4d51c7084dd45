export * from './config';
export * from './embedding';
export * from './image';
export * from './indexing';
export * from './inference';
export * from './jobs';
export * from './search';
export * from './store';
export { openEngine, indexSettingsOf, indexerSettingsOf, type Engine } from './engine';
