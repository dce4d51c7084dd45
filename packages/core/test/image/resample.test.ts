import { bicubicKernel, resizeBicubicRgb } from '../../src/image/resample';
import type { RgbImage } from '../../src/image/rgbImage';

function image(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      data.set(pixel(x, y), (y * width + x) * 3);
    }
  }
  return { data, width, height };
}

/** Deterministic pseudo-random bytes (no Math.random: failures must be reproducible). */
function noise(width: number, height: number, seed = 1): RgbImage {
  let state = seed;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state >>> 24;
  };
  return image(width, height, () => [next(), next(), next()]);
}

function redChannel(img: RgbImage): number[] {
  return Array.from({ length: img.width * img.height }, (_, i) => img.data[i * 3]!);
}

describe('bicubicKernel (Keys, a = -0.5)', () => {
  test('interpolates: 1 at 0, 0 at the other integers, symmetric', () => {
    expect(bicubicKernel(0)).toBe(1);
    expect(bicubicKernel(1)).toBeCloseTo(0, 15);
    expect(bicubicKernel(2)).toBeCloseTo(0, 15);
    expect(bicubicKernel(-1.5)).toBe(bicubicKernel(1.5));
  });

  test('hand-computed values', () => {
    expect(bicubicKernel(0.25)).toBeCloseTo(0.8671875, 15);
    expect(bicubicKernel(0.75)).toBeCloseTo(0.2265625, 15);
    expect(bicubicKernel(1.25)).toBeCloseTo(-0.0703125, 15);
  });
});

describe('resizeBicubicRgb (port of Pillow BICUBIC resize)', () => {
  test('same size is an exact copy', () => {
    const src = noise(7, 5);
    const out = resizeBicubicRgb(src, 7, 5);
    expect(out.width).toBe(7);
    expect(out.height).toBe(5);
    expect(Array.from(out.data)).toEqual(Array.from(src.data));
    expect(out.data).not.toBe(src.data);
  });

  test.each([
    [10, 10, 3, 7],
    [10, 10, 23, 4],
    [500, 375, 298, 224],
    [1, 1, 224, 224],
  ])('a constant image stays constant: %ix%i -> %ix%i', (w, h, ow, oh) => {
    for (const value of [0, 1, 77, 254, 255]) {
      const out = resizeBicubicRgb(image(w, h, () => [value, 255 - value, 128]), ow, oh);
      expect(new Set(redChannel(out))).toEqual(new Set([value]));
      expect(out.data[1]).toBe(255 - value);
      expect(out.data[2]).toBe(128);
    }
  });

  // 4 -> 2 pixels: scale 2, support 4, each output uses all 4 inputs. For output 0 (center 1.0) the
  // kernel is evaluated at (x - 0.5) / 2 = -0.25, 0.25, 0.75, 1.25: weights 0.8671875, 0.8671875,
  // 0.2265625, -0.0703125, sum 1.890625. A step 0,0,255,255 gives 255 * (0.2265625 - 0.0703125) / 1.890625
  // = 21.07 -> 21, and by symmetry output 1 = 255 - 21.07 = 233.93 -> 234.
  test('2x downscale of a step, horizontally and vertically (hand-derived)', () => {
    const step = [0, 0, 255, 255];
    const horizontal = resizeBicubicRgb(image(4, 1, (x) => [step[x]!, 0, 0]), 2, 1);
    expect(redChannel(horizontal)).toEqual([21, 234]);
    const vertical = resizeBicubicRgb(image(1, 4, (_x, y) => [step[y]!, 0, 0]), 1, 2);
    expect(redChannel(vertical)).toEqual([21, 234]);
  });

  // Clipping after the first pass: the overshoot of the horizontal pass is clipped to 0..255 before
  // the vertical pass sees it, as in Pillow (the vertical pass here is an exact copy: same height).
  test('overshoot on an upscaled edge is clipped to the uint8 range', () => {
    const out = resizeBicubicRgb(image(4, 1, (x) => [x < 2 ? 0 : 255, 0, 0]), 16, 1);
    const reds = redChannel(out);
    expect(Math.min(...reds)).toBe(0);
    expect(Math.max(...reds)).toBe(255);
    expect(reds[0]).toBe(0);
    expect(reds[15]).toBe(255);
  });

  test('a window of the output equals the same crop of the full output', () => {
    const src = noise(61, 47, 7);
    const full = resizeBicubicRgb(src, 40, 30);
    const window = { left: 5, top: 3, width: 20, height: 25 };
    const part = resizeBicubicRgb(src, 40, 30, window);
    for (let y = 0; y < window.height; y++) {
      for (let x = 0; x < window.width; x++) {
        for (let c = 0; c < 3; c++) {
          const expected = full.data[((window.top + y) * 40 + window.left + x) * 3 + c];
          if (part.data[(y * window.width + x) * 3 + c] !== expected) {
            throw new Error(`mismatch at ${x},${y},${c}`);
          }
        }
      }
    }
  });

  test('rejects a window outside the output and a bad source buffer', () => {
    const src = noise(4, 4);
    expect(() => resizeBicubicRgb(src, 2, 2, { left: 1, top: 0, width: 2, height: 2 })).toThrow(RangeError);
    expect(() => resizeBicubicRgb({ data: new Uint8Array(5), width: 2, height: 2 }, 1, 1)).toThrow(RangeError);
  });
});
