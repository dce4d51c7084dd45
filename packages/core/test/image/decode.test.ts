import { chmodSync, copyFileSync, readFileSync } from 'node:fs';
import sharp from 'sharp';
import { toClipPixelValues } from '../../src/image/clipPreprocess';
import { decodeImage } from '../../src/image/decode';
import * as resample from '../../src/image/resample';
import { ImageSkipError, parsePreprocessorConfig, prepareClipImage, type SkipReason } from '../../src/image';
import { cosine, makeTempDir, pngDeclaring, samplePhoto, type TempDir } from './fixtures';
import { seededRandom } from '../../src/random';
import { loadClipConfig } from './referenceData';

const spec = parsePreprocessorConfig(loadClipConfig());
const limits = { maxPixels: 50_000_000 };
let tmp: TempDir;

beforeAll(() => {
  tmp = makeTempDir();
});
afterAll(() => tmp.remove());

async function expectSkip(source: string | Buffer, reason: SkipReason, maxPixels = limits.maxPixels): Promise<ImageSkipError> {
  const error: unknown = await prepareClipImage(source, spec, { maxPixels }).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ImageSkipError);
  const skip = error as ImageSkipError;
  expect(skip.reason).toBe(reason);
  expect(skip.message).not.toMatch(/\n/);
  return skip;
}

/** Raw RGB bytes of a solid-colour image. */
function solid(width: number, height: number, rgb: [number, number, number]): Buffer {
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return data;
}

function pixelAt(rgb: { data: Uint8Array; width: number }, x: number, y: number): number[] {
  const offset = (y * rgb.width + x) * 3;
  return Array.from(rgb.data.subarray(offset, offset + 3));
}

/** CLIP-normalised value of a byte in a channel, as float32. */
function normalised(byte: number, channel: 0 | 1 | 2): number {
  return Math.fround(Math.fround(Math.fround(byte * spec.rescaleFactor) - Math.fround(spec.mean[channel])) / Math.fround(spec.std[channel]));
}

describe('files that are skipped with a typed reason', () => {
  test('missing file', async () => {
    await expectSkip(`${tmp.dir}/does-not-exist.jpg`, 'not-found');
  });

  test('zero-byte file', async () => {
    await expectSkip(tmp.write('empty.jpg', Buffer.alloc(0)), 'empty-file');
  });

  test('random bytes named .jpg', async () => {
    const random = seededRandom(0x2545f491); // deterministic noise
    const bytes = Buffer.alloc(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
    await expectSkip(tmp.write('random.jpg', bytes), 'unsupported-format');
  });

  test('text file named .png', async () => {
    await expectSkip(tmp.write('notes.png', 'just some text, not an image\n'), 'unsupported-format');
  });

  test('SVG is refused on purpose (PIL does not open it either)', async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>';
    await expectSkip(tmp.write('drawing.svg', svg), 'unsupported-format');
  });

  test('truncated JPEG (first half of a real photo) is corrupt', async () => {
    const original = readFileSync(samplePhoto);
    const skip = await expectSkip(tmp.write('truncated.jpg', original.subarray(0, original.length >> 1)), 'corrupt');
    expect(skip.message).toMatch(/truncated\.jpg/);
  });

  test('truncated PNG is corrupt', async () => {
    const png = await sharp(samplePhoto).png().toBuffer();
    await expectSkip(tmp.write('truncated.png', png.subarray(0, png.length >> 1)), 'corrupt');
  });

  test('a PNG declaring 50000x50000 is refused from its header, before any pixel is allocated', async () => {
    const bomb = tmp.write('bomb.png', pngDeclaring(50_000, 50_000));
    const rssBefore = process.memoryUsage().rss;
    const skip = await expectSkip(bomb, 'too-many-pixels', 100_000_000);
    expect(skip.message).toMatch(/50000x50000/); // our header check, not a failed allocation
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 1024 * 1024); // 2.5e9 pixels would be 7.5 GB
  });

  test('a normal photo above the configured pixel limit', async () => {
    const skip = await expectSkip(samplePhoto, 'too-many-pixels', 500 * 375 - 1);
    expect(skip.message).toMatch(/500x375/);
  });

  test('a directory is unreadable', async () => {
    await expectSkip(tmp.dir, 'unreadable');
  });

  const isRoot = process.getuid?.() === 0;
  (isRoot ? test.skip : test)('a file without read permission is unreadable (EACCES; skipped as root)', async () => {
    const locked = `${tmp.dir}/locked.jpg`;
    copyFileSync(samplePhoto, locked);
    chmodSync(locked, 0o000);
    await expectSkip(locked, 'unreadable');
  });
});

