import type { Embedder } from '../embedding';
import type { ClipPreprocessSpec, PreparedImage } from '../image';

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
}

export class InvalidSearchError extends Error {
  override readonly name = 'InvalidSearchError';
}

export interface SearcherSettings {
  maxResults: number;
  /** Longest text query accepted, in characters. */
  maxQueryLength?: number;
}

/** query -> embed -> FAISS top-k -> catalogue rows. */
export class Searcher {
  constructor(
    private readonly library: LibraryReader,
    private readonly embedder: Embedder,
    private readonly prepareImage: (source: string | Buffer, spec: ClipPreprocessSpec) => Promise<PreparedImage>,
    private readonly settings: SearcherSettings,
  ) {}

  async searchText(query: string, k: number): Promise<SearchResult> {
    this.checkK(k);
    const text = query.trim();
    if (text === '') throw new InvalidSearchError('The search text is empty: describe what you are looking for, e.g. "a dog running in snow"');
    const maxLength = this.settings.maxQueryLength ?? 1000;
    if (text.length > maxLength) throw new InvalidSearchError(`The search text is ${text.length} characters long; the limit is ${maxLength}`);
    return this.timed(async () => {
      const [vector] = await this.embedder.embedTexts([text]);
      return this.nearest(vector!, k);
    });
  }

  /** Images like the given image file or bytes (which need not be indexed). */
  async searchImage(source: string | Buffer, k: number): Promise<SearchResult> {
    this.checkK(k);
    return this.timed(async () => {
      const image = await this.prepareImage(source, this.embedder.preprocess);
      const [vector] = await this.embedder.embedPixels([image.pixelValues]);
      return this.nearest(vector!, k);
    });
  }

  /** Indexed images like an indexed image, the image itself excluded. */
  async similarTo(indexedPath: string, k: number): Promise<SearchResult> {
    this.checkK(k);
    const entry = this.library.getByPath(indexedPath);
    if (!entry) throw new InvalidSearchError(`Not in the index: ${indexedPath}`);
    return this.timed(async () => this.nearest(entry.embedding, k + 1).filter((hit) => hit.id !== entry.id).slice(0, k));
  }

  private nearest(vector: Float32Array, k: number): SearchHit[] {
    return this.library.search(vector, k).map(({ image, score }) => ({
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

  private checkK(k: number): void {
    if (!Number.isInteger(k) || k < 1 || k > this.settings.maxResults) {
      throw new InvalidSearchError(`k must be a whole number from 1 to ${this.settings.maxResults} (got ${k})`);
    }
  }
}
