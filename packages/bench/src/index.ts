/** The statistics and metrics behind pnpm bench and pnpm eval, for reuse and tests. */
export * from './stats';
export * from './metrics';
export * from './captions';
export * from './synthetic';
export * from './compare';
export { generatedQueries, loadQueries, spreadPick } from './queries';