describe('files that decode', () => {
  test('content decides the format: a PNG named .jpg decodes', async () => {
    const png = await sharp(solid(6, 4, [10, 20, 30]), { raw: { width: 6, height: 4, channels: 3 } }).png().toBuffer();
    const decoded = await decodeImage(tmp.write('actually-png.jpg', png), limits);
    expect(decoded.format).toBe('png');
    expect(pixelAt(decoded.rgb, 5, 3)).toEqual([10, 20, 30]);
  });

  test('a Buffer source gives the same result as the path', async () => {
    const fromPath = await prepareClipImage(samplePhoto, spec, limits);
    const fromBuffer = await prepareClipImage(readFileSync(samplePhoto), spec, limits);
    expect(fromBuffer.pixelValues).toEqual(fromPath.pixelValues);
    expect([fromBuffer.width, fromBuffer.height]).toEqual([500, 375]);
  });

  // Pillow converts CMYK with R = (255 - K) - C * (255 - K) / 255 (no colour management). Ink
  // (0, 159, 235, 48), what libvips stores for sRGB (200, 100, 50), gives (207, 78, 16); the ICC
  // conversion sharp does by default would give about (199, 94, 21).
  test('CMYK JPEG is converted to RGB as Pillow does', async () => {
    const cmyk = await sharp(solid(16, 16, [200, 100, 50]), { raw: { width: 16, height: 16, channels: 3 } })
      .toColourspace('cmyk')
      .jpeg({ quality: 100 })
      .toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const decoded = await decodeImage(tmp.write('cmyk.jpg', cmyk), limits);
    const [r, g, b] = pixelAt(decoded.rgb, 8, 8);
    expect(Math.abs(r! - 207)).toBeLessThanOrEqual(2);
    expect(Math.abs(g! - 78)).toBeLessThanOrEqual(2);
    expect(Math.abs(b! - 16)).toBeLessThanOrEqual(2);
  });

  test('16-bit PNG is reduced to 8 bits', async () => {
    const png16 = await sharp(solid(4, 4, [200, 100, 50]), { raw: { width: 4, height: 4, channels: 3 } })
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    expect((await sharp(png16).metadata()).depth).toBe('ushort');
    const decoded = await decodeImage(tmp.write('deep.png', png16), limits);
    expect(pixelAt(decoded.rgb, 1, 1)).toEqual([200, 100, 50]);
  });

  test('greyscale PNG becomes R = G = B', async () => {
    const grey = await sharp(solid(4, 4, [90, 90, 90]), { raw: { width: 4, height: 4, channels: 3 } })
      .toColourspace('b-w')
      .png()
      .toBuffer();
    expect((await sharp(grey).metadata()).channels).toBe(1);
    const decoded = await decodeImage(tmp.write('grey.png', grey), limits);
    expect(pixelAt(decoded.rgb, 2, 2)).toEqual([90, 90, 90]);
  });

  test('palette PNG with transparency is flattened on white', async () => {
    const rgba = Buffer.alloc(4 * 2 * 4);
    for (let i = 0; i < 8; i++) rgba.set(i % 4 < 2 ? [0, 255, 0, 255] : [0, 0, 0, 0], i * 4);
    const palette = await sharp(rgba, { raw: { width: 4, height: 2, channels: 4 } }).png({ palette: true }).toBuffer();
    expect((await sharp(palette).metadata()).isPalette).toBe(true);
    const decoded = await decodeImage(tmp.write('palette.png', palette), limits);
    expect(pixelAt(decoded.rgb, 0, 0)).toEqual([0, 255, 0]);
    expect(pixelAt(decoded.rgb, 3, 1)).toEqual([255, 255, 255]);
  });

  test('animated GIF: the first frame only', async () => {
    const colours: [number, number, number][] = [
      [255, 0, 0],
      [0, 0, 255],
      [0, 255, 0],
    ];
    const frames = await Promise.all(
      colours.map((rgb) => sharp(solid(8, 6, rgb), { raw: { width: 8, height: 6, channels: 3 } }).png().toBuffer()),
    );
    const gif = await sharp(frames, { join: { animated: true } }).gif().toBuffer();
    expect((await sharp(gif).metadata()).pages).toBe(3);
    const decoded = await decodeImage(tmp.write('animated.gif', gif), limits);
    expect([decoded.rgb.width, decoded.rgb.height]).toEqual([8, 6]);
    expect([decoded.originalWidth, decoded.originalHeight]).toEqual([8, 6]);
    expect(pixelAt(decoded.rgb, 4, 3)).toEqual([255, 0, 0]);
  });

  test('lossless WebP decodes to the same pixels as its source', async () => {
    const source = await decodeImage(samplePhoto, limits);
    const webp = await sharp(Buffer.from(source.rgb.data), { raw: { width: 500, height: 375, channels: 3 } })
      .webp({ lossless: true })
      .toBuffer();
    const decoded = await decodeImage(tmp.write('photo.webp', webp), limits);
    expect(decoded.format).toBe('webp');
    expect(Buffer.from(decoded.rgb.data).equals(Buffer.from(source.rgb.data))).toBe(true);
  });

  test('EXIF orientation 6 is applied: same pixel values as the pre-rotated copy', async () => {
    const jpegOptions = { quality: 100, chromaSubsampling: '4:4:4' } as const;
    const upright = tmp.write('upright.jpg', await sharp(samplePhoto).jpeg(jpegOptions).toBuffer());
    // Stored 90 degrees counter-clockwise, tagged "rotate 90 clockwise to display".
    const stored = await sharp(samplePhoto).rotate(270).withMetadata({ orientation: 6 }).jpeg(jpegOptions).toBuffer();
    const storedMeta = await sharp(stored).metadata();
    expect([storedMeta.width, storedMeta.height, storedMeta.orientation]).toEqual([375, 500, 6]);

    const fromTagged = await prepareClipImage(tmp.write('tagged.jpg', stored), spec, limits);
    const fromUpright = await prepareClipImage(upright, spec, limits);
    expect([fromTagged.width, fromTagged.height]).toEqual([500, 375]);
    expect(cosine(fromTagged.pixelValues, fromUpright.pixelValues)).toBeGreaterThan(0.9999);
  });

  test('1x1 image: every pixel value is that colour', async () => {
    const png = await sharp(solid(1, 1, [10, 200, 30]), { raw: { width: 1, height: 1, channels: 3 } }).png().toBuffer();
    const prepared = await prepareClipImage(tmp.write('dot.png', png), spec, limits);
    const plane = 224 * 224;
    expect([prepared.width, prepared.height]).toEqual([1, 1]);
    expect(new Set(prepared.pixelValues.subarray(0, plane))).toEqual(new Set([normalised(10, 0)]));
    expect(new Set(prepared.pixelValues.subarray(plane, 2 * plane))).toEqual(new Set([normalised(200, 1)]));
    expect(new Set(prepared.pixelValues.subarray(2 * plane))).toEqual(new Set([normalised(30, 2)]));
  });

  test('20000x100 panorama: resized to 44800x224, only the centre is computed', async () => {
    const width = 20_000;
    const raw = Buffer.alloc(width * 100 * 3);
    for (let i = 0; i < width * 100; i++) raw.set(i % width < width / 2 ? [255, 0, 0] : [0, 0, 255], i * 3);
    const png = await sharp(raw, { raw: { width, height: 100, channels: 3 } }).png().toBuffer();
    // Counted, not timed: the resize is asked for the 224x224 window only, and computes nothing else.
    const resize = jest.spyOn(resample, 'resizeBicubicToPlanes');
    const prepared = await prepareClipImage(tmp.write('panorama.png', png), spec, limits);
    expect(resize).toHaveBeenCalledTimes(1);
    expect(resize.mock.calls[0]!.slice(1, 4)).toEqual([44_800, 224, { left: 22_288, top: 0, width: 224, height: 224 }]);
    resize.mockRestore();
    expect([prepared.width, prepared.height]).toEqual([20_000, 100]);
    // The crop spans resized columns 22288..22511; the colour boundary is at 22400, crop column 112.
    const red = prepared.pixelValues.subarray(0, 224 * 224);
    expect(red[100 * 224 + 10]).toBe(normalised(255, 0));
    expect(red[100 * 224 + 213]).toBe(normalised(0, 0));
  });
});

