import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { CatalogueUnreachableError, defaultConfig, openEngine, type AppConfig, type Engine } from '@sis/core';
import { startTestPostgres, type TestPostgres } from '@sis/config/postgres';
import { createLogger, createServer, type ApiServer } from '../../src/server';
import { copyPhotos, tinyModelDir } from '../helpers/cli';
import { startTestServer } from '../server/helpers';

/**
 * A server that is a replica of a PostgreSQL catalogue, while PostgreSQL is down (`pg_ctl -m immediate stop`):
 * text searches go on from its index, /images and /thumbnails serve the files it knows (from its copy of the
 * rows), what needs the catalogue answers a clear 503 / CATALOGUE_UNAVAILABLE (never a crash or a generic
 * 500), and once PostgreSQL is back it reconnects and picks up what was indexed meanwhile.
 */
describe('a replica while PostgreSQL is down', () => {
  let pg: TestPostgres;
  let url: string;
  let work: string;
  let folder: string;
  let base: AppConfig;
  let replica: Engine;
  let server: ApiServer;
  let api: string;
  const logs: Record<string, unknown>[] = [];

  async function reindexWithWriter(): Promise<void> {
    const writer = await openEngine({ ...base, dataDir: path.join(work, 'writer') }, { writable: true });
    try {
      await writer.indexer!.reindex(folder);
    } finally {
      writer.close();
    }
  }

  async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<{ data?: T; errors?: { message: string; extensions?: { code?: string } }[] }> {
    const response = await fetch(`${api}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    return (await response.json()) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
  }

  const searchIds = async () => (await gql<{ search: { hits: { id: string }[] } }>('{ search(query: "a dog", k: 50) { hits { id } } }')).data?.search.hits.map((hit) => hit.id);

  beforeAll(async () => {
    pg = await startTestPostgres();
    url = pg.createDatabase('outage');
    work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sis-pg-outage-')));
    folder = path.join(work, 'photos');
    copyPhotos(folder, 6);
    base = { ...defaultConfig, model: tinyModelDir, offline: true, imageDir: folder, catalogueUrl: url, batchSize: 2, logLevel: 'info' };
    await reindexWithWriter();
    const config = { ...base, dataDir: path.join(work, 'replica') };
    replica = await openEngine(config, { writable: true, followChanges: true, followPollMs: 200 });
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    server = await createServer(replica, config, { logger: createLogger('debug', sink) });
    ({ url: api } = await server.listen(0, '127.0.0.1'));
  }, 180_000);

  afterAll(async () => {
    await server?.close();
    replica?.close();
    pg?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test('searches, files it knows, 503 for the rest; reconnects and catches up once PostgreSQL is back', async () => {
    const before = await searchIds();
    expect(before).toHaveLength(6);
    const id = before![0]!;
    const original = await fetch(`${api}/images/${id}`);
    expect(original.status).toBe(200);
    const bytes = Buffer.from(await original.arrayBuffer());
    expect((await fetch(`${api}/thumbnails/${id}`)).status).toBe(200);

    pg.crash();

    // Text search: from the index and the rows this process has.
    expect(await searchIds()).toEqual(before);
    // The files it knows: served as before; an id it does not know is simply not found.
    const during = await fetch(`${api}/images/${id}`);
    expect(during.status).toBe(200);
    expect(Buffer.from(await during.arrayBuffer()).equals(bytes)).toBe(true);
    const thumbnail = await fetch(`${api}/thumbnails/${before![1]}`);
    expect(thumbnail.status).toBe(200);
    expect(thumbnail.headers.get('content-type')).toBe('image/jpeg');
    expect((await fetch(`${api}/images/999999`)).status).toBe(404);
    expect((await gql<{ image: { path: string } | null }>(`{ image(id: "${id}") { path } }`)).data?.image?.path).toMatch(/\.jpg$/);
    // What needs the catalogue (a stored vector, the catalogue's counts): a clear error, not a crash.
    for (const query of [`{ similar(imageId: "${id}") { hits { id } } }`, '{ stats { images skippedFiles } }']) {
      const answer = await gql(query);
      expect(answer.errors?.[0]?.extensions?.code).toBe('CATALOGUE_UNAVAILABLE');
      expect(answer.errors?.[0]?.message).toMatch(/PostgreSQL\) is unreachable/);
      expect(answer.errors?.[0]?.message).not.toContain(url.replace(/^postgres:\/\//, '').split('/')[0]!);
    }
    expect(logs.some((line) => line.msg === 'the catalogue is unreachable')).toBe(true);

    pg.start();
    copyPhotos(folder, 2, 6);
    await reindexWithWriter();
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (await searchIds())?.length !== 8) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await searchIds()).toHaveLength(8);
    expect((await gql<{ stats: { images: number } }>('{ stats { images skippedFiles } }')).data?.stats.images).toBe(8);
    expect((await gql<{ similar: { hits: unknown[] } }>(`{ similar(imageId: "${id}", k: 3) { hits { id } } }`)).data?.similar.hits).toHaveLength(3);
  }, 180_000);
});

test('an image route that needs the unreachable catalogue answers 503 with Retry-After, and logs why', async () => {
  const server = await startTestServer({
    photoCount: 1,
    wrapEngine: (engine) => {
      const library = Object.create(engine.library) as Engine['library'];
      library.getImage = () => {
        throw new CatalogueUnreachableError('PostgreSQL at postgres://db.internal:5432/sis is unreachable or went away (ECONNREFUSED)', 'ECONNREFUSED');
      };
      return { ...engine, library };
    },
  });
  try {
    for (const route of ['images', 'thumbnails']) {
      const response = await fetch(`${server.url}/${route}/1`);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      const body = (await response.json()) as { error: string };
      expect(body.error).toMatch(/PostgreSQL\) is unreachable/);
      expect(body.error).not.toContain('db.internal');
    }
    expect(server.logs.some((line) => line.msg === 'the catalogue is unreachable')).toBe(true);
  } finally {
    await server.close();
  }
}, 60_000);
