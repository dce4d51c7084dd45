import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { errorCodes, reindexAndWait, startTestServer, type TestServer } from './helpers';

/** sharp (core's dependency) with the EXIF writer the camera fixtures need. */
const sharp = createRequire(require.resolve('@sis/core'))('sharp') as (input: { create: { width: number; height: number; channels: 3; background: string } }) => {
  withExif(exif: Record<string, Record<string, string>>): { jpeg(): { toFile(file: string): Promise<unknown> } };
};

async function cameraJpeg(file: string, width: number, height: number, ifd0: Record<string, string>, taken?: string): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp({ create: { width, height, channels: 3, background: '#4477aa' } })
    .withExif({ IFD0: ifd0, ...(taken ? { IFD2: { DateTimeOriginal: taken } } : {}) })
    .jpeg()
    .toFile(file);
}

interface Hits {
  hits: { path: string; score: number }[];
}

describe('GraphQL search filter and sort', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ photoCount: 4, config: { maxResults: 50 } });
    await cameraJpeg(path.join(server.photos, 'trip', 'old.jpg'), 90, 60, { Make: 'Canon', Model: 'EOS 5D' }, '2015:03:01 09:00:00');
    await cameraJpeg(path.join(server.photos, 'trip', 'new.jpg'), 60, 90, { Make: 'Apple', Model: 'iPhone 12' }, '2023:03:01 09:00:00');
    await cameraJpeg(path.join(server.photos, 'trip', 'deeper', 'mid.jpg'), 70, 70, { Make: 'Canon', Model: 'EOS R5' }, '2019:03:01 09:00:00');
    const job = await reindexAndWait(server, server.photos);
    expect(job.state).toBe('SUCCEEDED');
  }, 120_000);
  afterAll(() => server?.close());

  const search = (variables: Record<string, unknown>) =>
    server.gql<{ search: Hits }>(
      'query S($q: String!, $k: Int, $min: Float, $filter: SearchFilterInput, $sort: SearchSort) { search(query: $q, k: $k, minScore: $min, filter: $filter, sort: $sort) { hits { path score } } }',
      { q: 'a photo', k: 10, ...variables },
    );
  const names = (response: { data?: { search: Hits } | null }) => response.data!.search.hits.map((hit) => hit.path);

  it('filters by folder prefix, camera, date range, type and orientation', async () => {
    expect(names(await search({ filter: { folder: 'trip' } })).sort()).toEqual(['trip/deeper/mid.jpg', 'trip/new.jpg', 'trip/old.jpg']);
    expect(names(await search({ filter: { folder: 'trip/deeper' } }))).toEqual(['trip/deeper/mid.jpg']);
    expect(names(await search({ filter: { camera: 'canon' } })).sort()).toEqual(['trip/deeper/mid.jpg', 'trip/old.jpg']);
    expect(names(await search({ filter: { folder: 'trip', takenFrom: '2018-01-01', takenTo: '2024-01-01' } })).sort()).toEqual(['trip/deeper/mid.jpg', 'trip/new.jpg']);
    expect(names(await search({ filter: { folder: 'trip', orientation: 'PORTRAIT', fileTypes: ['jpg'] } }))).toEqual(['trip/new.jpg']);
    expect(names(await search({ filter: { fileTypes: ['png'] } }))).toEqual([]);
  });

  it('sorts by date taken, newest or oldest first', async () => {
    expect(names(await search({ filter: { folder: 'trip' }, sort: 'TAKEN_NEWEST' }))).toEqual(['trip/new.jpg', 'trip/deeper/mid.jpg', 'trip/old.jpg']);
    expect(names(await search({ filter: { folder: 'trip' }, sort: 'TAKEN_OLDEST', min: -1 }))).toEqual(['trip/old.jpg', 'trip/deeper/mid.jpg', 'trip/new.jpg']);
    const byScore = (await search({ filter: { folder: 'trip' } })).data!.search.hits.map((hit) => hit.score);
    expect([...byScore].sort((a, b) => b - a)).toEqual(byScore);
  });

  it('malformed filters are BAD_USER_INPUT with a message', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ takenFrom: 'yesterday' }, /takenFrom must be an ISO 8601 date/],
      [{ takenFrom: '2020-01-01', takenTo: '2019-01-01' }, /takenFrom must be before takenTo/],
      [{ near: { latitude: 100, longitude: 0, radiusKm: 5 } }, /near.latitude/],
      [{ minWidth: -3 }, /minWidth must be a whole number/],
      [{ folder: '../..' }, /inside the indexed folder/],
    ];
    for (const [filter, message] of cases) {
      const response = await search({ filter });
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors![0]!.message).toMatch(message);
    }
  });
});
