import fs from 'node:fs';
import path from 'node:path';
import { runCli, tinyModelEnv } from '../helpers/cli';
import { errorCodes, reindexAndWait, startTestServer, type TestServer } from './helpers';

interface Hit {
  id: string;
  path: string;
  score: number;
}

const SEARCH = `query S($q: String, $terms: [SearchTermInput!], $k: Int) { search(query: $q, terms: $terms, k: $k) { hits { id path score } totalImages } }`;

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < a.length; i++) total += a[i]! * b[i]!;
  return total;
}

/**
 * search(query, terms) through the real server: the ranking against the test's own weighted sum (float64, from the
 * engine's stored vectors and text embeddings), the combination of query and terms, the errors, and the same query
 * through the CLI (`sis search --add/--subtract/--add-image/--subtract-image`) on the same data directory.
 */
describe('GraphQL search with terms', () => {
  let server: TestServer;
  let ids: { id: string; path: string }[];

  beforeAll(async () => {
    server = await startTestServer({ photoCount: 12, config: { maxResults: 50 } });
    expect((await reindexAndWait(server, server.photos)).state).toBe('SUCCEEDED');
    const all = await server.gql<{ search: { hits: Hit[] } }>(SEARCH, { q: 'anything', k: 50 });
    ids = all.data!.search.hits.map(({ id, path: hitPath }) => ({ id, path: hitPath })).sort((a, b) => Number(a.id) - Number(b.id));
    expect(ids).toHaveLength(12);
  }, 180_000);
  afterAll(() => server?.close());

  const search = (variables: Record<string, unknown>) => server.gql<{ search: { hits: Hit[]; totalImages: number } }>(SEARCH, variables);

  /** Every indexed image's cosine with Σ w·v/|v| (normalised), best first: computed here, not by the engine. */
  async function expected(terms: { text?: string; imageId?: string; weight: number }[], excluded: string[]): Promise<{ id: string; score: number }[]> {
    const vectors = await Promise.all(
      terms.map(async (term) => (term.text !== undefined ? (await server.engine.embedder.embedTexts([term.text]))[0]! : server.engine.library.getById(Number(term.imageId))!.embedding)),
    );
    const sum = new Array<number>(vectors[0]!.length).fill(0);
    vectors.forEach((vector, i) => {
      const norm = Math.hypot(...vector);
      vector.forEach((value, d) => (sum[d]! += (terms[i]!.weight * value) / norm));
    });
    const norm = Math.hypot(...sum);
    return ids
      .filter(({ id }) => !excluded.includes(id))
      .map(({ id }) => {
        const image = server.engine.library.getById(Number(id))!.embedding;
        return { id, score: dot(sum, image) / norm / Math.hypot(...image) };
      })
      .sort((a, b) => b.score - a.score);
  }

  it('ranks by the renormalised weighted sum of the terms: texts, a negative image, query combined with terms', async () => {
    const terms = [
      { text: 'golden retriever', weight: 1 },
      { text: 'snow', weight: 2 },
      { text: 'people', weight: -1 },
      { imageId: ids[3]!.id, weight: 0.5 },
      { imageId: ids[7]!.id, weight: -0.75 },
    ];
    const want = await expected(terms, [ids[3]!.id, ids[7]!.id]);
    const response = await search({ terms, k: 10 });
    expect(response.errors).toBeUndefined();
    const hits = response.data!.search.hits;
    expect(hits.map((hit) => hit.id)).toEqual(want.map(({ id }) => id));
    hits.forEach((hit, i) => expect(hit.score).toBeCloseTo(want[i]!.score, 5));

    // query + terms: query is one more text term of weight 1.
    const combined = await search({ q: 'golden retriever', terms: terms.slice(1), k: 10 });
    expect(combined.data!.search.hits).toEqual(hits);
    // A weight left out is 1.
    const defaulted = await server.gql<{ search: { hits: Hit[] } }>(`{ search(terms: [{ text: "snow" }, { text: "people", weight: -1 }], k: 5) { hits { id path score } } }`);
    expect(defaulted.data!.search.hits.map((hit) => hit.id)).toEqual((await expected([{ text: 'snow', weight: 1 }, { text: 'people', weight: -1 }], [])).slice(0, 5).map(({ id }) => id));
  }, 60_000);

  it('keeps query alone as it was, and an uploaded image term is the image itself', async () => {
    const plain = await search({ q: 'a dog in snow', k: 5 });
    const asTerm = await search({ terms: [{ text: 'a dog in snow', weight: 3 }], k: 5 });
    expect(asTerm.data!.search.hits.map((hit) => hit.id)).toEqual(plain.data!.search.hits.map((hit) => hit.id));
    const photo = ids[5]!;
    const base64 = fs.readFileSync(path.join(server.photos, photo.path)).toString('base64');
    const upload = await search({ terms: [{ imageBase64: base64 }], k: 3 });
    expect(upload.errors).toBeUndefined();
    expect(upload.data!.search.hits[0]!.id).toBe(photo.id);
    expect(upload.data!.search.hits[0]!.score).toBeGreaterThan(0.999);
  }, 60_000);

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['neither query nor terms', {}, /search needs query \(a text\), terms \(texts and images with weights\), or both/],
    ['an empty list of terms', { terms: [] }, /The query has no terms/],
    ['a term with none of text, imageId, imageBase64', { terms: [{ weight: 2 }] }, /terms\[0\] must have exactly one of text, imageId or imageBase64 \(got none\)/],
    ['a term with two of them', { q: 'a dog', terms: [{ text: 'snow', imageId: '1' }] }, /terms\[0\] must have exactly one of .* \(got text and imageId\)/],
    ['weight 0', { terms: [{ text: 'snow' }, { text: 'people', weight: 0 }] }, /terms\[1\] \(text "people"\): the weight must be a finite number other than 0 \(got 0\)/],
    ['an unknown image id', { terms: [{ imageId: '987654' }] }, /terms\[0\] \(image id 987654\): no indexed image has this id/],
    ['an image id that is not one', { terms: [{ imageId: 'photo.jpg' }] }, /terms\[0\]\.imageId must be the id of an indexed image/],
    ['bad base64', { terms: [{ imageBase64: 'not base64!' }] }, /terms\[0\]: imageBase64 is not valid base64/],
    ['bytes that are not an image', { terms: [{ text: 'a dog' }, { imageBase64: Buffer.from('plain text').toString('base64') }] }, /terms\[1\] \(uploaded image\): /],
    ['an empty text', { q: 'a dog', terms: [{ text: ' ' }] }, /terms\[0\] \(text " "\): the text is empty/],
    ['terms that cancel out', { q: 'snow', terms: [{ text: 'snow', weight: -1 }] }, /The terms cancel out/],
  ])('refuses %s with BAD_USER_INPUT', async (_, variables, message) => {
    const response = await search({ k: 5, ...variables });
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors![0]!.message).toMatch(message);
  });

  it.each([
    ['NaN', '{ search(terms: [{ text: "a", weight: NaN }]) { totalImages } }'],
    ['a string weight', '{ search(terms: [{ text: "a", weight: "2" }]) { totalImages } }'],
  ])('refuses a weight of %s in the query document (GraphQL validation)', async (_, query) => {
    const response = await server.gql(query);
    expect(response.errors?.length).toBeGreaterThan(0);
    expect(response.data ?? null).toBeNull();
  });

  it('gives the same ranking and scores as the CLI for the same composite query', async () => {
    const positive = ids[2]!;
    const negative = ids[9]!;
    const response = await search({
      q: 'golden retriever',
      terms: [
        { text: 'snow', weight: 2 },
        { text: 'people', weight: -1 },
        { imageId: positive.id, weight: 1 },
        { imageId: negative.id, weight: -0.5 },
      ],
      k: 8,
    });
    const graphql = response.data!.search.hits.map((hit) => ({ path: path.join(server.photos, hit.path), score: hit.score }));
    const env = tinyModelEnv(server.config.dataDir, { INIT_CWD: server.photos });
    const run = await runCli(
      ['search', 'golden retriever', '--add', '2:snow', '--subtract', 'people', '--add-image', positive.path, '--subtract-image', `0.5:${negative.path}`, '-k', '8', '--json'],
      env,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const cli = JSON.parse(run.stdout) as { path: string; score: number }[];
    expect(cli.map((hit) => hit.path)).toEqual(graphql.map((hit) => hit.path));
    cli.forEach((hit, i) => expect(hit.score).toBeCloseTo(graphql[i]!.score, 5));
    // The indexed files are the query, not results, on both surfaces.
    expect(cli.map((hit) => path.basename(hit.path))).not.toContain(positive.path);
  }, 60_000);
});
