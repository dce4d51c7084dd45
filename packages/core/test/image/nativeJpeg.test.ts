import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { JPEG_REGION_MARGIN, centerCropOrigin, clipSourceRegion, resizeOutputSize, toClipPixelValues } from '../../src/image/clipPreprocess';
import { resizeBicubicRgb } from '../../src/image/resample';
import { decodeImage } from '../../src/image/decode';
import { prepareClipImage } from '../../src/image';
import { isRgbCrop } from '../../src/image/rgbImage';
import { decodeJpegNatively, nativeJpegLoaded } from '../../src/image/nativeJpeg';
import { isImageSkipError } from '../../src/image/skipError';
import { samplePhotos } from '../helpers/photos';
import { makeTempDir, samplePhoto, type TempDir } from './fixtures';

/**
 * The libjpeg-turbo decoder addon (native/jpegDecode.c, built by scripts/setup.sh) against sharp's
 * decode as decode.ts configures it (ICC ignored, auto-orient, flatten, sRGB), which the parity tests
 * tie to PIL: the same bytes (max abs difference 0) on real photos; everything else declined to sharp.
 */
const LIMIT = 1e8;

async function sharpRgb(bytes: Buffer): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(bytes, { failOn: 'truncated', ignoreIcc: true, autoOrient: true })
    .flatten({ background: { r: 255, g: 255, b: 255 } })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

function declined(bytes: Buffer, reduceFrom = 0, maxPixels = LIMIT): string | undefined {
  const result = decodeJpegNatively(bytes, maxPixels, reduceFrom);
  return 'declined' in result ? result.declined : undefined;
}

let tmp: TempDir;
beforeAll(() => {
  tmp = makeTempDir();
});
afterAll(() => tmp.remove());

