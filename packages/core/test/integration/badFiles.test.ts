import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { cosine, defaultConfig, Indexer, openEngine, prepareClipImage, type Engine, type ReindexSummary } from '../../src';
import { pngDeclaring } from '../image/fixtures';
import { samplePhotos } from '../helpers/photos';
import { tinyModelDir } from '../helpers/shared';

/** Every kind of file a real photo library holds, generated here (nothing large is committed). */
async function writeCorpus(root: string, photo: string): Promise<{ good: string[]; bad: Record<string, string> }> {
  const at = (name: string) => path.join(root, name);
  const write = (name: string, bytes: Buffer | string) => {
    fs.mkdirSync(path.dirname(at(name)), { recursive: true });
    fs.writeFileSync(at(name), bytes);
    return at(name);
  };
  const photoBytes = fs.readFileSync(photo);
  const solid = (width: number, height: number, rgb: [number, number, number]) =>
    sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });
  const frames = await Promise.all(([[255, 0, 0], [0, 0, 255]] as const).map((rgb) => solid(8, 6, [...rgb]).png().toBuffer()));
  const rgba = Buffer.alloc(4 * 4 * 4);
  for (let i = 0; i < 16; i++) rgba.set(i % 2 ? [0, 255, 0, 255] : [0, 0, 0, 0], i * 4);
  const panorama = Buffer.alloc(20_000 * 100 * 3, 128);

  const good = [
    write('photo.jpg', photoBytes),
    write('png-saved-as.jpg', await sharp(photoBytes).png().toBuffer()),
    write('cmyk.jpg', await sharp(photoBytes).toColourspace('cmyk').jpeg().toBuffer()),
    write('deep-16bit.png', await sharp(photoBytes).toColourspace('rgb16').png().toBuffer()),
    write('grey.png', await sharp(photoBytes).toColourspace('b-w').png().toBuffer()),
    write('palette-alpha.png', await sharp(rgba, { raw: { width: 4, height: 4, channels: 4 } }).png({ palette: true }).toBuffer()),
    write('animated.gif', await sharp(frames, { join: { animated: true } }).gif().toBuffer()),
    write('photo.webp', await sharp(photoBytes).webp().toBuffer()),
    write('photo.tiff', await sharp(photoBytes).tiff().toBuffer()),
    write('upright.jpg', await sharp(photoBytes).jpeg({ quality: 100 }).toBuffer()),
    write('exif-orientation-6.jpg', await sharp(photoBytes).rotate(270).withMetadata({ orientation: 6 }).jpeg({ quality: 100 }).toBuffer()),
    write('dot-1x1.png', await solid(1, 1, [10, 200, 30]).png().toBuffer()),
    write('panorama-20000x100.png', await sharp(panorama, { raw: { width: 20_000, height: 100, channels: 3 } }).png().toBuffer()),
    write(`${'long-name-'.repeat(24)}.jpg`, photoBytes), // 244-byte name
    write('nested/deeper/photo.jpg', photoBytes),
  ];
  const bad: Record<string, string> = {
    [write('zero-byte.jpg', Buffer.alloc(0))]: 'empty-file',
    [write('truncated.jpg', photoBytes.subarray(0, photoBytes.length >> 1))]: 'corrupt',
    [write('random-bytes.jpg', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251)))]: 'unsupported-format',
    [write('text.png', 'just some text, not a picture\n')]: 'unsupported-format',
    [write('bomb-50000x50000.png', pngDeclaring(50_000, 50_000))]: 'too-many-pixels',
  };
  // A name that is not UTF-8: reported by the scan, the rest of the folder unaffected.
  fs.writeFileSync(Buffer.concat([Buffer.from(`${root}/latin1-`), Buffer.from([0xe9]), Buffer.from('.jpg')]), photoBytes);
  write('.hidden.jpg', photoBytes);
  write('.cache/photo.jpg', photoBytes);
  fs.symlinkSync(root, at('nested/loop-to-root'));
  return { good, bad };
}

describe('indexing a folder of awkward and broken files', () => {
  let root: string;
  let engine: Engine;
  let corpus: { good: string[]; bad: Record<string, string> };
  let summary: ReindexSummary;
  const deletedBeforeDecode = 'deleted-between-scan-and-decode.jpg';

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-corpus-'));
    const [photo] = samplePhotos(1);
    corpus = await writeCorpus(root, photo!);
    fs.copyFileSync(photo!, path.join(root, deletedBeforeDecode));
    const config = { ...defaultConfig, dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'sis-corpus-data-')), model: tinyModelDir, offline: true };
    engine = await openEngine(config, { writable: true });
    // The same engine parts, with a decoder that loses one file between the scan and its decode.
    const limits = { maxPixels: config.maxPixels };
    const indexer = new Indexer(
      engine.library,
      engine.embedder,
      async (file, spec) => {
        if (path.basename(file) === deletedBeforeDecode) fs.rmSync(file);
        return prepareClipImage(file, spec, limits);
      },
      { ...config, checkpointMs: 30_000 },
    );
    summary = await indexer.reindex(root);
  }, 120_000);

  afterAll(() => {
    engine.close();
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(engine.config.dataDir, { recursive: true, force: true });
  });

  it('indexes every good image, whatever its format, depth, colour space or shape', () => {
    const indexed = [...engine.library.fileStates()].filter(([, state]) => state.status === 'indexed').map(([file]) => file);
    expect(indexed.sort()).toEqual([...corpus.good].sort());
    expect(summary.embedded).toBe(corpus.good.length);
  });

  it('skips every bad file with its typed reason, and never the good ones', () => {
    const reasons = Object.fromEntries(summary.skipped.map((skip) => [skip.path, skip.reason]));
    for (const [file, reason] of Object.entries(corpus.bad)) expect([file, reasons[file]]).toEqual([file, reason]);
    expect(reasons[path.join(root, deletedBeforeDecode)]).toBe('not-found');
    expect(Object.entries(reasons).find(([file]) => file.includes('latin1-'))?.[1]).toBe('unreadable');
    expect(summary.skipped).toHaveLength(Object.keys(corpus.bad).length + 2);
    for (const skip of summary.skipped) expect(skip.message).toMatch(/\S/);
  });

  it('leaves hidden files and folders alone and survives the symlink loop', () => {
    const known = [...engine.library.fileStates().keys()];
    expect(known.some((file) => file.includes('/.'))).toBe(false);
    expect(known.some((file) => file.includes('loop-to-root'))).toBe(false);
  });

  it('embeds an EXIF-rotated photo as the upright image', () => {
    const upright = engine.library.getByPath(path.join(root, 'upright.jpg'))!;
    const rotated = engine.library.getByPath(path.join(root, 'exif-orientation-6.jpg'))!;
    expect(rotated.width).toBe(upright.width);
    expect(cosine(rotated.embedding, upright.embedding)).toBeGreaterThan(0.999);
  });
});
