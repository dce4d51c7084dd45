import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { CatalogueUnreachableError, openEngine, type Engine } from '@sis/core';
import { startTestPostgres, type TestPostgres } from '@sis/config/postgres';
import { createLogger, createServer, defaultServerConfig, type ApiServer, type ServerConfig } from '../../src/server';
import { copyPhotos, tinyModelDir } from '../helpers/cli';
import { startTestServer } from '../server/helpers';

/**
 * `serve` replicas of a PostgreSQL catalogue, through HTTP. Two of them: a reindex started on one is searchable on
 * both within the stated delay, and one restarted mid-reindex catches up. While PostgreSQL is down
 * (`pg_ctl -m immediate stop`): text searches go on from the index, /images and /thumbnails serve the files the
 * replica knows (from its copy of the rows), what needs the catalogue answers a clear 503 / CATALOGUE_UNAVAILABLE
 * (never a crash or a generic 500), and once PostgreSQL is back it reconnects and picks up what was indexed meanwhile.
 */
type Answer<T> = { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };

interface Replica {
  api: string;
  logs: Record<string, unknown>[];
  gql<T>(query: string): Promise<Answer<T>>;
  searchIds(): Promise<string[] | undefined>;
  close(): Promise<void>;
}

describe('serve replicas of a PostgreSQL catalogue', () => {
  let pg: TestPostgres;
  let work: string;
  let folder: string;
  const open: Replica[] = [];

  function baseConfig(url: string): ServerConfig {
    return { ...defaultServerConfig, model: tinyModelDir, offline: true, imageDir: folder, catalogueUrl: url, batchSize: 2, checkpointImages: 2, logLevel: 'info' };
  }

  async function reindexWithWriter(url: string): Promise<void> {
    const writer = await openEngine({ ...baseConfig(url), dataDir: path.join(work, 'writer') }, { writable: true });
    try {
      await writer.indexer!.reindex(folder);
    } finally {
      writer.close();
    }
  }

  /** What `sis serve` runs: an engine that follows the catalogue, behind the API server. */
  async function startReplica(url: string, name: string): Promise<Replica> {
    const config = { ...baseConfig(url), dataDir: path.join(work, name) };
    const engine: Engine = await openEngine(config, { writable: true, followChanges: true, followPollMs: 200 });
    const logs: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const server: ApiServer = await createServer(engine, config, { logger: createLogger('debug', sink) });
    const { url: api } = await server.listen(0, '127.0.0.1');
    const gql = async <T>(query: string): Promise<Answer<T>> => {
      const response = await fetch(`${api}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
      return (await response.json()) as Answer<T>;
    };
    let closed = false;
    const replica: Replica = {
      api,
      logs,
      gql,
      searchIds: async () => (await gql<{ search: { hits: { id: string }[] } }>('{ search(query: "a dog", k: 50) { hits { id } } }')).data?.search.hits.map((hit) => hit.id),
      async close() {
        if (closed) return;
        closed = true;
        await server.close();
        engine.close();
      },
    };
    open.push(replica);
    return replica;
  }

  async function waitForCount(replica: Replica, n: number, timeoutMs: number): Promise<number> {
    const start = Date.now();
    while (Date.now() - start < timeoutMs && (await replica.searchIds())?.length !== n) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await replica.searchIds()).toHaveLength(n);
    return Date.now() - start;
  }

  beforeAll(async () => {
    pg = await startTestPostgres();
    work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sis-pg-replicas-')));
    folder = path.join(work, 'photos');
    copyPhotos(folder, 6);
  }, 120_000);

  afterAll(async () => {
    for (const replica of open) await replica.close();
    pg?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test('a reindex started on one replica is searchable on both; one restarted mid-reindex catches up', async () => {
    const url = pg.createDatabase('two_replicas');
    await reindexWithWriter(url);
    const a = await startReplica(url, 'replica-a');
    let b = await startReplica(url, 'replica-b');
    expect(await b.searchIds()).toHaveLength(6);
    copyPhotos(folder, 4, 6);
    const started = await a.gql<{ reindex: { id: string } }>(`mutation { reindex(dir: ${JSON.stringify(folder)}) { id } }`);
    const jobId = started.data!.reindex.id;
    await b.close(); // restarted while the reindex runs
    const deadline = Date.now() + 60_000;
    let state = '';
    while (Date.now() < deadline) {
      state = (await a.gql<{ reindexJob: { state: string } }>(`{ reindexJob(id: "${jobId}") { state } }`)).data!.reindexJob.state;
      if (state !== 'QUEUED' && state !== 'RUNNING') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(state).toBe('SUCCEEDED');
    await waitForCount(a, 10, 5_000);
    b = await startReplica(url, 'replica-b');
    expect(await b.searchIds()).toEqual(await a.searchIds());
    // A commit by another process: both replicas within the stated delay (a notification, at most the poll).
    copyPhotos(folder, 2, 10);
    await reindexWithWriter(url);
    await waitForCount(a, 12, 5_000);
    await waitForCount(b, 12, 5_000);
  }, 180_000);

  test('while PostgreSQL is down: searches, files it knows, 503 for the rest; reconnects and catches up once it is back', async () => {
    const url = pg.createDatabase('outage');
    await reindexWithWriter(url);
    const replica = await startReplica(url, 'replica-outage');
    const { api, gql } = replica;
    const before = await replica.searchIds();
    const indexed = before!.length;
    expect(indexed).toBeGreaterThanOrEqual(6);
    const id = before![0]!;
    const original = await fetch(`${api}/images/${id}`);
    expect(original.status).toBe(200);
    const bytes = Buffer.from(await original.arrayBuffer());
    expect((await fetch(`${api}/thumbnails/${id}`)).status).toBe(200);

    pg.crash();

    // Text search: from the index and the rows this process has.
    expect(await replica.searchIds()).toEqual(before);
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
    expect(replica.logs.some((line) => line.msg === 'the catalogue is unreachable')).toBe(true);

    pg.start();
    copyPhotos(folder, 2, 12);
    await reindexWithWriter(url);
    await waitForCount(replica, indexed + 2, 30_000);
    expect((await gql<{ stats: { images: number } }>('{ stats { images skippedFiles } }')).data?.stats.images).toBe(indexed + 2);
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
