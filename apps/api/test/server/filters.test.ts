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

  it('hits show the recorded metadata: date taken, camera, file type, pixel size (null where the file has none)', async () => {
    const response = await server.gql<{ search: { hits: Record<string, unknown>[] } }>(
      'query S($filter: SearchFilterInput) { search(query: "a photo", k: 10, minScore: -1, filter: $filter, sort: TAKEN_OLDEST) { hits { path width height takenAt cameraMake cameraModel fileType latitude longitude } } }',
      { filter: { folder: 'trip' } },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!.search.hits[0]).toEqual({
      path: 'trip/old.jpg',
      width: 90,
      height: 60,
      takenAt: '2015-03-01T09:00:00.000Z',
      cameraMake: 'Canon',
      cameraModel: 'EOS 5D',
      fileType: 'jpeg',
      latitude: null,
      longitude: null,
    });
    // An unfiltered search reads only the hits' rows; the real photos have no EXIF camera or date.
    const plain = await server.gql<{ search: { hits: Record<string, unknown>[] } }>('{ search(query: "a photo", k: 50, minScore: -1) { hits { path takenAt cameraMake fileType } } }');
    const byPath = new Map(plain.data!.search.hits.map((hit) => [hit.path, hit]));
    expect(byPath.get('trip/new.jpg')).toEqual({ path: 'trip/new.jpg', takenAt: '2023-03-01T09:00:00.000Z', cameraMake: 'Apple', fileType: 'jpeg' });
    const photo = [...byPath.values()].find((hit) => !String(hit.path).startsWith('trip/'))!;
    expect(photo).toMatchObject({ cameraMake: null, fileType: 'jpeg' });
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
