import { ArgsType, Field, Float, GraphQLISODateTime, ID, Int, ObjectType } from 'type-graphql';
import { Image } from './types';

export const DEFAULT_DUPLICATE_GROUPS = 20;
export const MAX_DUPLICATE_GROUPS = 100;

@ArgsType()
export class DuplicatesArgs {
  @Field(() => Float, { nullable: true, description: "Cosine similarity (above 0, at most 1) at which two images count as near-duplicates; default: the model's, returned as DuplicatesResult.threshold." })
  threshold!: number | null;

  @Field(() => Int, { nullable: true, defaultValue: 2, description: 'Only groups of at least this many images (2 or more).' })
  minGroupSize!: number | null;

  @Field(() => Int, { nullable: true, description: `Groups in this page, 1 to ${MAX_DUPLICATE_GROUPS} (default ${DEFAULT_DUPLICATE_GROUPS}).` })
  first!: number | null;

  @Field(() => String, { nullable: true, description: 'pageInfo.endCursor of the previous page.' })
  after!: string | null;
}

@ObjectType({ description: 'An image of a near-duplicate group.' })
export class DuplicateImage extends Image {
  @Field(() => Float, { description: 'File size in bytes.' })
  fileBytes!: number;

  @Field(() => GraphQLISODateTime, { description: 'The file modification time.' })
  modifiedAt!: Date;

  @Field(() => Float, { description: "Cosine similarity with the group's suggested keeper (1 for the keeper)." })
  scoreToKeeper!: number;

  @Field({ description: 'The suggested keeper of its group (most pixels, then largest file, then most EXIF fields).' })
  keep!: boolean;

  @Field(() => Int, { nullable: true, description: 'EXIF fields in the file; read only to break a tie for keeper, else null.' })
  exifFields!: number | null;
}

@ObjectType({ description: 'Two images of a group at least `threshold` similar.' })
export class DuplicatePair {
  @Field(() => ID)
  a!: string;

  @Field(() => ID)
  b!: string;

  @Field(() => Float, { description: 'Cosine similarity.' })
  score!: number;
}

@ObjectType({ description: 'A connected component of the graph "cosine >= threshold": images that are near-duplicates of each other, directly or through others.' })
export class DuplicateGroup {
  @Field(() => ID, { description: 'The smallest image id in the group.' })
  id!: string;

  @Field(() => Int)
  size!: number;

  @Field(() => [DuplicateImage], { description: 'The keeper first, then by similarity to it.' })
  images!: DuplicateImage[];

  @Field(() => ID)
  keeperId!: string;

  @Field({ description: 'Why this keeper, in words.' })
  keeperReason!: string;

  @Field(() => [DuplicatePair], { description: 'The pairs at or above the threshold, best first (at most 200).' })
  pairs!: DuplicatePair[];

  @Field(() => Int, { description: 'Pairs at or above the threshold in all.' })
  pairCount!: number;

  @Field(() => Float)
  minPairScore!: number;

  @Field(() => Float)
  maxPairScore!: number;
}

@ObjectType()
export class DuplicatesPageInfo {
  @Field(() => String, { nullable: true, description: 'Pass as `after` for the next page; null on an empty page.' })
  endCursor!: string | null;

  @Field()
  hasNextPage!: boolean;
}

@ObjectType({ description: 'Near-duplicate groups of the library, largest first. Read-only: nothing is deleted or moved.' })
export class DuplicatesResult {
  @Field(() => Float, { description: 'The threshold the groups were computed at.' })
  threshold!: number;

  @Field(() => Int, { description: 'Images compared (the whole index).' })
  images!: number;

  @Field(() => Int, { description: 'Groups with at least minGroupSize images.' })
  totalGroups!: number;

  @Field(() => Int, { description: 'Images in those groups.' })
  imagesInGroups!: number;

  @Field(() => [DuplicateGroup])
  groups!: DuplicateGroup[];

  @Field(() => DuplicatesPageInfo)
  pageInfo!: DuplicatesPageInfo;

  @Field(() => Int, { description: 'The catalogue change sequence the groups are for: they are recomputed once the library changes.' })
  generation!: number;

  @Field(() => Float, { description: 'Time the computation took (0 ms spent by this request when it came from the cache).' })
  tookMs!: number;
}
