import fs from 'node:fs';
import path from 'node:path';
import { FAMILY_SCORE_SCALES } from '@sis/core';
import { sharedDir } from '../helpers/cli';
import { reindexAndWait, startTestServer, type TestServer } from './helpers';

const siglipModelDir = path.join(sharedDir, 'models/siglip-tiny-random');

/** The GraphQL API with a SigLIP model: reindex, search, and the score defaults the web app reads. */
describe('GraphQL with a SigLIP model (siglip-tiny-random)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ config: { model: siglipModelDir } });
  }, 120_000);
  afterAll(() => server.close());

  it('reindexes and searches by text and by example image', async () => {
    const job = await reindexAndWait(server, server.photos);
    expect(job).toMatchObject({ state: 'SUCCEEDED', embedded: 8, skipped: 1 });
    const text = await server.gql<{ search: { totalImages: number; hits: { path: string; score: number }[] } }>(
      'query { search(query: "two dogs play in the grass", k: 8) { totalImages hits { path score } } }',
    );
    expect(text.errors).toBeUndefined();
    expect(text.data!.search.totalImages).toBe(8);
    expect(text.data!.search.hits).toHaveLength(8);
    const example = fs.readdirSync(server.photos).sort().find((name) => name !== 'corrupt.jpg')!;
    const similar = await server.gql<{ searchByImage: { hits: { path: string; score: number }[] } }>(
      'query Like($image: String!) { searchByImage(imageBase64: $image, k: 1) { hits { path score } } }',
      { image: fs.readFileSync(path.join(server.photos, example)).toString('base64') },
    );
    expect(similar.errors).toBeUndefined();
    expect(path.basename(similar.data!.searchByImage.hits[0]!.path)).toBe(example);
    expect(similar.data!.searchByImage.hits[0]!.score).toBeCloseTo(1, 4);
  }, 120_000);

  it("exposes the model's family and its score defaults, lower than CLIP's", async () => {
    const stats = await server.gql<{ stats: { modelName: string; dimension: number; modelFamily: string; scoreScale: Record<string, number> } }>(
      'query { stats { modelName dimension modelFamily scoreScale { minScore good strong } } }',
    );
    expect(stats.errors).toBeUndefined();
    expect(stats.data!.stats).toEqual({ modelName: siglipModelDir, dimension: 64, modelFamily: 'siglip', scoreScale: { ...FAMILY_SCORE_SCALES.siglip } });
    expect(stats.data!.stats.scoreScale.minScore).toBeLessThan(FAMILY_SCORE_SCALES.clip.minScore);
  }, 60_000);
});
