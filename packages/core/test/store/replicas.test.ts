import { ChangeFollower, ImageLibrary, PostgresCatalogue, SyncPostgres, type IndexedImageInput } from '../../src/store';
import { startTestPostgres, type TestPostgres } from '@sis/config/postgres';
import { bruteForceTopK, expectConsistent, expectSameRanking, makeImage, makeTempDir, randomUnitVector, removeTempDirs, seededRandom } from './helpers';

/**
 * Search replicas over one PostgreSQL catalogue (what `sis serve` with SIS_CATALOGUE_URL runs): each follows
 * the writers' commits by LISTEN/NOTIFY and the change sequence, restarts from its local index cache, and
 * rides out a lost connection.
 */
const D = 16;
const MODEL = { modelName: 'test/replicas', dimension: D };
/** Polls are set an hour apart: within these tests only notifications (or a reconnect's catch-up) move a replica. */
const NO_POLL = 3_600_000;
/** The delay a replica is allowed after a commit, here (one notification + one catch-up, on a loaded test machine). */
const STATED_DELAY_MS = 5000;

let server: TestPostgres;
let url: string;
beforeAll(async () => {
  server = await startTestPostgres();
  url = server.createDatabase('replicas');
}, 60_000);
afterAll(() => {
  server?.stop();
  removeTempDirs();
});

function openReplica(dataDir: string): { library: ImageLibrary; follower: ChangeFollower; close(): void } {
  const catalogue = PostgresCatalogue.connect(url, { writable: true, applicationName: 'semantic-image-search replica' });
  const library = ImageLibrary.openCatalogue(catalogue, dataDir, { ...MODEL, writable: true });
  const follower = ChangeFollower.start(library, { url, pollMs: NO_POLL });
  return {
    library,
    follower,
    close: () => {
      follower.stop();
      library.close();
    },
  };
}

async function until(condition: () => boolean, timeoutMs: number): Promise<number> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return performance.now() - start;
}

describe('search replicas following a PostgreSQL catalogue', () => {
  const random = seededRandom(42);
  const expected = new Map<string, Float32Array>();
  let writer: ImageLibrary;

  const commit = (upsertIndexed: IndexedImageInput[], removePaths: string[] = []) => {
    writer.apply({ upsertIndexed, upsertSkipped: [], removePaths });
    for (const p of removePaths) expected.delete(p);
    for (const image of upsertIndexed) expected.set(image.path, image.embedding);
    return writer.stats().generation;
  };

  beforeAll(() => {
    writer = ImageLibrary.openCatalogue(PostgresCatalogue.connect(url, { writable: true }), makeTempDir(), { ...MODEL, writable: true });
    commit(Array.from({ length: 200 }, () => makeImage('/p', D, random)));
  });
  afterAll(() => writer?.close());

  test('two replicas return the new and stop returning the removed photos within the stated delay of a commit', async () => {
    const replicas = [openReplica(makeTempDir()), openReplica(makeTempDir())];
    try {
      for (const replica of replicas) expectConsistent(replica.library, expected);
      await until(() => replicas.every((replica) => replica.follower.listening), STATED_DELAY_MS);
      for (let round = 0; round < 5; round++) {
        const removed = [...expected.keys()].slice(0, 3);
        const generation = commit(Array.from({ length: 20 }, () => makeImage('/p', D, random)), removed);
        for (const replica of replicas) await until(() => replica.library.stats().indexGeneration === generation, STATED_DELAY_MS);
        const query = randomUnitVector(D, random);
        for (const replica of replicas) expectSameRanking(replica.library.search(query, 10), bruteForceTopK(query, expected, 10));
      }
      for (const replica of replicas) expectConsistent(replica.library, expected);
    } finally {
      for (const replica of replicas) replica.close();
    }
  }, 60_000);

  test('a replica restarted while commits go on loads its local cache and reads only what changed', async () => {
    const dataDir = makeTempDir();
    const first = openReplica(dataDir);
    first.close(); // saves its index file (the cache) at the current generation
    commit(Array.from({ length: 30 }, () => makeImage('/p', D, random)), [...expected.keys()].slice(0, 5));
    commit(Array.from({ length: 30 }, () => makeImage('/p', D, random)));
    const restarted = openReplica(dataDir);
    try {
      expect(restarted.library.stats()).toMatchObject({ indexGeneration: writer.stats().generation, index: { loadedFrom: 'file', rebuildReason: null } });
      expectConsistent(restarted.library, expected);
    } finally {
      restarted.close();
    }
  }, 60_000);

  test('a replica that loses its connections keeps answering from what it has, then reconnects and catches up', async () => {
    const replica = openReplica(makeTempDir());
    try {
      await until(() => replica.follower.listening, STATED_DELAY_MS);
      const before = new Map(expected);
      // Cut every connection of this replica (its LISTEN and its catalogue session), as a network failure would.
      const admin = new SyncPostgres({ connectionString: url });
      const cut = () =>
        admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'replicas' AND pid <> pg_backend_pid() AND application_name LIKE 'semantic-image-search replica%'");
      cut();
      writer.close(); // the writer's session too; reopened below
      admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'replicas' AND pid <> pg_backend_pid() AND application_name = 'semantic-image-search'");
      admin.close();
      // Still answering, from memory.
      const query = randomUnitVector(D, random);
      expectSameRanking(replica.library.search(query, 10), bruteForceTopK(query, before, 10));

      writer = ImageLibrary.openCatalogue(PostgresCatalogue.connect(url, { writable: true }), makeTempDir(), { ...MODEL, writable: true });
      const generation = commit(Array.from({ length: 10 }, () => makeImage('/p', D, random)));
      // The follower reconnects (backing off from 100 ms), LISTENs again and catches up by the sequence.
      await until(() => replica.library.stats().indexGeneration === generation, 15_000);
      expectConsistent(replica.library, expected);
    } finally {
      replica.close();
    }
  }, 60_000);

  test('a replica keeps answering searches while PostgreSQL is down, and catches up once it is back', async () => {
    const replica = openReplica(makeTempDir());
    try {
      const snapshot = new Map(expected);
      server.crash();
      const query = randomUnitVector(D, random);
      expectSameRanking(replica.library.search(query, 10), bruteForceTopK(query, snapshot, 10));
      expect(() => replica.library.refresh()).toThrow(/unreachable or went away/);
      server.start();
      writer.close();
      writer = ImageLibrary.openCatalogue(PostgresCatalogue.connect(url, { writable: true }), makeTempDir(), { ...MODEL, writable: true });
      const generation = commit(Array.from({ length: 5 }, () => makeImage('/p', D, random)));
      await until(() => replica.library.stats().indexGeneration === generation, 20_000);
      expectConsistent(replica.library, expected);
    } finally {
      replica.close();
    }
  }, 60_000);
});
