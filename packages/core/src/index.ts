export * from './config';
export * from './embedding';
export * from './image';
export * from './indexing';
export * from './search';
export * from './store';
export { openEngine, type Engine } from './engine';
