export { Searcher, InvalidSearchError, DEFAULT_MAX_QUERY_LENGTH, selectIds, type LibraryReader, type SearchHit, type SearchResult, type SearchOptions, type SearcherSettings, type SearchSortOrder } from './searcher';
export { composeQuery, weightedUnitSum, checkTerms, describeTerm, DEFAULT_MAX_TERMS, type QueryTerm, type QueryTermSource, type ComposedQuery, type TermResolver, type CompositeQueryLimits } from './compositeQuery';
export {
  DuplicateFinder,
  InvalidDuplicatesError,
  MAX_PAIRS_PER_GROUP,
  pageOfGroups,
  suggestKeeper,
  type DuplicateGroup,
  type DuplicateImage,
  type DuplicateOptions,
  type DuplicatePair,
  type DuplicateReport,
  type DuplicateSource,
  type ExifCounter,
} from './duplicates';
export { duplicatesToCsv, duplicatesToJson, csvField, CSV_HEADER, type DuplicateExport } from './duplicateExport';
export { thresholdGraph, UnionFind, EXACT_MAX_VECTORS, PROBED_CELLS, CLUSTERING_STEPS, duplicateCells, type DuplicatePhase, type ThresholdGraph, type ThresholdGraphInput } from './duplicateGraph';
export { similarityKernel, blasKernel, faissKernel, type SimilarityKernel, type PairList } from './similarityKernel';
export { parseFilterDate, normaliseFilter, matcherOf, dateOf, distanceKm, InvalidFilterError, type SearchFilter } from './filter';
export { TUNING_PHRASES, phraseTuningQueries } from './tuningPhrases';
