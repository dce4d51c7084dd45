import { decodeImage } from '../../src/image/decode';
import { nativeResampleLoaded, resizeBicubicRgb } from '../../src/image/resample';
import { samplePhotos } from '../helpers/photos';

/**
 * The resampler's C loops (native/resample.c, built by scripts/setup.sh) against its TypeScript loops,
 * whose bytes the parity tests tie to Pillow: the same bytes for downscales (antialiased, windows
 * narrower than the image), upscales, one-axis resizes and crop windows.
 */
describe('native resample loops', () => {
  it('are built and loaded (scripts/setup.sh builds them)', () => {
    expect(nativeResampleLoaded).toBe(true);
  });

  it('give byte-identical results to the TypeScript loops', async () => {
    const photos = samplePhotos(12, 100);
    let compared = 0;
    for (const photo of photos) {
      const { rgb } = await decodeImage(photo, { maxPixels: 1e8 });
      const cases: [number, number, { left: number; top: number; width: number; height: number } | undefined][] = [
        [224, Math.max(1, Math.trunc((224 * rgb.height) / rgb.width)), undefined],
        [Math.trunc(rgb.width / 3), Math.trunc(rgb.height / 2), { left: 5, top: 3, width: 40, height: 30 }],
        [rgb.width * 2, rgb.height, { left: 100, top: 0, width: 224, height: rgb.height }],
        [rgb.width, 97, undefined],
      ];
      for (const [width, height, window] of cases) {
        const native = resizeBicubicRgb(rgb, width, height, window, { native: true });
        const typescript = resizeBicubicRgb(rgb, width, height, window, { native: false });
        expect([native.width, native.height]).toEqual([typescript.width, typescript.height]);
        expect(Buffer.from(native.data).equals(Buffer.from(typescript.data))).toBe(true);
        compared++;
      }
    }
    expect(compared).toBe(48);
  });
});
