import { Field, Float, InputType, Int, registerEnumType } from 'type-graphql';
import { parseFilterDate, type SearchFilter, type SearchOptions, type SearchSortOrder } from '@sis/core';
import { UserInputError } from '../errors';

/** GraphQL's side of the engine's search filters and sort orders (core's search/filter.ts checks the values). */

export enum Orientation {
  LANDSCAPE = 'landscape',
  PORTRAIT = 'portrait',
  SQUARE = 'square',
}
registerEnumType(Orientation, { name: 'Orientation', description: 'Of the image as displayed (EXIF rotation applied).' });

export enum SearchSort {
  SCORE = 'score',
  TAKEN_NEWEST = 'takenNewest',
  TAKEN_OLDEST = 'takenOldest',
}
registerEnumType(SearchSort, {
  name: 'SearchSort',
  description:
    'Order of the hits. By date (taken, else file mtime): the top-k by score re-ordered, or, with minScore, every image at or above minScore ordered by date (then the first k).',
  valuesConfig: {
    SCORE: { description: 'Most similar first (the default).' },
    TAKEN_NEWEST: { description: 'Newest first.' },
    TAKEN_OLDEST: { description: 'Oldest first.' },
  },
});

@InputType({ description: 'Within a radius of a point (images with GPS only).' })
export class GeoRadiusInput {
  @Field(() => Float, { description: 'Degrees, -90 to 90.' })
  latitude!: number;

  @Field(() => Float, { description: 'Degrees, -180 to 180.' })
  longitude!: number;

  @Field(() => Float, { description: 'Great-circle distance in kilometres (> 0).' })
  radiusKm!: number;
}

@InputType({
  description:
    'Which images a search may return; every field given must hold. The result is still the true top-k among the images that pass (not "search then filter").',
})
export class SearchFilterInput {
  @Field(() => String, { nullable: true, description: 'Folder relative to the indexed folder, and everything below it ("trips/2023").' })
  folder?: string | null;

  @Field(() => String, { nullable: true, description: 'Taken (EXIF date, else file mtime) at or after this ISO 8601 date or date-time (UTC when no zone is given).' })
  takenFrom?: string | null;

  @Field(() => String, { nullable: true, description: 'Taken before this ISO 8601 date or date-time (exclusive).' })
  takenTo?: string | null;

  @Field(() => [String], { nullable: true, description: 'File types, e.g. ["jpeg", "png"] ("jpg" means jpeg).' })
  fileTypes?: string[] | null;

  @Field(() => Int, { nullable: true, description: 'Pixels, inclusive.' })
  minWidth?: number | null;

  @Field(() => Int, { nullable: true })
  minHeight?: number | null;

  @Field(() => Int, { nullable: true })
  maxWidth?: number | null;

  @Field(() => Int, { nullable: true })
  maxHeight?: number | null;

  @Field(() => Orientation, { nullable: true })
  orientation?: Orientation | null;

  @Field(() => String, { nullable: true, description: 'Case-insensitive part of the camera\'s "make model", e.g. "canon" or "iPhone".' })
  camera?: string | null;

  @Field(() => GeoRadiusInput, { nullable: true })
  near?: GeoRadiusInput | null;
}

function parseDate(value: string, field: string): number {
  const ms = parseFilterDate(value);
  if (ms === undefined) throw new UserInputError(`filter.${field} must be an ISO 8601 date or date-time such as 2023-06-01, got "${value}"`);
  return ms;
}

export function toSearchFilter(input: SearchFilterInput): SearchFilter {
  const filter: SearchFilter = {};
  if (input.folder != null) filter.folder = input.folder;
  if (input.takenFrom != null) filter.takenFrom = parseDate(input.takenFrom, 'takenFrom');
  if (input.takenTo != null) filter.takenTo = parseDate(input.takenTo, 'takenTo');
  if (input.fileTypes != null) filter.fileTypes = input.fileTypes;
  for (const name of ['minWidth', 'minHeight', 'maxWidth', 'maxHeight'] as const) {
    const value = input[name];
    if (value != null) filter[name] = value;
  }
  if (input.orientation != null) filter.orientation = input.orientation;
  if (input.camera != null) filter.camera = input.camera;
  if (input.near != null) filter.near = { latitude: input.near.latitude, longitude: input.near.longitude, radiusKm: input.near.radiusKm };
  return filter;
}

/** minScore, filter and sort as the engine's SearchOptions. */
export function searchOptionsOf(args: { minScore: number | null; filter?: SearchFilterInput | null; sort?: SearchSort | null }): SearchOptions {
  const options: SearchOptions = { minScore: args.minScore ?? undefined };
  if (args.filter) options.filter = toSearchFilter(args.filter);
  if (args.sort) options.sort = args.sort as SearchSortOrder;
  return options;
}
