import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestPostgres, type TestPostgres } from '@sis/config/postgres';
import { startTestRedis, type TestRedis } from '@sis/config/redis';
import {
  batchJobId, ClipEmbedder, defaultConfig, openCoordinator, PostgresCatalogue, startWorker, SyncPostgres, type AppConfig, type Embedder, type StoredImage,
} from '../../src';
import { writeCameraJpeg, type ExifTags } from '../metadata/cameraJpegs';
import { tinyModelDir } from '../helpers/shared';

/**
 * A library whose rows were embedded before metadata was recorded gains it on its next reindex through the queue:
 * the coordinator queues those files as metadata batches, and a worker (which sees the files at another path,
 * SIS_QUEUE_PATH_MAP) reads their headers and records the metadata without running the model; their vectors stay
 * as they were. Real Redis and PostgreSQL, the tiny model behind a wrapper that counts the images it embeds.
 */
describe('metadata backfill through the queue (real Redis + PostgreSQL)', () => {
  let redis: TestRedis;
  let postgres: TestPostgres;
  let model: Embedder;
  let modelImages = 0;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-queue-meta-'));
  const base = { ...defaultConfig, model: tinyModelDir, offline: true, batchSize: 4, decodeThreads: 1, threads: 1 };

  beforeAll(async () => {
    [redis, postgres] = await Promise.all([startTestRedis(), startTestPostgres()]);
    model = await ClipEmbedder.load({ ...base, dataDir: path.join(work, 'data') });
  }, 120_000);

  afterAll(async () => {
    await redis?.stop();
    postgres?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const counting = (): Embedder => ({
    modelName: model.modelName,
    dimension: model.dimension,
    precision: model.precision,
    preprocess: model.preprocess,
    embedTexts: (texts) => model.embedTexts(texts),
    embedPixels: (pixels) => {
      modelImages += pixels.length;
      return model.embedPixels(pixels);
    },
  });

  const photos: [string, number, number, ExifTags][] = [
    ['rome/a.jpg', 120, 80, { make: 'Canon', model: 'EOS 5D', dateTimeOriginal: '2019:05:01 10:00:00', gps: { latitude: '41/1 54/1 0/1', latitudeRef: 'N', longitude: '12/1 30/1 0/1', longitudeRef: 'E' } }],
    ['rome/b.jpg', 80, 120, { make: 'Apple', model: 'iPhone 12', dateTimeOriginal: '2022:08:02 11:00:00' }],
    ['paris/c.jpg', 100, 100, { make: 'NIKON CORPORATION', model: 'D750' }],
    ['paris/d.jpg', 140, 90, { dateTimeOriginal: '2015:01:03 09:30:00' }],
    ['paris/night/e.jpg', 64, 96, { make: 'FUJIFILM', model: 'X-T3' }],
    ['f.jpg', 90, 60, {}],
    ['g.jpg', 60, 90, { make: 'SONY', model: 'ILCE-7M3', dateTimeOriginal: '2021:12:24 18:00:00' }],
    ['h.jpg', 70, 70, {}],
    ['i.jpg', 110, 70, { make: 'Canon', model: 'EOS R5' }],
    ['j.jpg', 75, 100, {}],
  ];

  test('rows without metadata gain it after a queue reindex, read by a worker through its path mapping; their vectors are untouched and the model never sees them', async () => {
    const folder = path.join(work, 'photos');
    const mirror = path.join(work, 'mounted-elsewhere');
    for (const [name, width, height, tags] of photos) await writeCameraJpeg(path.join(folder, name), width, height, tags);
    const config: AppConfig = { ...base, dataDir: path.join(work, 'data'), catalogueUrl: postgres.createDatabase('backfill'), queueUrl: redis.url, queueBatchImages: 1 };
    const { coordinator, client, close } = openCoordinator(config);
    const catalogue = PostgresCatalogue.connect(config.catalogueUrl, { writable: false });
    try {
      // 1. Indexed through the queue: every row gets its metadata from the worker that embeds it.
      const first = await startWorker(config, { embedder: counting(), id: 'w1', heartbeatMs: 500 });
      try {
        const run = await coordinator.wait((await coordinator.enqueue(folder)).runId, { pollMs: 100 });
        expect(run.run).toMatchObject({ state: 'done', toEmbed: 10, embedded: 10, metadataQueued: 0, batches: 10 });
      } finally {
        await first.close();
      }
      expect(modelImages).toBe(10);
      const recorded = new Map(catalogue.filterableImages().map((image) => [image.id, image.metadata]));
      expect([...recorded.values()].every((metadata) => metadata !== null)).toBe(true);
      const stored = (name: string): StoredImage => catalogue.getStoredImage({ path: path.join(folder, name) }, model.dimension)!;
      const before = new Map(photos.map(([name]) => [name, stored(name)]));

      // 2. As if embedded before metadata was recorded (the catalogue migration leaves such rows); then one file
      //    changes and one is added: those two are embedded, the other nine only get their metadata read.
      const pg = new SyncPostgres({ connectionString: config.catalogueUrl });
      try {
        pg.query(`UPDATE sis.images SET folder = NULL, file_type = NULL, orientation = NULL, taken_at = NULL, camera_make = NULL, camera_model = NULL,
          latitude = NULL, longitude = NULL, metadata_read_at = NULL`);
      } finally {
        pg.close();
      }
      expect(catalogue.pathsWithoutMetadata()).toHaveLength(10);
      const later = new Date(Date.now() + 60_000);
      fs.utimesSync(path.join(folder, 'j.jpg'), later, later);
      await writeCameraJpeg(path.join(folder, 'new', 'k.jpg'), 50, 80, { make: 'Leica', model: 'Q2' });

      const { runId } = await coordinator.enqueue(folder);
      const queued = (await coordinator.progress(runId))!.run;
      expect(queued).toMatchObject({ state: 'running', toEmbed: 2, unchanged: 9, metadataQueued: 9, batches: 4 });
      // Embedding batches first, then metadata batches (8 embedding batches' worth of files each): paths only.
      const metadataJob = (await client.queue.getJob(batchJobId(runId, 2)))!;
      expect(metadataJob.name).toBe('metadata');
      expect(metadataJob.data).toEqual({ kind: 'metadata', runId, root: folder, batch: 2, files: expect.arrayContaining([path.join(folder, 'rome', 'a.jpg')]) });
      expect(metadataJob.data.files).toHaveLength(8);
      expect(metadataJob.data.files).not.toContain(path.join(folder, 'j.jpg'));
      expect((await client.queue.getJob(batchJobId(runId, 3)))!.data.files).toHaveLength(1);

      // 3. The worker mounts the folder elsewhere: the coordinator's paths do not exist on its host.
      fs.renameSync(folder, mirror);
      const modelImagesBefore = modelImages;
      const second = await startWorker({ ...config, queuePathMap: [{ from: folder, to: mirror }] }, { embedder: counting(), id: 'w2', heartbeatMs: 500 });
      try {
        const final = await coordinator.wait(runId, { pollMs: 100, signal: AbortSignal.timeout(120_000) });
        expect(final.run).toMatchObject({
          state: 'done', embedded: 2, skipped: 0, batchesDone: 4, batchesFailed: 0, metadataQueued: 9, metadataRead: 9, metadataUnreadable: 0, metadataFailed: 0,
        });
      } finally {
        await second.close();
        fs.renameSync(mirror, folder);
      }
      expect(modelImages - modelImagesBefore).toBe(2);

      expect(catalogue.pathsWithoutMetadata()).toEqual([]);
      for (const [name] of photos.filter(([name]) => name !== 'j.jpg')) {
        const after = stored(name);
        const old = before.get(name)!;
        expect({ ...after, embedding: null }).toEqual({ ...old, embedding: null });
        expect(Buffer.from(after.embedding.buffer)).toEqual(Buffer.from(old.embedding.buffer));
      }
      // The same metadata as the worker that embedded them recorded: folder relative to the root on both hosts, EXIF read.
      const now = new Map(catalogue.filterableImages().map((image) => [image.id, image.metadata]));
      for (const [name] of photos) expect(now.get(stored(name).id)).toEqual(recorded.get(before.get(name)!.id));
      expect(now.get(stored('rome/a.jpg').id)).toMatchObject({ folder: 'rome', cameraMake: 'Canon', latitude: expect.closeTo(41.9, 6) });
      expect(now.get(stored('paris/night/e.jpg').id)).toMatchObject({ folder: 'paris/night', cameraModel: 'X-T3', orientation: 'portrait' });
      expect(now.get(catalogue.getStoredImage({ path: path.join(folder, 'new', 'k.jpg') }, model.dimension)!.id)).toMatchObject({ folder: 'new', cameraMake: 'Leica' });

      // 4. Nothing left to read: the next reindex queues nothing.
      const again = await coordinator.enqueue(folder);
      expect((await coordinator.progress(again.runId))!.run).toMatchObject({ state: 'done', toEmbed: 0, metadataQueued: 0, batches: 0 });
    } finally {
      catalogue.close();
      await close();
    }
  }, 240_000);
});
