import fs from 'node:fs';
import path from 'node:path';
import { errorCodes, reindexAndWait, sharp, startTestServer, type TestServer } from './helpers';

/** The random-weight tiny CLIP's documented duplicates threshold (README, "Near-duplicates"). */
const THRESHOLD = 0.987;

interface Page {
  threshold: number;
  images: number;
  totalGroups: number;
  imagesInGroups: number;
  generation: number;
  pageInfo: { endCursor: string | null; hasNextPage: boolean };
  groups: {
    id: string;
    size: number;
    keeperId: string;
    keeperReason: string;
    pairCount: number;
    minPairScore: number;
    pairs: { a: string; b: string; score: number }[];
    images: { id: string; path: string; width: number; height: number; fileBytes: number; modifiedAt: string; scoreToKeeper: number; keep: boolean; thumbnailUrl: string }[];
  }[];
}

const FIELDS = `threshold images totalGroups imagesInGroups generation pageInfo { endCursor hasNextPage }
  groups { id size keeperId keeperReason pairCount minPairScore pairs { a b score }
    images { id path width height fileBytes modifiedAt scoreToKeeper keep thumbnailUrl } }`;

describe('GraphQL duplicates', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ photoCount: 4 });
    for (const name of fs.readdirSync(server.photos).filter((file) => file !== 'corrupt.jpg')) {
      const source = path.join(server.photos, name);
      const { width, height } = await sharp(source).metadata();
      await sharp(source).resize(Math.round(width! / 2), Math.round(height! / 2)).jpeg({ quality: 60 }).toFile(path.join(server.photos, `half-${name}`));
    }
    expect((await reindexAndWait(server, server.photos)).state).toBe('SUCCEEDED');
  }, 120_000);
  afterAll(() => server?.close());

  const duplicates = (args: { threshold?: number; minGroupSize?: number; first?: number; after?: string }) =>
    server.gql<{ duplicates: Page }>(
      `query D($t: Float, $m: Int, $f: Int, $a: String) { duplicates(threshold: $t, minGroupSize: $m, first: $f, after: $a) { ${FIELDS} } }`,
      { t: args.threshold, m: args.minGroupSize, f: args.first, a: args.after },
    );

  it('pairs each photo with its half-size copy, keeper (the original) first, with sizes, dates and pair scores', async () => {
    const response = await duplicates({ threshold: THRESHOLD, first: 10 });
    expect(response.errors).toBeUndefined();
    const page = response.data!.duplicates;
    expect(page).toMatchObject({ threshold: THRESHOLD, images: 8, totalGroups: 4, imagesInGroups: 8, pageInfo: { hasNextPage: false } });
    for (const group of page.groups) {
      expect(group.size).toBe(2);
      const [keeper, copy] = group.images as [Page['groups'][0]['images'][0], Page['groups'][0]['images'][0]];
      expect(keeper).toMatchObject({ id: group.keeperId, keep: true, scoreToKeeper: 1 });
      expect(copy.path).toBe(`half-${keeper.path}`);
      expect(copy.keep).toBe(false);
      expect(copy.width).toBe(Math.round(keeper.width / 2));
      expect(keeper.fileBytes).toBeGreaterThan(copy.fileBytes);
      expect(Date.parse(copy.modifiedAt)).toBeGreaterThan(0);
      expect(group.keeperReason).toMatch(/most pixels/);
      expect(group.pairs.map((pair) => [pair.a, pair.b].sort())).toEqual([[keeper.id, copy.id].sort()]);
      expect(group.pairs[0]!.score).toBeCloseTo(copy.scoreToKeeper, 5);
      expect(group.minPairScore).toBeGreaterThanOrEqual(THRESHOLD);
    }
  });

  it('pages by cursor, filters by group size, and uses the model default threshold when none is given', async () => {
    const first = (await duplicates({ threshold: THRESHOLD, first: 3 })).data!.duplicates;
    expect(first.groups).toHaveLength(3);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = (await duplicates({ threshold: THRESHOLD, first: 3, after: first.pageInfo.endCursor! })).data!.duplicates;
    expect(second.groups).toHaveLength(1);
    expect(second.pageInfo.hasNextPage).toBe(false);
    expect(new Set([...first.groups, ...second.groups].map((group) => group.id)).size).toBe(4);
    expect((await duplicates({ threshold: THRESHOLD, minGroupSize: 3 })).data!.duplicates.totalGroups).toBe(0);
    // A local model folder of the CLIP family: the family's default.
    expect((await duplicates({})).data!.duplicates.threshold).toBe(0.95);
  });

  it('answers bad arguments and a stale cursor with BAD_USER_INPUT', async () => {
    for (const args of [{ threshold: 0 }, { threshold: 1.2 }, { first: 0 }, { first: 101 }, { minGroupSize: 1 }, { after: 'bm9wZQ' }]) {
      const response = await duplicates({ threshold: THRESHOLD, ...args });
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    }
    const cursor = (await duplicates({ threshold: THRESHOLD, first: 1 })).data!.duplicates.pageInfo.endCursor!;
    expect(errorCodes(await duplicates({ threshold: 0.99, after: cursor }))).toEqual(['BAD_USER_INPUT']);
    fs.rmSync(path.join(server.photos, fs.readdirSync(server.photos).find((name) => name.startsWith('half-'))!));
    expect((await reindexAndWait(server, server.photos)).state).toBe('SUCCEEDED');
    const stale = await duplicates({ threshold: THRESHOLD, after: cursor });
    expect(errorCodes(stale)).toEqual(['BAD_USER_INPUT']);
    expect(stale.errors![0]!.message).toMatch(/library changed/);
    expect((await duplicates({ threshold: THRESHOLD })).data!.duplicates.totalGroups).toBe(3);
  }, 60_000);
});
