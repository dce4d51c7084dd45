import type { Embedder } from '../embedding';
import type { ClipPreprocessSpec, PreparedImage } from '../image';
import type { ImageMetadata } from '../metadata';
import { filterableById as byId, type FilterableImage } from '../store/metadataRows';
import type { QueryKind } from '../store/tuning';
import { dateOf, InvalidFilterError, matcherOf, normaliseFilter, type SearchFilter } from './filter';
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
  /** Date taken (EXIF), else the file's mtime, in ms since the epoch: present when sorting by date. */
  date?: number;
  /** What the catalogue recorded about the file (date taken, camera, GPS, type); null until a reindex has read it. */
  metadata: ImageMetadata | null;
}

export interface SearchResult {
  hits: SearchHit[];
  /** Images in the index: 0 means nothing has been indexed yet. */
  totalImages: number;
  tookMs: number;
  /** The threshold applied: the caller's minScore, or for a text query the model's default; absent when none. */
  minScore?: number;
}

/** The part of the image library a searcher reads (ImageLibrary satisfies it). */
export interface LibraryReader {
  count(): number;
  /** kind: which kind of query (text or image) the index's search parameters are chosen for. */
  search(query: Float32Array, k: number, kind?: QueryKind): { image: { id: number; path: string; width: number; height: number }; score: number }[];
  getByPath(path: string): { id: number; embedding: Float32Array } | undefined;
  getById(id: number): { id: number; embedding: Float32Array } | undefined;
  /** The k best among the given ids (exact top-k of that subset, see ImageLibrary.searchAmong). */
  searchAmong(query: Float32Array, k: number, ids: readonly number[], options?: { kind?: QueryKind }): { image: { id: number; path: string; width: number; height: number }; score: number }[];
  /** Every indexed image with its metadata, ascending by id. */
  filterableImages(): readonly FilterableImage[];
  /** The same for some ids (others left out): the metadata of the hits. */
  filterableImagesByIds(ids: readonly number[]): ReadonlyMap<number, FilterableImage>;
}

/** Result order: by score (best first, the default), or by date taken (else mtime), newest or oldest first. */
export type SearchSortOrder = 'score' | 'takenNewest' | 'takenOldest';

/** Optional narrowing of a search. */
export interface SearchOptions {
  /** Leave out hits whose cosine similarity is below this, in [-1, 1]. The result may then hold fewer than k hits. */
  minScore?: number;
  /** Only images that pass: the result is still the true top-k among them (see filter.ts). */
  filter?: SearchFilter;
  /**
   * By date: the top-k by score re-ordered by date; with minScore, every image at or above it ordered by
   * date (then the first k).
   */
  sort?: SearchSortOrder;
}

/** Longest text query accepted unless SearcherSettings.maxQueryLength says otherwise, in characters. */
export const DEFAULT_MAX_QUERY_LENGTH = 1000;

export interface SearcherSettings {
  maxResults: number;
  /** Longest text query accepted, in characters. */
  maxQueryLength?: number;
  /** minScore of a text query that gives none (the model's default, registry.ts); asked per query: the model may switch. */
  defaultMinScore?: () => number | undefined;
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

  /** Searches running now, and a model switch waiting for them to end (exclusive()). */
  private inFlight = 0;
  private switching: Promise<void> | undefined;
  private readonly drained: (() => void)[] = [];

  async searchText(query: string, k: number, options: SearchOptions = {}): Promise<SearchResult> {
    this.checkK(k);
    this.checkOptions(options);
    const text = query.trim();
    if (text === '') throw new InvalidSearchError('The search text is empty: describe what you are looking for, e.g. "a dog running in snow"');
    const maxLength = this.settings.maxQueryLength ?? DEFAULT_MAX_QUERY_LENGTH;
    if (text.length > maxLength) throw new InvalidSearchError(`The search text is ${text.length} characters long; the limit is ${maxLength}`);
    return this.leased(async () => {
      // Text-image cosines have a scale per model; image queries score on another one and get no default.
      const minScore = options.minScore ?? this.settings.defaultMinScore?.();
      return this.timed(async () => {
        const [vector] = await this.embedder.embedTexts([text]);
        return this.nearest(vector!, k, { ...options, minScore }, new Set(), 'text');
      }, minScore);
    });
  }

