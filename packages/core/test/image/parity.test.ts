import sharp from 'sharp';
import { parsePreprocessorConfig, prepareClipImage } from '../../src/image';
import { resizeOutputSize, toClipPixelValues } from '../../src/image/clipPreprocess';
import { decodeImage } from '../../src/image/decode';
import type { RgbImage } from '../../src/image/rgbImage';
import { loadClipConfig, maxAbsDifference, patchMeansOf, referenceImages, referencePatchMeans } from './referenceData';

const spec = parsePreprocessorConfig(loadClipConfig());
const limits = { maxPixels: 100_000_000 };

describe('parity with the Python reference (CLIPImageProcessorPil)', () => {
  const worst = { square: 0, nonSquare: 0 };

  afterAll(() => {
    console.log(
      `pixel_patch_means max abs difference: 224px set ${worst.square.toExponential(2)}, non-square originals ${worst.nonSquare.toExponential(2)}`,
    );
  });

  test.each(referenceImages.map((image) => [image.index, image] as const))('image %i', async (_index, image) => {
    const prepared = await prepareClipImage(image.file, spec, limits);
    expect(prepared.pixelValues.length).toBe(3 * 224 * 224);
    expect([prepared.width, prepared.height]).toEqual([image.width, image.height]);
    const difference = maxAbsDifference(patchMeansOf(prepared.pixelValues), referencePatchMeans(image.index));
    const isSquare = image.width === image.height;
    if (isSquare) worst.square = Math.max(worst.square, difference);
    else worst.nonSquare = Math.max(worst.nonSquare, difference);
    expect(difference).toBeLessThan(1e-4);
  });
});

describe('the patch-mean oracle detects the two known pitfalls', () => {
  const originals = referenceImages.filter((image) => image.width !== image.height);
  // Originals whose embedded ICC profile is not plain sRGB: applying it changes the pixels.
  const withNonSrgbProfile = new Set([64, 68, 71, 73]);

  function differenceOf(index: number, rgb: RgbImage): number {
    return maxAbsDifference(patchMeansOf(toClipPixelValues(rgb, spec)), referencePatchMeans(index));
  }

  test.each(originals.map((image) => [image.index, image] as const))('image %i', async (index, image) => {
    const exact = (await decodeImage(image.file, limits)).rgb;
    const resized = resizeOutputSize(exact.width, exact.height, spec.shortestEdge);
    // sharp's own (colour-managed) decode, then the exact resize.
    const managed = await sharp(image.file).raw().toBuffer({ resolveWithObject: true });
    const managedRgb = { data: new Uint8Array(managed.data), width: managed.info.width, height: managed.info.height };
    // The exact decode, then sharp's bicubic resize to the same size (the crop then needs no resize).
    const sharpResized = await sharp(Buffer.from(exact.data), { raw: { width: exact.width, height: exact.height, channels: 3 } })
      .resize({ ...resized, fit: 'fill', kernel: 'cubic' })
      .raw()
      .toBuffer();

    const differences = {
      exact: differenceOf(index, exact),
      iccApplied: differenceOf(index, managedRgb),
      sharpResize: differenceOf(index, { data: new Uint8Array(sharpResized), ...resized }),
    };
    expect(differences.exact).toBeLessThan(1e-4);
    expect(differences.sharpResize).toBeGreaterThan(1e-4);
    if (withNonSrgbProfile.has(index)) expect(differences.iccApplied).toBeGreaterThan(1e-3);
  });
});
