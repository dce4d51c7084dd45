import fs from 'node:fs';
import path from 'node:path';
import { getIntrospectionQuery } from 'graphql';
import { errorCodes, reindexAndWait, startTestServer, type TestServer } from './helpers';

interface Hit {
  id: string;
  path: string;
  imageUrl: string;
  thumbnailUrl: string;
  score: number;
  width: number;
  height: number;
}
interface Result {
  hits: Hit[];
  totalImages: number;
  tookMs: number;
}

const RESULT_FIELDS = 'totalImages tookMs hits { id path imageUrl thumbnailUrl score width height }';

describe('GraphQL search, similar and searchByImage', () => {
  let server: TestServer;
  let photoNames: string[];

  beforeAll(async () => {
    server = await startTestServer({ config: { maxResults: 50, maxUploadBytes: 1024 * 1024 } });
    const job = await reindexAndWait(server, server.photos);
    expect(job.state).toBe('SUCCEEDED');
    photoNames = fs.readdirSync(server.photos).filter((name) => name !== 'corrupt.jpg').sort();
  }, 120_000);
  afterAll(() => server?.close());

  const search = (query: string, k?: number, minScore?: number) =>
    server.gql<{ search: Result }>(`query S($q: String!, $k: Int, $min: Float) { search(query: $q, k: $k, minScore: $min) { ${RESULT_FIELDS} } }`, {
      q: query,
      k,
      min: minScore,
    });

  it('answers a text query with k hits, best first, with ids, urls, sizes, total and time', async () => {
    const response = await search('a sunny beach scene', 5);
    expect(response.errors).toBeUndefined();
    const result = response.data!.search;
    expect(result.hits).toHaveLength(5);
    expect(result.totalImages).toBe(8);
    expect(result.tookMs).toBeGreaterThan(0);
    const scores = result.hits.map((hit) => hit.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    for (const hit of result.hits) {
      expect(hit.id).toMatch(/^[1-9]\d*$/);
      expect(photoNames).toContain(hit.path); // relative to the indexed root
      expect(hit.imageUrl).toBe(`${server.url}/images/${hit.id}`);
      expect(hit.thumbnailUrl).toBe(`${server.url}/thumbnails/${hit.id}`);
      expect(hit.score).toBeGreaterThanOrEqual(-1);
      expect(hit.score).toBeLessThanOrEqual(1);
      expect(hit.width).toBeGreaterThan(0);
      expect(hit.height).toBeGreaterThan(0);
    }
  });

  it('uses k = 12 by default (capped by the number of images)', async () => {
    const response = await server.gql<{ search: Result }>(`{ search(query: "a dog") { hits { id } totalImages } }`);
    expect(response.data!.search.hits).toHaveLength(8);
  });

  it('leaves out hits below minScore', async () => {
    const all = (await search('a dog running in snow', 8)).data!.search.hits;
    const threshold = (all[2]!.score + all[3]!.score) / 2;
    const filtered = (await search('a dog running in snow', 8, threshold)).data!.search.hits;
    expect(filtered.map((hit) => hit.id)).toEqual(all.slice(0, 3).map((hit) => hit.id));
    const none = (await search('a dog running in snow', 8, 1)).data!.search;
    expect(none.hits.length).toBeLessThanOrEqual(1);
  });

  it('finds images similar to an indexed one, excluding the image itself', async () => {
    const target = (await search('people', 1)).data!.search.hits[0]!;
    const response = await server.gql<{ similar: Result }>(`query($id: ID!) { similar(imageId: $id, k: 7) { ${RESULT_FIELDS} } }`, { id: target.id });
    expect(response.errors).toBeUndefined();
    const hits = response.data!.similar.hits;
    expect(hits).toHaveLength(7);
    expect(hits.map((hit) => hit.id)).not.toContain(target.id);
    const scores = hits.map((hit) => hit.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it.each([
    ['999999', /No indexed image has id 999999/],
    ['abc', /imageId must be the id of an indexed image/],
    ['../1', /imageId must be the id of an indexed image/],
  ])('refuses similar(imageId: %p) with BAD_USER_INPUT', async (id, message) => {
    const response = await server.gql(`query($id: ID!) { similar(imageId: $id) { totalImages } }`, { id });
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors![0]!.message).toMatch(message);
  });

  it('searches by an uploaded image: the same photo comes first with a score of ~1', async () => {
    const name = photoNames[3]!;
    const imageBase64 = fs.readFileSync(path.join(server.photos, name)).toString('base64');
    const response = await server.gql<{ searchByImage: Result }>(`query($img: String!) { searchByImage(imageBase64: $img, k: 3) { ${RESULT_FIELDS} } }`, {
      img: imageBase64,
    });
    expect(response.errors).toBeUndefined();
    const [best] = response.data!.searchByImage.hits;
    expect(best!.path).toBe(name);
    expect(best!.score).toBeCloseTo(1, 3);
  });

  it('accepts the upload as a data: URL too', async () => {
    const name = photoNames[5]!;
    const dataUrl = `data:image/jpeg;base64,${fs.readFileSync(path.join(server.photos, name)).toString('base64')}`;
    const response = await server.gql<{ searchByImage: Result }>(`query($img: String!) { searchByImage(imageBase64: $img, k: 1) { hits { path score } } }`, { img: dataUrl });
    expect(response.data!.searchByImage.hits[0]!.path).toBe(name);
  });

  it.each([
    ['not base64 at all!!!', /not valid base64/],
    [Buffer.from('this is plain text, not a picture').toString('base64'), /cannot be searched by: it is not an image that can be decoded/],
    ['', /imageBase64 is empty/],
    [Buffer.alloc(1024 * 1024 + 10, 7).toString('base64'), /The uploaded image is 1\.0 MiB; the limit is 1\.0 MiB/],
  ])('refuses a bad upload with BAD_USER_INPUT (%#)', async (img, message) => {
    const response = await server.gql(`query($img: String!) { searchByImage(imageBase64: $img) { totalImages } }`, { img });
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors![0]!.message).toMatch(message);
  });

  it('answers a request body far over the upload limit with 413 and BAD_USER_INPUT, not an HTML page', async () => {
    const img = Buffer.alloc(3 * 1024 * 1024, 1).toString('base64');
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'query($img: String!) { searchByImage(imageBase64: $img) { totalImages } }', variables: { img } }),
    });
    expect(response.status).toBe(413);
    const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
    expect(body.errors[0]!.message).toMatch(/uploaded images may be at most 1\.0 MiB/);
  });

  it.each([
    ['k = 0', '{ search(query: "a dog", k: 0) { totalImages } }', /k must be a whole number from 1 to 50 \(got 0\)/],
    ['k too big', '{ search(query: "a dog", k: 51) { totalImages } }', /k must be a whole number from 1 to 50 \(got 51\)/],
    ['negative k for similar', '{ similar(imageId: "1", k: -3) { totalImages } }', /k must be a whole number from 1 to 50/],
    ['empty query', '{ search(query: "   ") { totalImages } }', /The search text is empty/],
    ['too long query', `{ search(query: "${'a'.repeat(1001)}") { totalImages } }`, /The search text is 1001 characters long; the limit is 1000/],
    ['minScore out of range', '{ search(query: "a dog", minScore: 2) { totalImages } }', /minScore must be a number from -1 to 1/],
  ])('refuses %s with BAD_USER_INPUT and a clear message', async (_name, query, message) => {
    const response = await server.gql(query);
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors![0]!.message).toMatch(message);
    expect(response.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT' });
  });

  it('refuses a query nested too deeply with BAD_USER_INPUT', async () => {
    const nested = (depth: number): string => (depth === 0 ? 'name' : `ofType { ${nested(depth - 1)} }`);
    const response = await server.gql(`{ __type(name: "SearchResult") { fields { type { ${nested(25)} } } } }`);
    expect(response.status).toBe(400);
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors![0]!.message).toMatch(/nested more than 20 levels deep; the limit is 20/);
    // GraphiQL's own introspection query is well within the limit.
    expect((await server.gql(getIntrospectionQuery())).errors).toBeUndefined();
  });

  it('reports stats: images, index type, model, dimension, data directory, last reindex time', async () => {
    const response = await server.gql<{ stats: Record<string, unknown> }>(
      '{ stats { images skippedFiles indexType modelName dimension dataDir lastReindexAt allowedRoots currentReindexJob { id } limits { maxResults maxQueryLength maxUploadBytes maxQueryDepth } } }',
    );
    expect(response.errors).toBeUndefined();
    const stats = response.data!.stats;
    expect(stats).toMatchObject({
      images: 8,
      skippedFiles: 1,
      indexType: expect.stringMatching(/Flat|HNSW|IVF/), // IndexFlatIP, or a FAISS factory description
      modelName: server.engine.embedder.modelName,
      dimension: server.engine.embedder.dimension,
      dataDir: server.config.dataDir,
      allowedRoots: [server.photos],
      currentReindexJob: null,
      limits: { maxResults: 50, maxQueryLength: 1000, maxUploadBytes: 1024 * 1024, maxQueryDepth: 6 },
    });
    expect(Date.now() - Date.parse(stats.lastReindexAt as string)).toBeLessThan(120_000);
  });

  it('looks up one image by id, null for an unknown id', async () => {
    const response = await server.gql<{ a: Hit | null; b: Hit | null }>('{ a: image(id: "1") { id path width height } b: image(id: "424242") { id } }');
    expect(response.data!.a).toMatchObject({ id: '1', path: expect.stringMatching(/\.jpg$/) });
    expect(response.data!.b).toBeNull();
  });
});
