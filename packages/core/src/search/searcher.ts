import type { Embedder } from '../embedding';
import type { ClipPreprocessSpec, PreparedImage } from '../image';
import { composeQuery, DEFAULT_MAX_TERMS, type QueryTerm } from './compositeQuery';
import { InvalidSearchError } from './errors';

export { InvalidSearchError };

/** One catalogue entry as search results present it. */
export interface SearchHit {
  id: number;
  path: string;
  /** Cosine similarity between the query and the image, in [-1, 1]. */
  score: number;
  width: number;
  height: number;
}

export interface SearchResult {
  hits: SearchHit[];
  /** Images in the index: 0 means nothing has been indexed yet. */
  totalImages: number;
  tookMs: number;
}

/** The part of the image library a searcher reads (ImageLibrary satisfies it). */
export interface LibraryReader {
  count(): number;
  search(query: Float32Array, k: number): { image: { id: number; path: string; width: number; height: number }; score: number }[];
  getByPath(path: string): { id: number; embedding: Float32Array } | undefined;
  getById(id: number): { id: number; embedding: Float32Array } | undefined;
}

/** Optional narrowing of a search. */
export interface SearchOptions {
  /** Leave out hits whose cosine similarity is below this, in [-1, 1]. The result may then hold fewer than k hits. */
  minScore?: number;
}

/** Longest text query accepted unless SearcherSettings.maxQueryLength says otherwise, in characters. */
export const DEFAULT_MAX_QUERY_LENGTH = 1000;

export interface SearcherSettings {
  maxResults: number;
  /** Longest text query accepted, in characters. */
  maxQueryLength?: number;
  /** Most terms in one composite query (searchTerms). */
  maxTerms?: number;
}

/** query -> embed -> FAISS top-k -> catalogue rows. */
export class Searcher {
  constructor(
    private readonly library: LibraryReader,
    private readonly embedder: Embedder,
    private readonly prepareImage: (source: string | Buffer, spec: ClipPreprocessSpec) => Promise<PreparedImage>,
    private readonly settings: SearcherSettings,
  ) {}

  async searchText(query: string, k: number, options: SearchOptions = {}): Promise<SearchResult> {
    this.checkK(k);
    this.checkOptions(options);
    const text = query.trim();
    if (text === '') throw new InvalidSearchError('The search text is empty: describe what you are looking for, e.g. "a dog running in snow"');
    const maxLength = this.settings.maxQueryLength ?? DEFAULT_MAX_QUERY_LENGTH;
    if (text.length > maxLength) throw new InvalidSearchError(`The search text is ${text.length} characters long; the limit is ${maxLength}`);
    return this.timed(async () => {
      const [vector] = await this.embedder.embedTexts([text]);
      return this.nearest(vector!, k, options);
    });
  }

  /** Images like the given image file or bytes (which need not be indexed). */
  async searchImage(source: string | Buffer, k: number, options: SearchOptions = {}): Promise<SearchResult> {
    this.checkK(k);
    this.checkOptions(options);
    return this.timed(async () => {
      const image = await this.prepareImage(source, this.embedder.preprocess);
      const [vector] = await this.embedder.embedPixels([image.pixelValues]);
      return this.nearest(vector!, k, options);
    });
  }

  /** Indexed images like an indexed image, the image itself excluded. */
  async similarTo(indexedPath: string, k: number, options: SearchOptions = {}): Promise<SearchResult> {
    this.checkK(k);
    this.checkOptions(options);
    const entry = this.library.getByPath(indexedPath);
    if (!entry) throw new InvalidSearchError(`Not in the index: ${indexedPath}`);
    return this.timed(async () => this.nearestExcluding(entry.embedding, [entry.id], k, options));
  }

  /** Indexed images like the indexed image with this catalogue id ("more like this"), the image itself excluded. */
  async similarToId(id: number, k: number, options: SearchOptions = {}): Promise<SearchResult> {
    this.checkK(k);
    this.checkOptions(options);
    const entry = Number.isSafeInteger(id) ? this.library.getById(id) : undefined;
    if (!entry) throw new InvalidSearchError(`No indexed image has id ${id}`);
    return this.timed(async () => this.nearestExcluding(entry.embedding, [entry.id], k, options));
  }

  /**
   * A composite query (see compositeQuery.ts): the renormalised weighted sum of the terms' unit embeddings.
   * Indexed images used as terms are left out of the hits.
   */
  async searchTerms(terms: readonly QueryTerm[], k: number, options: SearchOptions = {}): Promise<SearchResult> {
    this.checkK(k);
    this.checkOptions(options);
    const limits = { maxTerms: this.settings.maxTerms ?? DEFAULT_MAX_TERMS, maxQueryLength: this.settings.maxQueryLength ?? DEFAULT_MAX_QUERY_LENGTH };
    return this.timed(async () => {
      const resolver = { embedder: this.embedder, storedEmbedding: (id: number) => this.library.getById(id)?.embedding, prepareImage: this.prepareImage };
      const { vector, excludedIds } = await composeQuery(terms, resolver, limits);
      return this.nearestExcluding(vector, excludedIds, k, options);
    });
  }

  private nearestExcluding(vector: Float32Array, excludedIds: readonly number[], k: number, options: SearchOptions): SearchHit[] {
    const excluded = new Set(excludedIds);
    return this.nearest(vector, k + excluded.size, options)
      .filter((hit) => !excluded.has(hit.id))
      .slice(0, k);
  }

  private nearest(vector: Float32Array, k: number, options: SearchOptions): SearchHit[] {
    const minScore = options.minScore ?? -Infinity;
    return this.library
      .search(vector, k)
      .filter(({ score }) => score >= minScore)
      .map(({ image, score }) => ({
        id: image.id,
        path: image.path,
        score,
        width: image.width,
        height: image.height,
      }));
  }

  private async timed(run: () => Promise<SearchHit[]>): Promise<SearchResult> {
    const start = performance.now();
    const hits = await run();
    return { hits, totalImages: this.library.count(), tookMs: performance.now() - start };
  }

  private checkOptions(options: SearchOptions): void {
    const { minScore } = options;
    if (minScore !== undefined && !(Number.isFinite(minScore) && minScore >= -1 && minScore <= 1)) {
      throw new InvalidSearchError(`minScore must be a number from -1 to 1 (cosine similarity), got ${minScore}`);
    }
  }

  private checkK(k: number): void {
    if (!Number.isInteger(k) || k < 1 || k > this.settings.maxResults) {
      throw new InvalidSearchError(`k must be a whole number from 1 to ${this.settings.maxResults} (got ${k})`);
    }
  }
}
