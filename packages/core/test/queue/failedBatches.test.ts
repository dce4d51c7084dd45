import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestPostgres, type TestPostgres } from '@sis/config/postgres';
import { startTestRedis, type TestRedis } from '@sis/config/redis';
import {
  BATCH_ATTEMPTS, batchJobId, defaultConfig, openCoordinator, PostgresCatalogue, QueueBatchesFailedError, queueReindexRunner, startWorker, type AppConfig, type Embedder,
} from '../../src';

/**
 * A batch that fails as a whole every time (here: the model throws on one of its files) is retried BATCH_ATTEMPTS
 * times, then ends in the failed list with its reason; the rest of the run completes and is committed, the run
 * reports the failure, and a later reindex queues the failed batch's files again. Real Redis and PostgreSQL; fake
 * reader and model so that the failure is certain.
 */
describe('a batch that keeps failing (real Redis + PostgreSQL)', () => {
  let redis: TestRedis;
  let postgres: TestPostgres;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-failed-'));

  beforeAll(async () => {
    [redis, postgres] = await Promise.all([startTestRedis(), startTestPostgres()]);
  }, 120_000);

  afterAll(async () => {
    await redis?.stop();
    postgres?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const POISON = 7;
  const embedder: Embedder = {
    modelName: 'test/fake-2',
    dimension: 2,
    precision: 'fp32',
    preprocess: { cropHeight: 1, cropWidth: 1 } as Embedder['preprocess'],
    embedTexts: () => Promise.reject(new Error('not used')),
    embedPixels: (pixels) =>
      pixels.some((p) => p[0] === POISON) ? Promise.reject(new Error('the model crashed on this batch')) : Promise.resolve(pixels.map(() => Float32Array.from([1, 0]))),
  };
  const read = (file: string) => Promise.resolve({ pixelValues: Float32Array.from([file.endsWith('poison.jpg') ? POISON : 1]), width: 1, height: 1 } as never);

  test('retried, then in the failed list with its reason; the rest committed; the run says so; the next reindex queues those files again', async () => {
    const folder = path.join(work, 'photos');
    fs.mkdirSync(folder);
    for (let i = 0; i < 19; i++) fs.writeFileSync(path.join(folder, `${String(i).padStart(2, '0')}.jpg`), 'x');
    fs.writeFileSync(path.join(folder, 'poison.jpg'), 'x');
    const config: AppConfig = {
      ...defaultConfig,
      dataDir: path.join(work, 'data'),
      // The test cluster trusts loopback, so any password works: it must never reach Redis.
      catalogueUrl: postgres.createDatabase('failed').replace('postgres@', 'postgres:s3cret-pw@'),
      queueUrl: redis.url,
      queueBatchImages: 5,
    };
    const worker = await startWorker(config, { embedder, read, id: 'w' });
    const { coordinator, client, close } = openCoordinator(config);
    try {
      const runner = queueReindexRunner(coordinator, client.runs, { pollMs: 100 });
      const error = await runner(folder, {}, {}).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(QueueBatchesFailedError);
      expect((error as Error).message).toMatch(/1 batch\(es\) of reindex .* \(5 files\) failed after every retry: the model crashed on this batch/);
      const { runId } = error as QueueBatchesFailedError;
      expect((await client.runs.get(runId))!).toMatchObject({ state: 'done', batches: 4, batchesDone: 3, batchesFailed: 1, embedded: 15, failedFiles: 5 });
      const failed = await coordinator.failedBatches(runId);
      expect(failed).toEqual([expect.objectContaining({ runId, files: 5, attempts: BATCH_ATTEMPTS, reason: 'the model crashed on this batch' })]);

      const catalogue = PostgresCatalogue.connect(config.catalogueUrl, { writable: false });
      try {
        expect(catalogue.countIndexed()).toBe(15);
        expect(catalogue.fileStates().has(path.join(folder, 'poison.jpg'))).toBe(false);
      } finally {
        catalogue.close();
      }
      // The failed files are not in the catalogue: the next reindex queues exactly them again. (The 15 indexed ones
      // hold no image header, so they have no metadata and are queued for a header read again: one metadata batch.)
      const again = await coordinator.enqueue(folder);
      expect((await client.runs.get(again.runId))!).toMatchObject({ toEmbed: 5, unchanged: 15, metadataQueued: 15, batches: 2 });
      // A job holds file references and the run id only: no credentials anywhere in Redis.
      const queued = await client.queue.getJob(batchJobId(again.runId, 0));
      expect(Object.keys(queued!.data).sort()).toEqual(['batch', 'files', 'root', 'runId']);
      expect(Object.keys(queued!.data.files[0]!).sort()).toEqual(['device', 'inode', 'mtimeMs', 'path', 'size']);
      const everything: string[] = [];
      for (const key of await client.redis.keys('*')) {
        const type = await client.redis.type(key);
        if (type === 'hash') everything.push(JSON.stringify(await client.redis.hgetall(key)));
        else if (type === 'string') everything.push((await client.redis.get(key)) ?? '');
        else if (type === 'list') everything.push(...(await client.redis.lrange(key, 0, -1)));
      }
      expect(everything.join('\n')).toContain('poison.jpg');
      expect(everything.join('\n')).not.toContain('s3cret-pw');
      expect(await coordinator.cancel(again.runId)).toBe(true);
    } finally {
      await close();
      await worker.close();
    }
  }, 120_000);
});
