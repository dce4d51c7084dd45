import { Arg, Args, Ctx, ID, Query, Resolver } from 'type-graphql';
import { ImageSkipError, readImageHeader, type SearchOptions, type SearchResult as CoreSearchResult } from '@sis/core';
import type { ApiContext } from '../context';
import { UserInputError } from '../errors';
import { decodeBase64Upload } from '../upload';
import { parseImageId, presentImage, presentSearchResult, requireImageId } from './present';
import { DEFAULT_K, SearchArgs, SearchByImageArgs, SimilarArgs } from './searchArgs';
import { searchOptionsOf } from './searchFilter';
import { admitUploads, toQueryTerms, type SearchTermInput } from './searchTerms';
import { Image, SearchResult } from './types';

/** Searches: thin calls into the engine's Searcher, which checks k, minScore and the query text. */
@Resolver()
export class SearchResolver {
  @Query(() => SearchResult, {
    description:
      'Text-to-image search: indexed images that best match a description, best first. With terms, a composite query: the renormalised weighted sum of texts and images (see SearchTermInput); images used as terms are left out of the hits.',
  })
  async search(@Args(() => SearchArgs) { query, terms, k, minScore, filter, sort }: SearchArgs, @Ctx() ctx: ApiContext): Promise<SearchResult> {
    const options = searchOptionsOf({ minScore, filter, sort });
    if (terms === null || terms === undefined) {
      if (query === null || query === undefined) throw new UserInputError('search needs query (a text), terms (texts and images with weights), or both.');
      return presentSearchResult(await ctx.engine.searcher.searchText(query, k ?? DEFAULT_K, options), ctx);
    }
    return presentSearchResult(await searchTerms(query, terms, k ?? DEFAULT_K, options, ctx), ctx);
  }

  @Query(() => SearchResult, { description: '"More like this": indexed images similar to an indexed image, the image itself excluded.' })
  async similar(@Args(() => SimilarArgs) { imageId, k, minScore, filter, sort }: SimilarArgs, @Ctx() ctx: ApiContext): Promise<SearchResult> {
    const result = await ctx.engine.searcher.similarToId(requireImageId(imageId, 'imageId'), k ?? DEFAULT_K, searchOptionsOf({ minScore, filter, sort }));
    return presentSearchResult(result, ctx);
  }

  @Query(() => SearchResult, {
    description: 'Indexed images similar to an image the client sends in the request (it need not be indexed, nor be on the server).',
  })
  async searchByImage(@Args(() => SearchByImageArgs) { imageBase64, k, minScore, filter, sort }: SearchByImageArgs, @Ctx() ctx: ApiContext): Promise<SearchResult> {
    const bytes = decodeBase64Upload(imageBase64, ctx.limits.maxUploadBytes);
    // The header says how much memory decoding will take: admitted (or refused as busy) before any pixel is decoded.
    // An unreadable header is left to the decoder, which says why; too many pixels is the decoder's refusal too.
    const header = await readImageHeader(bytes);
    const release = header && header.width * header.height <= ctx.limits.maxPixels ? ctx.uploads.acquire(header) : () => undefined;
    try {
      const result = await ctx.engine.searcher.searchImage(bytes, k ?? DEFAULT_K, searchOptionsOf({ minScore, filter, sort }));
      return presentSearchResult(result, ctx);
    } catch (error) {
      if (error instanceof ImageSkipError) {
        const detail =
          error.reason === 'too-many-pixels'
            ? 'it has more pixels than the server accepts (SIS_MAX_PIXELS)'
            : 'it is not an image that can be decoded (JPEG, PNG, WebP, GIF, TIFF or HEIF)';
        throw new UserInputError(`The uploaded file cannot be searched by: ${detail}.`);
      }
      throw error;
    } finally {
      release();
    }
  }

  @Query(() => Image, { nullable: true, description: 'One indexed image by id; null if no indexed image has this id.' })
  image(@Arg('id', () => ID) id: string, @Ctx() ctx: ApiContext): Image | null {
    const imageId = parseImageId(id.trim());
    const image = imageId === undefined ? undefined : ctx.engine.library.getImage(imageId);
    return image ? presentImage(image, ctx) : null;
  }
}

async function searchTerms(query: string | null, terms: SearchTermInput[], k: number, options: SearchOptions, ctx: ApiContext): Promise<CoreSearchResult> {
  const { terms: queryTerms, uploads } = toQueryTerms(query, terms, ctx);
  const release = await admitUploads(uploads, ctx);
  try {
    return await ctx.engine.searcher.searchTerms(queryTerms, k, options);
  } finally {
    release();
  }
}
