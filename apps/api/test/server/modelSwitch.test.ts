import path from 'node:path';
import { sharedDir, tinyModelDir } from '../helpers/cli';
import { errorCodes, JOB_FIELDS, startTestServer, waitForJob, type TestServer } from './helpers';

const siglipModelDir = path.join(sharedDir, 'models/siglip-tiny-random');
const SWITCH = `mutation S($dir: String!, $model: String) { reindex(dir: $dir, model: $model) { ${JOB_FIELDS} model buildingModel } }`;
const SEARCH = `query Q { stats { modelName modelFamily } search(query: "a dog running in snow", k: 5) { hits { id score } } }`;

interface Searched {
  stats: { modelName: string; modelFamily: string };
  search: { hits: { id: string; score: number }[] };
}

/** reindex(dir, model): the server switches its library from the tiny CLIP to the tiny SigLIP while it serves searches. */
describe('switching models over GraphQL', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ photoCount: 40, config: { batchSize: 2 } });
    const first = await server.gql<{ reindex: { id: string } }>(SWITCH, { dir: server.photos });
    await waitForJob(server, first.data!.reindex.id);
  }, 120_000);
  afterAll(() => server?.close());

  it('offers the recommended models and the folders beside the configured one; refuses anything else', async () => {
    const models = await server.gql<{ models: { name: string; alias: string | null; current: boolean; local: boolean }[] }>('{ models { name alias current local } }');
    expect(models.data!.models).toEqual(
      expect.arrayContaining([
        { name: 'Xenova/siglip-base-patch16-224', alias: 'siglip-b16-224', current: false, local: false },
        { name: 'clip-tiny-random', alias: null, current: true, local: true },
        { name: 'siglip-tiny-random', alias: null, current: false, local: true },
      ]),
    );
    // A local folder is named, never given by path: the server loads models only from where it was told.
    expect(JSON.stringify(models.data)).not.toContain(path.dirname(tinyModelDir));
    for (const model of ['/etc', siglipModelDir, '../siglip-tiny-random']) {
      const refused = await server.gql(SWITCH, { dir: server.photos, model });
      expect(errorCodes(refused)).toEqual(['BAD_USER_INPUT']);
      // The message repeats what the client sent, nothing more of the server's paths.
      expect(refused.raw.split(JSON.stringify(model).slice(1, -1)).join('')).not.toContain(path.dirname(tinyModelDir));
    }
    const refused = await server.gql(SWITCH, { dir: server.photos, model: '/etc' });
    expect(refused.errors![0]!.message).toMatch(/cannot be chosen here/);
    expect((await server.gql<{ modelSwitch: unknown }>('{ modelSwitch { model } }')).data!.modelSwitch).toBeNull();
  });

  it("reports the threshold applied: the one asked for; none for a model without a registry entry (its default minScore)", async () => {
    const asked = await server.gql<{ search: { minScore: number | null } }>('{ search(query: "a dog", k: 3, minScore: -0.5) { minScore } }');
    expect(asked.data!.search.minScore).toBe(-0.5);
    const none = await server.gql<{ search: { minScore: number | null; hits: unknown[] } }>('{ search(query: "a dog", k: 3) { minScore hits { id } } }');
    expect(none.data!.search).toEqual({ minScore: null, hits: expect.any(Array) });
    expect(none.data!.search.hits).toHaveLength(3);
  });

  it('searches answer with the old model during the switch, with the new one after it; the job names the model it builds', async () => {
    const before = (await server.gql<Searched>(SEARCH)).data!;
    expect(before.stats.modelFamily).toBe('clip');
    const started = await server.gql<{ reindex: { id: string; model: string } }>(SWITCH, { dir: server.photos, model: 'siglip-tiny-random' });
    expect(started.errors).toBeUndefined();
    expect(started.data!.reindex.model).toBe('siglip-tiny-random');
    const id = started.data!.reindex.id;
    const building = new Set<string>();
    let duringSwitch = 0;
    for (let polls = 0; polls < 2000; polls++) {
      const [job, searched] = await Promise.all([
        server.gql<{ reindexJob: { state: string; buildingModel: string | null } }>(`query P($id: ID!) { reindexJob(id: $id) { state buildingModel } }`, { id }),
        server.gql<Searched>(SEARCH),
      ]);
      const { state, buildingModel } = job.data!.reindexJob;
      if (buildingModel) building.add(buildingModel);
      expect(searched.errors).toBeUndefined();
      if (searched.data!.stats.modelName === tinyModelDir) {
        duringSwitch++;
        expect(searched.data!.search.hits).toEqual(before.search.hits);
      }
      if (state !== 'QUEUED' && state !== 'RUNNING') break;
    }
    const done = await waitForJob(server, id);
    expect(done).toMatchObject({ state: 'SUCCEEDED', error: null, unchanged: 40, embedded: 0 });
    expect(duringSwitch).toBeGreaterThan(0);
    expect([...building]).toEqual(['siglip-tiny-random']);
    const after = (await server.gql<Searched>(SEARCH)).data!;
    expect(after.stats).toEqual({ modelName: siglipModelDir, modelFamily: 'siglip' });
    expect(after.search.hits).toHaveLength(5);
    expect(after.search.hits.map((hit) => hit.score)).not.toEqual(before.search.hits.map((hit) => hit.score));
    const stats = await server.gql<{ stats: { dimension: number; images: number; scoreScale: { minScore: number } } }>('{ stats { dimension images scoreScale { minScore } } }');
    expect(stats.data!.stats).toMatchObject({ dimension: 64, images: 40, scoreScale: { minScore: 0.05 } });
  }, 180_000);
});
