import { startTestPostgres, type TestPostgres } from '@sis/config/postgres';
import { PostgresCatalogue, ReindexClaimLostError, ReindexRunningError, SyncPostgres } from '../../src/store';
import { makeImage, seededRandom } from './helpers';

/**
 * The reindex claim (a session-level advisory lock) when its PostgreSQL session ends mid-run: the next commit
 * takes it again when it is free, and fails with ReindexClaimLostError, writing nothing, when another process
 * took it meanwhile.
 */
const D = 8;
const ROOT = '/photos';
const none = { upsertSkipped: [], removePaths: [] } as const;
const random = seededRandom(5);

let server: TestPostgres;
let databases = 0;
beforeAll(async () => {
  server = await startTestPostgres();
}, 60_000);
afterAll(() => server?.stop());

function freshCatalogue(): { url: string; open(): PostgresCatalogue } {
  const url = server.createDatabase(`claim_${++databases}`);
  const open = () => {
    const catalogue = PostgresCatalogue.connect(url, { writable: true, applicationName: 'claim test' });
    catalogue.initialise({ modelName: 'test/claims', dimension: D });
    return catalogue;
  };
  return { url, open };
}

const batch = (n: number) => ({ ...none, upsertIndexed: Array.from({ length: n }, () => makeImage(ROOT, D, random)) });

/** Ends the server session that holds `catalogue`'s claim, as a lost connection would. */
function endClaimSession(url: string): void {
  const admin = new SyncPostgres({ connectionString: url });
  try {
    const ended = admin.query<{ ended: boolean }>("SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = 'claim test' AND datname = current_database()").rows;
    expect(ended.length).toBeGreaterThan(0);
  } finally {
    admin.close();
  }
}

test('a catalogue nothing has created yet can be claimed (a queue coordinator before its first worker)', () => {
  const url = server.createDatabase(`claim_${++databases}`);
  const coordinator = PostgresCatalogue.connect(url, { writable: true, applicationName: 'claim test' });
  const other = PostgresCatalogue.connect(url, { writable: true, applicationName: 'claim test' });
  try {
    expect(coordinator.readMeta()).toBeUndefined();
    const claim = coordinator.claimReindex(ROOT);
    expect(coordinator.readMeta()).toBeUndefined(); // the schema, not a catalogue for some model
    expect(() => other.claimReindex(ROOT)).toThrow(ReindexRunningError);
    claim.release();
    other.claimReindex(ROOT).release();
  } finally {
    coordinator.close();
    other.close();
  }
});

test('after a PostgreSQL restart mid-run, the next commit takes the free claim again', () => {
  const { open } = freshCatalogue();
  const first = open();
  const other = open();
  try {
    const claim = first.claimReindex(ROOT);
    first.apply(batch(3), 1);
    server.crash();
    server.start();
    // The commit after the restart runs on a new session: it takes the claim again before writing.
    expect(first.apply(batch(2), 2).indexedCount).toBe(5);
    expect(() => other.claimReindex(ROOT)).toThrow(ReindexRunningError);
    claim.release();
    other.claimReindex(ROOT).release();
  } finally {
    first.close();
    other.close();
  }
}, 60_000);

test('a claim lost to another process: the next commit fails with a clear message and writes nothing', () => {
  const { url, open } = freshCatalogue();
  const first = open();
  const second = PostgresCatalogue.connect(url, { writable: true, applicationName: 'the other run' });
  try {
    first.claimReindex(ROOT);
    first.apply(batch(3), 1);
    endClaimSession(url);
    const secondClaim = second.claimReindex(ROOT); // free now: the lock ended with the session
    const generation = second.readMeta()!.generation;
    let failure: unknown;
    try {
      first.apply(batch(4), 2);
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(ReindexClaimLostError);
    expect((failure as Error).message).toMatch(/The claim on reindexing \/photos was lost when its PostgreSQL session ended, and host .+, pid \d+ .* has taken it: this run stopped without committing its current batch/);
    // Nothing of the refused batch: same rows, same generation; the other run commits as usual.
    expect(second.countIndexed()).toBe(3);
    expect(second.readMeta()!.generation).toBe(generation);
    expect(second.apply(batch(1), 3).indexedCount).toBe(4);
    secondClaim.release();
  } finally {
    first.close();
    second.close();
  }
}, 60_000);
