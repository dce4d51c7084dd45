import { Args, Ctx, Query, Resolver } from 'type-graphql';
import { duplicateThresholdOf, pageOfGroups, type DuplicateGroup as CoreGroup } from '@sis/core';
import type { ApiContext } from '../context';
import { UserInputError } from '../errors';
import { DEFAULT_DUPLICATE_GROUPS, DuplicatesArgs, DuplicatesResult, MAX_DUPLICATE_GROUPS, type DuplicateGroup } from './duplicatesTypes';
import { presentImage } from './present';

/** Near-duplicate groups: the engine's DuplicateFinder (cached until the library changes), a page at a time. */
@Resolver()
export class DuplicatesResolver {
  @Query(() => DuplicatesResult, { description: 'Groups of near-duplicate images with a suggested keeper, largest first; cursor-paginated.' })
  async duplicates(@Args(() => DuplicatesArgs) { threshold, minGroupSize, first, after }: DuplicatesArgs, @Ctx() ctx: ApiContext): Promise<DuplicatesResult> {
    const { embedder } = ctx.engine;
    const cosine = threshold ?? duplicateThresholdOf(embedder.modelName, embedder.family);
    if (!(Number.isFinite(cosine) && cosine > 0 && cosine <= 1)) throw new UserInputError(`threshold must be a cosine similarity above 0 and at most 1, got ${cosine}.`);
    const size = first ?? DEFAULT_DUPLICATE_GROUPS;
    if (!(Number.isInteger(size) && size >= 1 && size <= MAX_DUPLICATE_GROUPS)) throw new UserInputError(`first must be a whole number from 1 to ${MAX_DUPLICATE_GROUPS}, got ${size}.`);
    const started = performance.now();
    const report = await ctx.engine.duplicates.find({ threshold: cosine });
    const cursor = after ? parseCursor(after, report.generation, cosine) : undefined;
    const page = pageOfGroups(report, { minGroupSize: minGroupSize ?? 2, first: size, ...(cursor !== undefined ? { after: cursor } : {}) });
    const last = page.groups.at(-1);
    return {
      threshold: cosine,
      images: report.images,
      totalGroups: page.totalGroups,
      imagesInGroups: report.groups.filter((group) => group.images.length >= (minGroupSize ?? 2)).reduce((sum, group) => sum + group.images.length, 0),
      groups: page.groups.map((group) => presentGroup(group, ctx)),
      pageInfo: { endCursor: last ? makeCursor(report.generation, cosine, last.id) : null, hasNextPage: page.hasNextPage },
      generation: report.generation,
      tookMs: performance.now() - started,
    };
  }
}

function presentGroup(group: CoreGroup, ctx: ApiContext): DuplicateGroup {
  return {
    id: String(group.id),
    size: group.images.length,
    images: group.images.map((image) => ({
      ...presentImage(image, ctx),
      fileBytes: image.size,
      modifiedAt: new Date(image.mtimeMs),
      scoreToKeeper: image.scoreToKeeper,
      keep: image.id === group.keeperId,
      exifFields: image.exifFields,
    })),
    keeperId: String(group.keeperId),
    keeperReason: group.keeperReason,
    pairs: group.pairs.map((pair) => ({ a: String(pair.a), b: String(pair.b), score: pair.score })),
    pairCount: group.pairCount,
    minPairScore: group.minPairScore,
    maxPairScore: group.maxPairScore,
  };
}

/** Opaque to clients: the generation and threshold it belongs to, and the last group's id. */
function makeCursor(generation: number, threshold: number, groupId: number): string {
  return Buffer.from(`${generation}:${threshold}:${groupId}`).toString('base64url');
}

function parseCursor(cursor: string, generation: number, threshold: number): number {
  const parts = Buffer.from(cursor, 'base64url').toString('utf8').split(':');
  const [cursorGeneration, cursorThreshold, groupId] = parts.map(Number);
  if (parts.length !== 3 || !Number.isSafeInteger(groupId) || cursorThreshold !== threshold) {
    throw new UserInputError('after is not a cursor of this duplicates query (same threshold): pass pageInfo.endCursor of the previous page.');
  }
  if (cursorGeneration !== generation) throw new UserInputError('The library changed since this cursor was made: start again without after.');
  return groupId!;
}
