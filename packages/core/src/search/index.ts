export { Searcher, InvalidSearchError, DEFAULT_MAX_QUERY_LENGTH, type LibraryReader, type SearchHit, type SearchResult, type SearchOptions, type SearcherSettings } from './searcher';
