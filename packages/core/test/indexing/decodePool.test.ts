import path from 'node:path';
import { DecodePool, ImageSkipError, decodeThreadsFor, defaultConfig, prepareClipImage, parsePreprocessorConfig, readImageMetadata } from '../../src';
import { makeTempDir } from '../image/fixtures';
import { samplePhotos } from '../helpers/photos';
import { tinyModelDir } from '../helpers/shared';

// The compiled worker (the test command builds before testing): ts-jest cannot run a .ts file in a worker thread.
const workerScript = path.resolve(__dirname, '../../dist/indexing/decodeWorker.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const spec = parsePreprocessorConfig(require(path.join(tinyModelDir, 'preprocessor_config.json')));
const limits = { maxPixels: defaultConfig.maxPixels };

describe('DecodePool', () => {
  let pool: DecodePool;
  beforeAll(() => {
    pool = new DecodePool({ threads: 2, limits, workerScript });
  });
  afterAll(() => pool.close());

  it('gives the same pixel values as preparing on the main thread, for images decoded at once', async () => {
    const photos = samplePhotos(6, 40);
    const [fromPool, inThread] = await Promise.all([
      Promise.all(photos.map((photo) => pool.prepare(photo, spec))),
      Promise.all(photos.map((photo) => prepareClipImage(photo, spec, limits))),
    ]);
    fromPool.forEach((image, i) => {
      expect([image.width, image.height]).toEqual([inThread[i]!.width, inThread[i]!.height]);
      expect(image.pixelValues).toBeInstanceOf(Float32Array);
      expect(Buffer.from(image.pixelValues.buffer).equals(Buffer.from(inThread[i]!.pixelValues.buffer))).toBe(true);
    });
    expect(pool.capacity).toBe(4);
  });

  it('reads the metadata on the worker when asked (what readImageMetadata gives on the main thread), not otherwise', async () => {
    const photos = samplePhotos(4, 60);
    const root = path.dirname(path.dirname(photos[0]!));
    const fromPool = await Promise.all(photos.map((photo) => pool.prepare(photo, spec, root)));
    const onMain = await Promise.all(photos.map((photo) => readImageMetadata(photo, root)));
    fromPool.forEach((image, i) => {
      expect(image.metadata).toEqual(onMain[i]);
      expect(image.metadata?.folder).toBe('images');
    });
    expect(await pool.prepare(photos[0]!, spec)).not.toHaveProperty('metadata');
  });

  it('rejects bad files with the ImageSkipError and reason the main thread would give', async () => {
    const temp = makeTempDir();
    try {
      const notImage = temp.write('notes.jpg', 'not a jpeg at all');
      const empty = temp.write('empty.jpg', Buffer.alloc(0));
      for (const [file, reason] of [[notImage, 'unsupported-format'], [empty, 'empty-file'], [path.join(temp.dir, 'gone.jpg'), 'not-found']] as const) {
        const error = await pool.prepare(file, spec).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(ImageSkipError);
        expect((error as ImageSkipError).reason).toBe(reason);
        // The worker reads the file itself and decodes its bytes: the message still names the file.
        expect((error as ImageSkipError).message).toContain(file);
      }
      // The pool goes on working after bad files.
      await expect(pool.prepare(samplePhotos(1)[0]!, spec)).resolves.toHaveProperty('width');
    } finally {
      temp.remove();
    }
  });

  it('refuses work once closed', async () => {
    const closing = new DecodePool({ threads: 1, limits, workerScript });
    await closing.close();
    await expect(closing.prepare(samplePhotos(1)[0]!, spec)).rejects.toThrow(/closed/);
  });
});

describe('decodeThreadsFor', () => {
  it('uses the cores inference leaves over, at least one', () => {
    expect(decodeThreadsFor({ threads: 0, decodeThreads: 0 }, 2)).toBe(1);
    expect(decodeThreadsFor({ threads: 2, decodeThreads: 0 }, 8)).toBe(6);
    expect(decodeThreadsFor({ threads: 16, decodeThreads: 0 }, 8)).toBe(1);
    expect(decodeThreadsFor({ threads: 0, decodeThreads: 3 }, 2)).toBe(3);
  });
});