  /** Images like the given image file or bytes (which need not be indexed). */
  async searchImage(source: string | Buffer, k: number, options: SearchOptions = {}): Promise<SearchResult> {
    this.checkK(k);
    this.checkOptions(options);
    return this.leased(() =>
      this.timed(async () => {
        const image = await this.prepareImage(source, this.embedder.preprocess);
        const [vector] = await this.embedder.embedPixels([image.pixelValues]);
        return this.nearest(vector!, k, options);
      }, options.minScore),
    );
  }

  /** Indexed images like an indexed image, the image itself excluded. */
  async similarTo(indexedPath: string, k: number, options: SearchOptions = {}): Promise<SearchResult> {
    this.checkK(k);
    this.checkOptions(options);
    return this.leased(async () => {
      const entry = this.library.getByPath(indexedPath);
      if (!entry) throw new InvalidSearchError(`Not in the index: ${indexedPath}`);
      return this.timed(async () => this.nearestExcluding(entry.embedding, [entry.id], k, options), options.minScore);
    });
  }

  /** Indexed images like the indexed image with this catalogue id ("more like this"), the image itself excluded. */
  async similarToId(id: number, k: number, options: SearchOptions = {}): Promise<SearchResult> {
    this.checkK(k);
    this.checkOptions(options);
    return this.leased(async () => {
      const entry = Number.isSafeInteger(id) ? this.library.getById(id) : undefined;
      if (!entry) throw new InvalidSearchError(`No indexed image has id ${id}`);
      return this.timed(async () => this.nearestExcluding(entry.embedding, [entry.id], k, options), options.minScore);
    });
  }

  /**
   * Runs `change` (synchronous) once no search is running, holding new searches until it has run: a model switch
   * replaces the model and the vectors together, never in the middle of a search (query of one model, vectors of the other).
   */
  async exclusive(change: () => void): Promise<void> {
    while (this.switching) await this.switching;
    let release: () => void = () => undefined;
    this.switching = new Promise<void>((resolve) => (release = resolve));
    try {
      while (this.inFlight > 0) await new Promise<void>((resolve) => this.drained.push(resolve));
      change();
    } finally {
      this.switching = undefined;
      release();
    }
  }

