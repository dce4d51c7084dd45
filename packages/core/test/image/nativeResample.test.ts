import { decodeImage } from '../../src/image/decode';
import { toClipPixelValues } from '../../src/image/clipPreprocess';
import { nativeResampleLoaded, resizeBicubicRgb, resizeBicubicToPlanes } from '../../src/image/resample';
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

  it('fused into float planes (resizeBicubicToPlanes) give the same values as the TypeScript loops, at any offset and stride', async () => {
    const photos = samplePhotos(8, 200);
    const tables = new Float32Array(768);
    for (let i = 0; i < 768; i++) tables[i] = (i % 256) / 7 - (i >> 8);
    let compared = 0;
    for (const photo of photos) {
      const { rgb } = await decodeImage(photo, { maxPixels: 1e8 });
      const cases: [number, number, { left: number; top: number; width: number; height: number }][] = [
        [Math.trunc((224 * rgb.width) / Math.min(rgb.width, rgb.height)), Math.trunc((224 * rgb.height) / Math.min(rgb.width, rgb.height)), { left: 3, top: 0, width: 220, height: 224 }],
        [rgb.width, 97, { left: rgb.width - 50, top: 10, width: 50, height: 60 }], // width kept: no horizontal pass
        [rgb.width * 2, rgb.height, { left: rgb.width * 2 - 40, top: rgb.height - 30, width: 40, height: 30 }], // height kept; the buffer's last pixel
        [rgb.width, rgb.height, { left: 0, top: 0, width: rgb.width, height: rgb.height }], // neither pass
      ];
      for (const [width, height, window] of cases) {
        const rowStride = window.width + 5;
        const planeStride = rowStride * (window.height + 2);
        const offset = 11;
        const size = offset + 3 * planeStride;
        const native = new Float32Array(size).fill(-99);
        const typescript = new Float32Array(size).fill(-99);
        const target = { offset, rowStride, planeStride, tables };
        resizeBicubicToPlanes(rgb, width, height, window, { ...target, data: native }, { native: true });
        resizeBicubicToPlanes(rgb, width, height, window, { ...target, data: typescript }, { native: false });
        expect(Buffer.from(native.buffer).equals(Buffer.from(typescript.buffer))).toBe(true);
        // Only the window's cells were written.
        expect(native.filter((v) => v !== -99).length).toBeLessThanOrEqual(3 * window.width * window.height);
        expect(native[0]).toBe(-99);
        compared++;
      }
    }
    expect(compared).toBe(32);
  });

  it('toClipPixelValues writes into a batch slot exactly what it returns on its own', async () => {
    const spec = { shortestEdge: 224, cropHeight: 224, cropWidth: 224, mean: [0.5, 0.4, 0.3], std: [0.2, 0.3, 0.25], rescaleFactor: 1 / 255 } as const;
    const size = 3 * 224 * 224;
    const batch = new Float32Array(3 * size).fill(7);
    for (const [i, photo] of samplePhotos(2, 300).entries()) {
      const { rgb } = await decodeImage(photo, { maxPixels: 1e8 });
      const alone = toClipPixelValues(rgb, spec);
      const view = toClipPixelValues(rgb, spec, rgb, { data: batch, offset: (i + 1) * size });
      expect(view.length).toBe(size);
      expect(Buffer.from(batch.buffer, (i + 1) * size * 4, size * 4).equals(Buffer.from(alone.buffer))).toBe(true);
    }
    expect(batch.subarray(0, size).every((v) => v === 7)).toBe(true);
    expect(() => toClipPixelValues({ data: new Uint8Array(3), width: 1, height: 1 }, spec, undefined, { data: batch, offset: 2 * size + 1 })).toThrow(RangeError);
  });
});
