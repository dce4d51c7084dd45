import { ArgsType, Field, Float, ID, Int } from 'type-graphql';
import { SearchFilterInput, SearchSort } from './searchFilter';
import { SearchTermInput } from './searchTerms';

export const DEFAULT_K = 12;

/** k and minScore, shared by every search (the engine's Searcher checks their ranges). */
const kField = () => Field(() => Int, { nullable: true, defaultValue: DEFAULT_K, description: 'How many hits, from 1 to maxResults (see stats.limits).' });
const minScoreField = () =>
  Field(() => Float, {
    nullable: true,
    description:
      'Leave out hits with a lower cosine similarity (-1 to 1); there may then be fewer than k. A text search without it gets the ' +
      "model's default (its `sis models` entry; none for a model without one): give -1 for every hit. SearchResult.minScore says what applied.",
  });
const filterField = () => Field(() => SearchFilterInput, { nullable: true, description: 'Only images that pass (the true top-k among them).' });
const sortField = () => Field(() => SearchSort, { nullable: true, defaultValue: SearchSort.SCORE, description: 'Order of the hits (default: by score).' });

@ArgsType()
export class SearchArgs {
  @Field(() => String, {
    nullable: true,
    description: 'What to look for, e.g. "a sunny beach scene" (1 to maxQueryLength characters). With terms, it is one more text term of weight 1.',
  })
  query!: string | null;

  @Field(() => [SearchTermInput], { nullable: true, description: 'A composite query: texts and images with weights (see SearchTermInput); combined with query when both are given.' })
  terms!: SearchTermInput[] | null;

  @kField()
  k!: number | null;

  @minScoreField()
  minScore!: number | null;

  @filterField()
  filter!: SearchFilterInput | null;

  @sortField()
  sort!: SearchSort | null;
}

@ArgsType()
export class SimilarArgs {
  @Field(() => ID, { description: 'Id of an indexed image (SearchHit.id).' })
  imageId!: string;

  @kField()
  k!: number | null;

  @minScoreField()
  minScore!: number | null;

  @filterField()
  filter!: SearchFilterInput | null;

  @sortField()
  sort!: SearchSort | null;
}

@ArgsType()
export class SearchByImageArgs {
  @Field({ description: "The image file's bytes in base64 (standard or URL-safe; a data: URL is accepted), at most maxUploadBytes once decoded." })
  imageBase64!: string;

  @kField()
  k!: number | null;

  @minScoreField()
  minScore!: number | null;

  @filterField()
  filter!: SearchFilterInput | null;

  @sortField()
  sort!: SearchSort | null;
}
