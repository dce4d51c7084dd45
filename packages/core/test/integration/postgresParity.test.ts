import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultConfig, openEngine, ReindexRunningError, type AppConfig, type Engine } from '../../src';
import { startTestPostgres, type TestPostgres } from '@sis/config/postgres';
import { captionQueries, photos500Dir } from '../helpers/photos';
import { tinyModelDir } from '../helpers/shared';

/**
 * The same 500 photos reindexed into the embedded catalogue (SQLite) and into PostgreSQL must give the same
 * rows and the same answers: the catalogue is a choice of storage, not of behaviour.
 */
describe('PostgreSQL catalogue: parity with the embedded engine on 500 real photos', () => {
  let server: TestPostgres;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-parity-'));
  let embedded: Engine;
  let postgres: Engine;
  let pgConfig: AppConfig;

  beforeAll(async () => {
    server = await startTestPostgres();
    const base = { ...defaultConfig, model: tinyModelDir, offline: true, batchSize: 16, checkpointImages: 64 };
    embedded = await openEngine({ ...base, dataDir: path.join(work, 'embedded') }, { writable: true });
    pgConfig = { ...base, dataDir: path.join(work, 'pg-cache'), catalogueUrl: server.createDatabase('parity') };
    postgres = await openEngine(pgConfig, { writable: true });
  }, 120_000);

  afterAll(() => {
    embedded?.close();
    postgres?.close();
    server?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test('same rows, same vectors', async () => {
    const [a, b] = [await embedded.indexer!.reindex(photos500Dir), await postgres.indexer!.reindex(photos500Dir)];
    expect(a).toMatchObject({ seen: 500, embedded: 500, skipped: [] });
    expect(b).toMatchObject({ seen: 500, embedded: 500, skipped: [] });
    const rowsA = embedded.library.fileStates();
    const rowsB = postgres.library.fileStates();
    expect(rowsB).toEqual(rowsA);
    for (const filePath of rowsA.keys()) {
      const [x, y] = [embedded.library.getByPath(filePath)!, postgres.library.getByPath(filePath)!];
      expect({ ...y, id: 0, indexedAt: 0, embedding: null }).toEqual({ ...x, id: 0, indexedAt: 0, embedding: null });
      expect(Buffer.from(y.embedding.buffer)).toEqual(Buffer.from(x.embedding.buffer));
    }
    expect(postgres.library.stats()).toMatchObject({ indexedImages: 500, skippedFiles: 0, catalogue: expect.stringMatching(/^postgres:\/\//) });
  }, 600_000);

  test('the same top-10 for 50 caption queries', async () => {
    const captions = captionQueries(50);
    expect(captions).toHaveLength(50);
    for (const caption of captions) {
      const [x, y] = [await embedded.searcher.searchText(caption, 10), await postgres.searcher.searchText(caption, 10)];
      expect(y.hits.map((hit) => hit.path)).toEqual(x.hits.map((hit) => hit.path));
      y.hits.forEach((hit, i) => expect(hit.score).toBeCloseTo(x.hits[i]!.score, 6));
    }
  }, 120_000);

  test('a reader process opened on the URL (sis search, sis stats) sees the same library', async () => {
    const reader = await openEngine(pgConfig, { writable: false });
    try {
      expect(reader.library.count()).toBe(500);
      const [x, y] = [await embedded.searcher.searchText('a dog in the snow', 10), await reader.searcher.searchText('a dog in the snow', 10)];
      expect(y.hits.map((hit) => hit.path)).toEqual(x.hits.map((hit) => hit.path));
    } finally {
      reader.close();
    }
  }, 60_000);

  test('one reindex of a folder at a time across processes: a second claim is refused with who holds it, until released', async () => {
    const other = await openEngine({ ...pgConfig, dataDir: path.join(work, 'other-host') }, { writable: true });
    try {
      const claim = postgres.library.claimReindex(photos500Dir);
      expect(() => other.library.claimReindex(photos500Dir)).toThrow(ReindexRunningError);
      await expect(other.indexer!.reindex(photos500Dir)).rejects.toThrow(new RegExp(`already running \\(host ${os.hostname()}, pid ${process.pid}, since`));
      // Another folder is not held.
      other.library.claimReindex(path.join(photos500Dir, 'sub')).release();
      claim.release();
      const again = await other.indexer!.reindex(photos500Dir);
      expect(again).toMatchObject({ embedded: 0, unchanged: 500 });
    } finally {
      other.close();
    }
  }, 120_000);
});
