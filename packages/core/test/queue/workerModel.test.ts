import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestPostgres, type TestPostgres } from '@sis/config/postgres';
import { startTestRedis, type TestRedis } from '@sis/config/redis';
import { defaultConfig, PostgresCatalogue, startWorker, type AppConfig } from '../../src';
import { siglipTinyModelDir, tinyModelDir } from '../helpers/shared';

/**
 * A `sis worker` without SIS_MODEL embeds with the model the shared catalogue records (after `sis reindex --model`),
 * and one whose SIS_MODEL names another model is refused before it takes any batch.
 */
describe('the model a queue worker loads (real Redis + PostgreSQL)', () => {
  let redis: TestRedis;
  let postgres: TestPostgres;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-worker-model-'));

  beforeAll(async () => {
    [redis, postgres] = await Promise.all([startTestRedis(), startTestPostgres()]);
  }, 120_000);

  afterAll(async () => {
    await redis?.stop();
    postgres?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  /** A catalogue that records the tiny SigLIP (64-d), as a switch to it leaves one. */
  function siglipCatalogue(database: string): string {
    const url = postgres.createDatabase(database);
    const catalogue = PostgresCatalogue.connect(url, { writable: true });
    try {
      catalogue.initialise({ modelName: siglipTinyModelDir, dimension: 64 });
    } finally {
      catalogue.close();
    }
    return url;
  }

  const config = (catalogueUrl: string, model: Partial<AppConfig>): AppConfig => ({
    ...defaultConfig, offline: true, threads: 1, decodeThreads: 1, dataDir: path.join(work, 'data'), catalogueUrl, queueUrl: redis.url, ...model,
  });

  test('without SIS_MODEL it loads the recorded model', async () => {
    const url = siglipCatalogue('recorded');
    const worker = await startWorker(config(url, { model: defaultConfig.model, modelDefaulted: true }), { id: 'w-recorded', heartbeatMs: 500 });
    try {
      expect(worker.embedder.modelName).toBe(siglipTinyModelDir);
      expect(worker.embedder.dimension).toBe(64);
    } finally {
      await worker.close();
    }
  }, 60_000);

  test('an explicit SIS_MODEL naming another model is refused', async () => {
    const url = siglipCatalogue('explicit');
    await expect(startWorker(config(url, { model: tinyModelDir }), { id: 'w-explicit', heartbeatMs: 500 })).rejects.toThrow(/siglip-tiny-random/);
  }, 60_000);
});
