export { Indexer, type IndexerSettings, type LibraryWriter, type PrepareImage, type ReindexOptions, type ReindexSummary, type SkippedFile, type StageTimings } from './indexer';
export { planReindex, isInside, type KnownFile, type ReindexPlan } from './plan';
export { scanImages, scanOptionsOf, assertScannableRoot, ScanRootError, type ScannedFile, type ScanProblem } from './scan';
export type { ReindexProgress, ReindexPhase } from './progress';
export { batchPrefetchLimits, prefetchMap } from './prefetch';
export { buildStagedModel, type StagedBuildSettings, type StagedBuildSummary } from './stagedBuild';
export { DECODE_REQUESTS_PER_THREAD, DecodePool, type DecodePoolOptions } from './decodePool';
export { decodeThreadsFor } from './threads';
