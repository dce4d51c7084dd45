export { Searcher, InvalidSearchError, DEFAULT_MAX_QUERY_LENGTH, selectIds, type LibraryReader, type SearchHit, type SearchResult, type SearchOptions, type SearcherSettings, type SearchSortOrder } from './searcher';
export { composeQuery, weightedUnitSum, checkTerms, describeTerm, DEFAULT_MAX_TERMS, type QueryTerm, type QueryTermSource, type ComposedQuery, type TermResolver, type CompositeQueryLimits } from './compositeQuery';
export { parseFilterDate, normaliseFilter, matcherOf, dateOf, distanceKm, InvalidFilterError, type SearchFilter } from './filter';