describe('large JPEGs are reduced on load (the one documented deviation from PIL)', () => {
  let bigJpeg: string;

  beforeAll(async () => {
    // 4000x3000 of real photo content: the sample photo tiled 8x8 with alternating flips.
    const tile = await sharp(samplePhoto).raw().toBuffer();
    const flipped = await sharp(samplePhoto).flop().raw().toBuffer();
    const raw = Buffer.alloc(4000 * 3000 * 3);
    for (let y = 0; y < 3000; y++) {
      for (let tx = 0; tx < 8; tx++) {
        const source = (tx + Math.floor(y / 375)) % 2 === 0 ? tile : flipped;
        const row = y % 375;
        source.copy(raw, (y * 4000 + tx * 500) * 3, row * 500 * 3, (row + 1) * 500 * 3);
      }
    }
    bigJpeg = tmp.write('big.jpg', await sharp(raw, { raw: { width: 4000, height: 3000, channels: 3 } }).jpeg({ quality: 90 }).toBuffer());
  });

  test('sharp reduces it to a short side of 4 x 224 before the exact resize', async () => {
    const reduced = await decodeImage(bigJpeg, { ...limits, reduceLargeJpegToShortSide: 896 });
    expect([reduced.rgb.width, reduced.rgb.height]).toEqual([1195, 896]);
    expect([reduced.originalWidth, reduced.originalHeight]).toEqual([4000, 3000]);
  });

  test('the result stays close to the exact (full decode) pipeline', async () => {
    const startedExact = performance.now();
    const full = await decodeImage(bigJpeg, limits);
    const exact = toClipPixelValues(full.rgb, spec);
    const exactMs = performance.now() - startedExact;
    const startedReduced = performance.now();
    const reduced = await prepareClipImage(bigJpeg, spec, limits);
    const reducedMs = performance.now() - startedReduced;
    let maxDifference = 0;
    for (let i = 0; i < exact.length; i++) {
      const difference = exact[i]! - reduced.pixelValues[i]!;
      if (difference > maxDifference || -difference > maxDifference) maxDifference = difference < 0 ? -difference : difference;
    }
    const similarity = cosine(exact, reduced.pixelValues);
    console.log(
      `4000x3000 JPEG: exact ${exactMs.toFixed(0)} ms, reduced on load ${reducedMs.toFixed(0)} ms; ` +
        `cosine ${similarity.toFixed(6)}, max abs pixel difference ${maxDifference.toFixed(3)}`,
    );
    expect(similarity).toBeGreaterThan(0.999);
  });
});
