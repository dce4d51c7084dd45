export { Searcher, InvalidSearchError, type LibraryReader, type SearchHit, type SearchResult, type SearcherSettings } from './searcher';
