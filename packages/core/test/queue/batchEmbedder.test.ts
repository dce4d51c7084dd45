import {
  BatchEmbedder, ConfigError, ImageSkipError, mapPath, MetadataBatchReader, queueSettingsOf, type BatchWriter, type Embedder, type EmbedBatchJob, type ImageMetadata,
} from '../../src';
import os from 'node:os';
import { defaultConfig, loadConfig } from '../../src/config';

/** A BatchEmbedder with fake reader, embedder and writer: what a worker does with one queued batch. */
const spec = { cropHeight: 2, cropWidth: 2 } as Embedder['preprocess'];

function fakeEmbedder(calls: number[]): Embedder {
  return {
    modelName: 'fake',
    dimension: 2,
    precision: 'fp32',
    preprocess: spec,
    embedTexts: () => Promise.reject(new Error('not used')),
    embedPixels: (pixels) => {
      calls.push(pixels.length);
      return Promise.resolve(pixels.map((p) => Float32Array.from([Math.cos(p[0]!), Math.sin(p[0]!)])));
    },
  };
}

function recordingWriter(): BatchWriter & { commits: Parameters<BatchWriter['commit']>[0][] } {
  const commits: Parameters<BatchWriter['commit']>[0][] = [];
  return { commits, commit: (changes) => void commits.push(changes), recordMetadata: () => undefined, recordReindex: () => undefined };
}

const file = (name: string) => ({ path: `/srv/photos/${name}`, size: 10, mtimeMs: 1, device: '1', inode: name });
const job = (names: string[]): EmbedBatchJob => ({ runId: 'r', root: '/srv/photos', batch: 0, files: names.map(file) });

describe('BatchEmbedder', () => {
  test('reads through the path mapping, embeds in inference batches, commits the whole batch once under the catalogue paths', async () => {
    const read: string[] = [];
    const calls: number[] = [];
    const writer = recordingWriter();
    const batches = new BatchEmbedder(
      (filePath) => {
        read.push(filePath);
        return Promise.resolve({ pixelValues: Float32Array.from([read.length, 0, 0, 0]), width: 4, height: 3 } as never);
      },
      fakeEmbedder(calls),
      writer,
      { inferenceBatch: 2, decodeConcurrency: 2, pathMap: [{ from: '/srv/photos', to: '/mnt/nas/photos' }] },
    );
    const result = await batches.process(job(['a.jpg', 'b.jpg', 'c.jpg']));
    expect(read).toEqual(['/mnt/nas/photos/a.jpg', '/mnt/nas/photos/b.jpg', '/mnt/nas/photos/c.jpg']);
    expect(calls).toEqual([2, 1]);
    expect(result.embedded).toBe(3);
    expect(writer.commits).toHaveLength(1);
    expect(writer.commits[0]!.upsertIndexed.map((row) => [row.path, row.width, row.height, row.inode])).toEqual([
      ['/srv/photos/a.jpg', 4, 3, 'a.jpg'],
      ['/srv/photos/b.jpg', 4, 3, 'b.jpg'],
      ['/srv/photos/c.jpg', 4, 3, 'c.jpg'],
    ]);
  });

  test('reads each file\'s metadata through the path mapping, folder relative to the mapped root, and commits it with the row', async () => {
    const seen: [string, string][] = [];
    const writer = recordingWriter();
    const batches = new BatchEmbedder(
      () => Promise.resolve({ pixelValues: new Float32Array(4), width: 4, height: 3 } as never),
      fakeEmbedder([]),
      writer,
      { inferenceBatch: 8, decodeConcurrency: 2, pathMap: [{ from: '/srv/photos', to: '/mnt/nas/photos' }] },
      (filePath, root) => {
        seen.push([filePath, root]);
        if (filePath.endsWith('noheader.jpg')) return Promise.resolve(undefined);
        const metadata = { folder: 'trip', fileType: 'jpeg', orientation: 'landscape' as const, takenAt: 1, cameraMake: 'Canon', cameraModel: null, latitude: null, longitude: null };
        return Promise.resolve(metadata);
      },
    );
    await batches.process(job(['trip/a.jpg', 'noheader.jpg']));
    expect(seen).toEqual([
      ['/mnt/nas/photos/trip/a.jpg', '/mnt/nas/photos'],
      ['/mnt/nas/photos/noheader.jpg', '/mnt/nas/photos'],
    ]);
    const rows = writer.commits[0]!.upsertIndexed;
    expect(rows.map((row) => [row.path, row.metadata?.folder, row.metadata?.cameraMake])).toEqual([
      ['/srv/photos/trip/a.jpg', 'trip', 'Canon'],
      ['/srv/photos/noheader.jpg', undefined, undefined],
    ]);
    expect('metadata' in rows[1]!).toBe(false);
  });

  test('a file that cannot be decoded is committed as skipped with its typed reason; the rest is embedded', async () => {
    const writer = recordingWriter();
    const batches = new BatchEmbedder(
      (filePath) =>
        filePath.endsWith('bad.jpg')
          ? Promise.reject(new ImageSkipError('corrupt', 'not a JPEG'))
          : filePath.endsWith('odd.jpg')
            ? Promise.reject(new Error('something else'))
            : Promise.resolve({ pixelValues: new Float32Array(4), width: 1, height: 1 } as never),
      fakeEmbedder([]),
      writer,
      { inferenceBatch: 8, decodeConcurrency: 1, pathMap: [] },
    );
    const result = await batches.process(job(['ok.jpg', 'bad.jpg', 'odd.jpg']));
    expect(result.embedded).toBe(1);
    expect(result.skipped).toEqual([
      { path: '/srv/photos/bad.jpg', reason: 'corrupt', message: 'not a JPEG' },
      { path: '/srv/photos/odd.jpg', reason: 'corrupt', message: 'something else' },
    ]);
    expect(writer.commits[0]!.upsertSkipped.map((row) => [row.path, row.reason])).toEqual([
      ['/srv/photos/bad.jpg', 'corrupt'],
      ['/srv/photos/odd.jpg', 'corrupt'],
    ]);
  });

  test('a failing embedder or writer fails the batch (the queue retries it); nothing is half-committed', async () => {
    const writer = recordingWriter();
    const embedder = { ...fakeEmbedder([]), embedPixels: () => Promise.reject(new Error('model crashed')) };
    const batches = new BatchEmbedder(() => Promise.resolve({ pixelValues: new Float32Array(4), width: 1, height: 1 } as never), embedder, writer, {
      inferenceBatch: 1, decodeConcurrency: 1, pathMap: [],
    });
    await expect(batches.process(job(['a.jpg', 'b.jpg']))).rejects.toThrow('model crashed');
    expect(writer.commits).toHaveLength(0);
  });
});