describe('native JPEG decoder', () => {
  it('is built and loaded (scripts/setup.sh builds it)', () => {
    expect(nativeJpegLoaded).toBe(true);
  });

  it('gives the same bytes as sharp on real photos (max abs difference 0)', async () => {
    const photos = samplePhotos(40, 200);
    for (const photo of photos) {
      const bytes = readFileSync(photo);
      const native = decodeJpegNatively(bytes, LIMIT, 0);
      if (!('rgb' in native)) throw new Error(`${photo}: declined (${native.declined})`);
      const reference = await sharpRgb(bytes);
      expect([native.rgb.width, native.rgb.height]).toEqual([reference.width, reference.height]);
      expect(Buffer.from(native.rgb.data).equals(reference.data)).toBe(true);
      // decodeImage takes the native path for these and returns the same pixels.
      const decoded = await decodeImage(photo, { maxPixels: LIMIT, reduceLargeJpegToShortSide: 896 });
      expect(Buffer.from(decoded.rgb.data).equals(reference.data)).toBe(true);
      expect([decoded.format, decoded.originalWidth, decoded.originalHeight]).toEqual(['jpeg', reference.width, reference.height]);
    }
  });

  it('decodes only a region (crop scanline + skipped rows): inside the margin, the same bytes as a full decode', () => {
    // All 1500 dataset photos were checked the same way (3 random regions each): 0 mismatches with a
    // 2 px margin or more, 56 regions mismatching with 1 px (fancy upsampling at the crop edges).
    let compared = 0;
    for (const [i, photo] of samplePhotos(30, 300).entries()) {
      const bytes = readFileSync(photo);
      const full = decodeJpegNatively(bytes, LIMIT, 0);
      if (!('rgb' in full)) throw new Error(`${photo}: declined (${full.declined})`);
      const { width, height } = full.rgb;
      const read = { left: 37 + i, top: 21 + 2 * i, right: width - 40 - i, bottom: height - 33 - i };
      const margin = JPEG_REGION_MARGIN;
      let asked: number[] = [];
      const part = decodeJpegNatively(bytes, LIMIT, 0, (w, h) => {
        asked = [w, h];
        return { left: read.left - margin, top: read.top - margin, right: read.right + margin, bottom: read.bottom + margin };
      });
      if (!('rgb' in part) || !isRgbCrop(part.rgb)) throw new Error(`${photo}: no crop`);
      const crop = part.rgb;
      expect(asked).toEqual([width, height]);
      expect([crop.fullWidth, crop.fullHeight, crop.top, crop.height]).toEqual([width, height, read.top - margin, read.bottom - read.top + 2 * margin]);
      // Columns widen to whole iMCUs (16 px for 4:2:0), never narrow.
      expect(crop.left).toBeLessThanOrEqual(read.left - margin);
      expect(crop.left + crop.width).toBeGreaterThanOrEqual(read.right + margin);
      expect(crop.width).toBeLessThan(width);
      for (let y = read.top; y < read.bottom; y++) {
        const expected = full.rgb.data.subarray((y * width + read.left) * 3, (y * width + read.right) * 3);
        const start = ((y - crop.top) * crop.width + read.left - crop.left) * 3;
        expect(Buffer.from(crop.data.subarray(start, start + expected.length)).equals(Buffer.from(expected))).toBe(true);
      }
      compared++;
    }
    expect(compared).toBe(30);
  });

  it('prepares the same pixel values from the region decode as from a full decode (the pipeline asks for clipSourceRegion)', async () => {
    const spec = { shortestEdge: 224, cropHeight: 224, cropWidth: 224, mean: [0.48, 0.45, 0.4], std: [0.27, 0.26, 0.28], rescaleFactor: 1 / 255 } as const;
    let cropped = 0;
    for (const photo of samplePhotos(30, 330)) {
      const full = await decodeImage(photo, { maxPixels: LIMIT });
      const part = await decodeImage(photo, { maxPixels: LIMIT, region: (w, h) => clipSourceRegion(w, h, spec) });
      if (isRgbCrop(part.rgb)) cropped++;
      expect([part.originalWidth, part.originalHeight]).toEqual([full.originalWidth, full.originalHeight]);
      const expected = toClipPixelValues(full.rgb, spec);
      expect(Buffer.from(toClipPixelValues(part.rgb, spec).buffer).equals(Buffer.from(expected.buffer))).toBe(true);
      expect(Buffer.from((await prepareClipImage(photo, spec, { maxPixels: LIMIT })).pixelValues.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
      // The TypeScript loops (no resample addon) read the crop at the same offsets.
      const size = resizeOutputSize(full.originalWidth, full.originalHeight, 224);
      const origin = centerCropOrigin(size.width, size.height, 224, 224);
      const window = { left: origin.left, top: origin.top, width: 224, height: 224 };
      const fromCrop = resizeBicubicRgb(part.rgb, size.width, size.height, window, { native: false });
      expect(Buffer.from(fromCrop.data).equals(Buffer.from(resizeBicubicRgb(full.rgb, size.width, size.height, window, { native: false }).data))).toBe(true);
    }
    // ~500x375 photos: the crop drops columns of landscape photos and rows of portrait ones (a photo
    // whose crop reads every row and column is decoded whole).
    expect(cropped).toBeGreaterThanOrEqual(25);
    // A crop that does not hold what the resize reads is refused, not silently wrong.
    const bytes = readFileSync(samplePhotos(1, 330)[0]!);
    const tooSmall = decodeJpegNatively(bytes, LIMIT, 0, (w, h) => ({ left: 0, top: 0, right: w >> 1, bottom: h }));
    if (!('rgb' in tooSmall)) throw new Error('declined');
    expect(() => toClipPixelValues(tooSmall.rgb, spec)).toThrow(/does not hold/);
  });

  it('refuses a region chooser that answers nonsense', () => {
    const bytes = readFileSync(samplePhoto);
    // (Errors from the addon come from Node's realm, not jest's: matched by message.)
    expect(() => decodeJpegNatively(bytes, LIMIT, 0, () => ({ left: 10, top: 0, right: 5, bottom: 10 }))).toThrow(/not a non-empty part/);
    expect(() => decodeJpegNatively(bytes, LIMIT, 0, (w) => ({ left: 0, top: 0, right: w + 1, bottom: 10 }))).toThrow(/not a non-empty part/);
    expect(() =>
      decodeJpegNatively(bytes, LIMIT, 0, () => {
        throw new Error('from the chooser');
      }),
    ).toThrow('from the chooser');
    const whole = decodeJpegNatively(bytes, LIMIT, 0, () => undefined);
    expect('rgb' in whole && !isRgbCrop(whole.rgb)).toBe(true);
  });

  it('declines a truncated JPEG, which decodeImage then skips as corrupt', async () => {
    const original = readFileSync(samplePhoto);
    const truncated = original.subarray(0, original.length >> 1);
    expect(declined(truncated)).toBe('libjpeg warning');
    const file = tmp.write('truncated.jpg', truncated);
    const error = await decodeImage(file, { maxPixels: LIMIT }).catch((e: unknown) => e);
    expect(isImageSkipError(error) && error.reason).toBe('corrupt');
  });

  it('declines a JPEG whose scan data is damaged; decodeImage then gives what sharp gives', async () => {
    const original = Buffer.from(readFileSync(samplePhoto));
    // Overwrite the entropy-coded data after the header with marker-like bytes: a libjpeg error.
    original.fill(0xff, 2000, 2400);
    original.fill(0xc0, 2400, 2401);
    expect(declined(original)).toMatch(/^libjpeg (error|warning)/);
    // sharp (failOn 'truncated') tolerates libjpeg's corrupt-data warnings and decodes what it can.
    const decoded = await decodeImage(tmp.write('garbage.jpg', original), { maxPixels: LIMIT });
    expect(Buffer.from(decoded.rgb.data).equals((await sharpRgb(original)).data)).toBe(true);
  });

  it('declines a header cut inside its markers', () => {
    expect(declined(readFileSync(samplePhoto).subarray(0, 300))).toMatch(/^libjpeg (error|warning)/);
  });

  it('declines what it does not decode exactly; decodeImage gives sharp\'s result for those', async () => {
    const photo = readFileSync(samplePhoto);
    const cases: [string, Buffer, RegExp][] = [
      ['progressive', await sharp(photo).jpeg({ progressive: true }).toBuffer(), /progressive/],
      ['EXIF orientation 6', await sharp(photo).jpeg().withMetadata({ orientation: 6 }).toBuffer(), /orientation/],
      ['greyscale', await sharp(photo).toColourspace('b-w').jpeg().toBuffer(), /YCbCr/],
      ['CMYK', await sharp(photo).toColourspace('cmyk').jpeg().toBuffer(), /YCbCr/],
      ['PNG', await sharp(photo).png().toBuffer(), /not a JPEG/],
    ];
    for (const [name, bytes, reason] of cases) {
      expect([name, declined(bytes)]).toEqual([name, expect.stringMatching(reason)]);
    }
    const rotated = await decodeImage(cases[1]![1], { maxPixels: LIMIT });
    expect([rotated.rgb.width, rotated.rgb.height]).toEqual([375, 500]);
    // EXIF orientation 1 is decoded natively.
    expect(declined(await sharp(photo).jpeg().withMetadata({ orientation: 1 }).toBuffer())).toBeUndefined();
  });

  it('declines images over the pixel limit or large enough to be reduced on load, as sharp handles those', async () => {
    const photo = readFileSync(samplePhoto);
    expect(declined(photo, 0, 500 * 375 - 1)).toBe('too many pixels');
    expect(declined(photo, 375)).toMatch(/reduced on load/);
    expect(declined(photo, 376)).toBeUndefined();
    const error = await decodeImage(photo, { maxPixels: 500 * 375 - 1 }).catch((e: unknown) => e);
    expect(isImageSkipError(error) && error.reason).toBe('too-many-pixels');
  });
});

describe('without the addon (SIS_NATIVE_JPEG=0, the same path as an addon that is not built)', () => {
  it('decodeImage falls back to sharp: same pixels, same typed skips', async () => {
    const saved = process.env.SIS_NATIVE_JPEG;
    process.env.SIS_NATIVE_JPEG = '0';
    try {
      let fallback: { nativeJpegLoaded: boolean; decodeImage: typeof decodeImage; decodeJpegNatively: typeof decodeJpegNatively } | undefined;
      jest.isolateModules(() => {
        /* eslint-disable @typescript-eslint/no-require-imports */
        fallback = {
          ...(require('../../src/image/nativeJpeg') as typeof import('../../src/image/nativeJpeg')),
          ...(require('../../src/image/decode') as typeof import('../../src/image/decode')),
        };
        /* eslint-enable @typescript-eslint/no-require-imports */
      });
      expect(fallback!.nativeJpegLoaded).toBe(false);
      expect(fallback!.decodeJpegNatively(readFileSync(samplePhoto), LIMIT, 0)).toEqual({ declined: 'addon not loaded' });
      const viaSharp = await fallback!.decodeImage(samplePhoto, { maxPixels: LIMIT });
      const viaAddon = await decodeImage(samplePhoto, { maxPixels: LIMIT });
      expect(Buffer.from(viaSharp.rgb.data).equals(Buffer.from(viaAddon.rgb.data))).toBe(true);
      const truncated = tmp.write('truncated-fallback.jpg', readFileSync(samplePhoto).subarray(0, 20_000));
      const error = await fallback!.decodeImage(truncated, { maxPixels: LIMIT }).catch((e: unknown) => e);
      // Another module instance (isolateModules): its own ImageSkipError class, so no instanceof here.
      expect(error).toMatchObject({ name: 'ImageSkipError', reason: 'corrupt' });
    } finally {
      if (saved === undefined) delete process.env.SIS_NATIVE_JPEG;
      else process.env.SIS_NATIVE_JPEG = saved;
    }
  });
});
