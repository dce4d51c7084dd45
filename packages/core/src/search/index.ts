export { Searcher, InvalidSearchError, DEFAULT_MAX_QUERY_LENGTH, selectIds, type LibraryReader, type SearchHit, type SearchResult, type SearchOptions, type SearcherSettings, type SearchSortOrder } from './searcher';
export { parseFilterDate, normaliseFilter, matcherOf, dateOf, distanceKm, InvalidFilterError, type SearchFilter } from './filter';