describe('queue settings', () => {
  test('SIS_QUEUE_URL needs SIS_CATALOGUE_URL, with a message that says so', () => {
    expect(() => queueSettingsOf({ ...defaultConfig, queueUrl: 'redis://127.0.0.1:6379' })).toThrow(ConfigError);
    expect(() => queueSettingsOf({ ...defaultConfig, queueUrl: 'redis://127.0.0.1:6379' })).toThrow(/SIS_CATALOGUE_URL/);
    expect(() => queueSettingsOf(defaultConfig)).toThrow(/SIS_QUEUE_URL/);
    expect(queueSettingsOf({ ...defaultConfig, queueUrl: 'redis://h:6379', catalogueUrl: 'postgres://h/db' })).toMatchObject({ url: 'redis://h:6379', batchImages: 64 });
  });

  test('SIS_QUEUE_URL, SIS_QUEUE_PATH_MAP and SIS_QUEUE_BATCH_IMAGES from the environment; bad values refused with the variable named', () => {
    const config = loadConfig({
      cwd: os.tmpdir(),
      env: { SIS_QUEUE_URL: 'redis://:pw@h:6379/1', SIS_QUEUE_PATH_MAP: '/srv/photos=/mnt/nas/photos, /data = /mnt/data', SIS_QUEUE_BATCH_IMAGES: '128' },
    });
    expect(config).toMatchObject({
      queueUrl: 'redis://:pw@h:6379/1',
      queuePathMap: [{ from: '/srv/photos', to: '/mnt/nas/photos' }, { from: '/data', to: '/mnt/data' }],
      queueBatchImages: 128,
    });
    expect(() => loadConfig({ cwd: os.tmpdir(), env: { SIS_QUEUE_URL: 'http://h' } })).toThrow(/SIS_QUEUE_URL.*redis:\/\//);
    expect(() => loadConfig({ cwd: os.tmpdir(), env: { SIS_QUEUE_PATH_MAP: 'photos=/mnt' } })).toThrow(/SIS_QUEUE_PATH_MAP.*absolute/);
    expect(() => loadConfig({ cwd: os.tmpdir(), env: { SIS_QUEUE_BATCH_IMAGES: '0' } })).toThrow(/SIS_QUEUE_BATCH_IMAGES/);
  });

  test('path mapping: the longest prefix wins, only at folder boundaries', () => {
    const map = [{ from: '/srv', to: '/a' }, { from: '/srv/photos/', to: '/mnt/p' }];
    expect(mapPath('/srv/photos/x/y.jpg', map)).toBe('/mnt/p/x/y.jpg');
    expect(mapPath('/srv/other.jpg', map)).toBe('/a/other.jpg');
    expect(mapPath('/srvx/other.jpg', map)).toBe('/srvx/other.jpg');
    expect(mapPath('/elsewhere/z.jpg', map)).toBe('/elsewhere/z.jpg');
  });

  test('a metadata batch: headers read through the path mapping, recorded under the catalogue paths; unreadable ones counted, not recorded', async () => {
    const recorded: { path: string; metadata: ImageMetadata }[][] = [];
    const seen: [string, string][] = [];
    const reader = new MetadataBatchReader(
      (filePath, root) => {
        seen.push([filePath, root]);
        if (filePath.endsWith('broken.jpg')) return Promise.resolve(undefined);
        return Promise.resolve({ folder: 'x', fileType: 'jpeg', orientation: 'square', takenAt: null, cameraMake: null, cameraModel: null, latitude: null, longitude: null });
      },
      { recordMetadata: (entries) => void recorded.push([...entries]) },
      [{ from: '/srv/photos', to: '/mnt/nas/photos' }],
    );
    const result = await reader.process({ kind: 'metadata', runId: 'r', root: '/srv/photos', batch: 3, files: ['/srv/photos/x/a.jpg', '/srv/photos/broken.jpg'] });
    expect(result).toEqual({ read: 1, unreadable: 1 });
    expect(seen).toEqual([['/mnt/nas/photos/x/a.jpg', '/mnt/nas/photos'], ['/mnt/nas/photos/broken.jpg', '/mnt/nas/photos']]);
    expect(recorded).toEqual([[{ path: '/srv/photos/x/a.jpg', metadata: expect.objectContaining({ folder: 'x' }) }]]);
  });
});