  /** Counts the search as running from the first step (no await before it while no switch waits). */
  private async leased<T>(search: () => Promise<T>): Promise<T> {
    while (this.switching) await this.switching;
    this.inFlight++;
    try {
      return await search();
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) for (const resolve of this.drained.splice(0)) resolve();
    }
  }

  /**
   * A composite query (see compositeQuery.ts): the renormalised weighted sum of the terms' unit embeddings.
   * Indexed images used as terms are left out of the hits.
   */
  async searchTerms(terms: readonly QueryTerm[], k: number, options: SearchOptions = {}): Promise<SearchResult> {
    this.checkK(k);
    this.checkOptions(options);
    const limits = { maxTerms: this.settings.maxTerms ?? DEFAULT_MAX_TERMS, maxQueryLength: this.settings.maxQueryLength ?? DEFAULT_MAX_QUERY_LENGTH };
    return this.leased(async () => {
      // Texts looked for (none looked away from): a text-image score, so the model's default threshold applies as
      // for searchText. Subtracted terms or images move the scores off that scale: no default.
      const textsOnly = terms.every((term) => term.kind === 'text' && term.weight > 0);
      const minScore = options.minScore ?? (textsOnly ? this.settings.defaultMinScore?.() : undefined);
      return this.timed(async () => {
        const resolver = { embedder: this.embedder, storedEmbedding: (id: number) => this.library.getById(id)?.embedding, prepareImage: this.prepareImage };
        const { vector, excludedIds } = await composeQuery(terms, resolver, limits);
        // A query with a text in it is searched as a text query (its own, usually larger, nprobe).
        const kind = terms.some((term) => term.kind === 'text') ? 'text' : 'image';
        return this.nearest(vector, k, { ...options, minScore }, new Set(excludedIds), kind);
      }, minScore);
    });
  }

  private nearestExcluding(vector: Float32Array, excludedIds: readonly number[], k: number, options: SearchOptions): SearchHit[] {
    return this.nearest(vector, k, options, new Set(excludedIds));
  }

  /** Top-k (among the filter's selection), minScore, then the sort order; `excluded` ids are never returned. */
  private nearest(vector: Float32Array, k: number, options: SearchOptions, excluded: ReadonlySet<number> = new Set(), kind: QueryKind = 'image'): SearchHit[] {
    const minScore = options.minScore ?? -Infinity;
    const sort = options.sort ?? 'score';
    const images = options.filter || sort !== 'score' ? this.library.filterableImages() : undefined;
    const allowed = options.filter && images ? selectIds(images, options.filter) : undefined;
    // Sorting by date with a floor orders everything above the floor, not just the k best.
    const everything = sort !== 'score' && options.minScore !== undefined;
    const wanted = everything ? (allowed?.length ?? this.library.count()) : k + excluded.size;
    const found = allowed ? this.library.searchAmong(vector, wanted, allowed, { kind }) : this.library.search(vector, wanted, kind);
    const kept = found.filter(({ image, score }) => score >= minScore && !excluded.has(image.id));
    const toHit = ({ image, score }: (typeof kept)[number], about: FilterableImage | undefined): SearchHit => ({
      id: image.id,
      path: image.path,
      score,
      width: image.width,
      height: image.height,
      metadata: about?.metadata ?? null,
    });
    if (sort === 'score' || !images) {
      const top = kept.slice(0, k);
      // The hits' rows only: loading every row's metadata (filterableImages) is for filters and date sorting.
      const about = images ? undefined : this.library.filterableImagesByIds(top.map(({ image }) => image.id));
      return top.map((hit) => toHit(hit, images ? byId(images, hit.image.id) : about!.get(hit.image.id)));
    }
    const dated = kept.map((hit) => {
      const image = byId(images, hit.image.id);
      return image ? { ...toHit(hit, image), date: dateOf(image) } : toHit(hit, undefined);
    });
    const sign = sort === 'takenNewest' ? -1 : 1;
    return dated.sort((a, b) => sign * ((a.date ?? 0) - (b.date ?? 0)) || b.score - a.score).slice(0, k);
  }

  private async timed(run: () => Promise<SearchHit[]>, minScore?: number): Promise<SearchResult> {
    const start = performance.now();
    const hits = await run();
    return { hits, totalImages: this.library.count(), tookMs: performance.now() - start, ...(minScore !== undefined && { minScore }) };
  }

  private checkOptions(options: SearchOptions): void {
    const { minScore } = options;
    if (options.filter) {
      try {
        options.filter = normaliseFilter(options.filter);
      } catch (error) {
        if (error instanceof InvalidFilterError) throw new InvalidSearchError(`Invalid filter: ${error.message}`);
        throw error;
      }
    }
    if (options.sort !== undefined && !['score', 'takenNewest', 'takenOldest'].includes(options.sort)) {
      throw new InvalidSearchError(`sort must be score, takenNewest or takenOldest, got ${String(options.sort)}`);
    }
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

/**
 * Ids of the images that pass the filter, ascending (throws InvalidFilterError for a malformed filter). Memoised
 * per list of images (the library's cached list, replaced whenever the catalogue changes) and filter, so that
 * searches with the same filter (a user trying queries under it) pay the pass over every image once.
 */
export function selectIds(images: readonly FilterableImage[], filter: SearchFilter): readonly number[] {
  const normalised = normaliseFilter(filter);
  const key = JSON.stringify(normalised);
  let memo = selections.get(images);
  if (!memo) selections.set(images, (memo = new Map()));
  const known = memo.get(key);
  if (known) {
    // Most recently used last: the oldest is the one dropped.
    memo.delete(key);
    memo.set(key, known);
    return known;
  }
  const matches = matcherOf(normalised);
  const ids: number[] = [];
  for (const image of images) if (matches(image)) ids.push(image.id);
  Object.freeze(ids);
  memo.set(key, ids);
  if (memo.size > SELECTIONS_PER_LIST) memo.delete(memo.keys().next().value!);
  return ids;
}

/** Filters remembered per list of images. */
const SELECTIONS_PER_LIST = 16;
const selections = new WeakMap<readonly FilterableImage[], Map<string, readonly number[]>>();

