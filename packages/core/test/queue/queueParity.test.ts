import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestPostgres, type TestPostgres } from '@sis/config/postgres';
import { startTestRedis, type TestRedis } from '@sis/config/redis';
import { defaultConfig, openCoordinator, openEngine, PostgresCatalogue, startWorker, type AppConfig, type Engine, type StartedWorker } from '../../src';
import { captionQueries, folderWithPhotos, photos500Dir, samplePhotos } from '../helpers/photos';
import { tinyModelDir } from '../helpers/shared';

/**
 * Real Redis and PostgreSQL, started here: the 500 photos through 3 queue workers give the same catalogue and
 * the same answers as the embedded engine; a Redis restart mid-run (clean or after a crash) loses and duplicates nothing.
 */
describe('embedding workers on a BullMQ queue (real Redis + PostgreSQL)', () => {
  let redis: TestRedis;
  let postgres: TestPostgres;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-queue-'));
  const base = { ...defaultConfig, model: tinyModelDir, offline: true, batchSize: 16, decodeThreads: 1, threads: 1 };
  let embedded: Engine;

  beforeAll(async () => {
    [redis, postgres] = await Promise.all([startTestRedis(), startTestPostgres()]);
    embedded = await openEngine({ ...base, dataDir: path.join(work, 'embedded') }, { writable: true });
  }, 120_000);

  afterAll(async () => {
    embedded?.close();
    await redis?.stop();
    postgres?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const queueConfig = (database: string): AppConfig => ({
    ...base, dataDir: path.join(work, database), catalogueUrl: postgres.createDatabase(database), queueUrl: redis.url, queueBatchImages: 25,
  });
  const startWorkers = (config: AppConfig, n: number) =>
    Promise.all(Array.from({ length: n }, (_, i) => startWorker(config, { id: `w${i}`, lockMs: 4000, heartbeatMs: 500 })));
  const closeAll = (workers: StartedWorker[]) => Promise.all(workers.map((worker) => worker.close()));

  test('500 photos through 3 workers: the same rows and vectors, and the same top-10 for 50 caption queries, as the embedded engine', async () => {
    const config = queueConfig('parity');
    const workers = await startWorkers(config, 3);
    const { coordinator, close } = openCoordinator(config);
    let reader: Engine | undefined;
    try {
      const { runId, joined } = await coordinator.enqueue(photos500Dir);
      expect(joined).toBe(false);
      // A second request for the same folder joins the running one.
      expect(await coordinator.enqueue(photos500Dir)).toEqual({ runId, joined: true });
      const seen: number[] = [];
      const final = await coordinator.wait(runId, { pollMs: 200, onProgress: (p) => seen.push(p.liveWorkers.length) });
      expect(final.run).toMatchObject({ state: 'done', seen: 500, toEmbed: 500, embedded: 500, skipped: 0, batches: 20, batchesDone: 20, batchesFailed: 0 });
      expect(Math.max(...seen)).toBe(3);
      expect(final.imagesPerSecond).toBeGreaterThan(0);
      // Every worker embedded its share.
      const live = (await coordinator.progress(runId))!.liveWorkers;
      expect(live.map((w) => w.id).sort()).toEqual(['w0', 'w1', 'w2']);
      expect(live.every((w) => w.batches > 0)).toBe(true);

      await embedded.indexer!.reindex(photos500Dir);
      reader = await openEngine(config, { writable: false });
      const [rowsA, rowsB] = [embedded.library.fileStates(), reader.library.fileStates()];
      expect(rowsB).toEqual(rowsA);
      for (const filePath of rowsA.keys()) {
        const [x, y] = [embedded.library.getByPath(filePath)!, reader.library.getByPath(filePath)!];
        expect({ ...y, id: 0, indexedAt: 0, embedding: null }).toEqual({ ...x, id: 0, indexedAt: 0, embedding: null });
        expect(Buffer.from(y.embedding.buffer)).toEqual(Buffer.from(x.embedding.buffer));
      }
      const captions = captionQueries(50);
      expect(captions).toHaveLength(50);
      for (const caption of captions) {
        const [x, y] = [await embedded.searcher.searchText(caption, 10), await reader.searcher.searchText(caption, 10)];
        expect(y.hits.map((hit) => hit.path)).toEqual(x.hits.map((hit) => hit.path));
      }
      // The workers recorded each photo's metadata too, so filters answer alike.
      const filter = { fileTypes: ['jpeg'], orientation: 'portrait' as const };
      for (const caption of captions.slice(0, 5)) {
        const [x, y] = [await embedded.searcher.searchText(caption, 10, { filter }), await reader.searcher.searchText(caption, 10, { filter })];
        expect(x.hits).toHaveLength(10);
        expect(y.hits.map((hit) => hit.path)).toEqual(x.hits.map((hit) => hit.path));
      }
      // Nothing changed: a second run queues nothing and is done at once.
      const again = await coordinator.enqueue(photos500Dir);
      expect((await coordinator.progress(again.runId))!.run).toMatchObject({ state: 'done', toEmbed: 0, unchanged: 500, batches: 0 });
    } finally {
      reader?.close();
      await close();
      await closeAll(workers);
    }
  }, 600_000);

  // shutdown: SIGTERM, the AOF flushed; crash: SIGKILL, the last second of writes (appendfsync everysec) may be lost.
  test.each(['shutdown', 'crash'] as const)('redis-server stopped mid-run (%s) and restarted: the run completes with the exact count, nothing duplicated', async (stop) => {
    const folder = folderWithPhotos(samplePhotos(150));
    const config = { ...queueConfig(`restart-${stop}`), queueBatchImages: 10 };
    const workers = await startWorkers(config, 2);
    const { coordinator, close } = openCoordinator(config);
    try {
      const { runId } = await coordinator.enqueue(folder);
      const deadline = Date.now() + 120_000;
      while ((await coordinator.progress(runId))!.run.batchesDone < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const atStop = (await coordinator.progress(runId))!.run;
      await (stop === 'crash' ? redis.crash() : redis.shutdown());
      expect(atStop.batchesDone).toBeLessThan(15); // mid-run, not after it
      await new Promise((r) => setTimeout(r, 1000));
      await redis.start();
      const final = await coordinator.wait(runId, { pollMs: 200, signal: AbortSignal.timeout(180_000) });
      expect(final.run).toMatchObject({ state: 'done', toEmbed: 150, embedded: 150, batches: 15, batchesDone: 15, batchesFailed: 0 });
      const catalogue = PostgresCatalogue.connect(config.catalogueUrl, { writable: false });
      try {
        expect(catalogue.countIndexed()).toBe(150);
        const states = catalogue.fileStates();
        expect(states.size).toBe(150);
        expect([...states.keys()].every((file) => file.startsWith(folder))).toBe(true);
        expect(catalogue.readMeta()!.lastReindexAt).not.toBeNull();
      } finally {
        catalogue.close();
      }
    } finally {
      await close();
      await closeAll(workers);
      fs.rmSync(folder, { recursive: true, force: true });
    }
  }, 300_000);
});
