export { Searcher, InvalidSearchError, DEFAULT_MAX_QUERY_LENGTH, type LibraryReader, type SearchHit, type SearchResult, type SearchOptions, type SearcherSettings } from './searcher';
export { composeQuery, weightedUnitSum, checkTerms, describeTerm, DEFAULT_MAX_TERMS, type QueryTerm, type QueryTermSource, type ComposedQuery, type TermResolver, type CompositeQueryLimits } from './compositeQuery';
