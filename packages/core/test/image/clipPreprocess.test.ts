import {
  centerCropOrigin,
  parsePreprocessorConfig,
  resizeOutputSize,
  toClipPixelValues,
  type ClipPreprocessSpec,
} from '../../src/image/clipPreprocess';
import { resizeBicubicRgb } from '../../src/image/resample';
import { loadClipConfig } from './referenceData';

describe('parsePreprocessorConfig', () => {
  const real = loadClipConfig() as Record<string, unknown>;

  test("reads the model's preprocessor_config.json", () => {
    expect(parsePreprocessorConfig(real)).toEqual({
      shortestEdge: 224,
      cropHeight: 224,
      cropWidth: 224,
      mean: [0.48145466, 0.4578275, 0.40821073],
      std: [0.26862954, 0.26130258, 0.27577711],
      rescaleFactor: 0.00392156862745098,
    });
  });

  test('accepts the legacy integer forms of size and crop_size', () => {
    const spec = parsePreprocessorConfig({ ...real, size: 256, crop_size: 240 });
    expect([spec.shortestEdge, spec.cropHeight, spec.cropWidth]).toEqual([256, 240, 240]);
  });

  test.each([
    ['a disabled step', { do_center_crop: false }],
    ['another resample filter', { resample: 2 }],
    ['a fixed height/width resize', { size: { height: 224, width: 224 } }],
    ['a missing mean', { image_mean: undefined }],
    ['a zero std', { image_std: [0.2, 0, 0.2] }],
    ['two-channel statistics', { image_mean: [0.5, 0.5] }],
  ])('rejects %s', (_what, change) => {
    expect(() => parsePreprocessorConfig({ ...real, ...change })).toThrow(/unsupported preprocessor_config/);
  });

  test('rejects what is not an object', () => {
    expect(() => parsePreprocessorConfig(null)).toThrow();
    expect(() => parsePreprocessorConfig('224')).toThrow();
  });
});

describe('resizeOutputSize (transformers get_resize_output_image_size, shortest_edge)', () => {
  test.each([
    [500, 375, 298, 224], // 224 * 500 / 375 = 298.67, truncated
    [375, 500, 224, 298],
    [333, 500, 224, 336], // 336.34
    [500, 333, 336, 224],
    [224, 224, 224, 224],
    [1, 1, 224, 224],
    [20000, 100, 44800, 224],
    [100, 20000, 224, 44800],
    [640, 427, 335, 224], // 335.74
  ])('%ix%i -> %ix%i', (width, height, outWidth, outHeight) => {
    expect(resizeOutputSize(width, height, 224)).toEqual({ width: outWidth, height: outHeight });
  });
});

describe('centerCropOrigin (transformers center_crop)', () => {
  test.each([
    [298, 224, 37, 0], // (298 - 224) // 2
    [299, 224, 37, 0], // 75 // 2 = 37: floor, not round
    [224, 336, 0, 56],
    [224, 224, 0, 0],
    [223, 224, -1, 0], // too small by 1: padded by ceil(1/2) = 1 on the left
    [220, 221, -2, -2], // padded by 2 / ceil(3/2) = 2
  ])('%ix%i', (width, height, left, top) => {
    expect(centerCropOrigin(width, height, 224, 224)).toEqual({ left, top });
  });
});

describe('toClipPixelValues', () => {
  const spec: ClipPreprocessSpec = {
    shortestEdge: 4,
    cropHeight: 4,
    cropWidth: 4,
    mean: [0.5, 0.25, 0],
    std: [0.5, 0.25, 1],
    rescaleFactor: 1 / 255,
  };

  test('normalises as float32 numpy does and lays out channel-first', () => {
    const data = new Uint8Array(4 * 4 * 3);
    for (let i = 0; i < 16; i++) data.set([255, 0, i], i * 3);
    const values = toClipPixelValues({ data, width: 4, height: 4 }, spec);
    expect(values).toBeInstanceOf(Float32Array);
    expect(values.length).toBe(3 * 16);
    expect(Array.from(values.subarray(0, 16))).toEqual(new Array(16).fill(1)); // (1 - 0.5) / 0.5
    expect(Array.from(values.subarray(16, 32))).toEqual(new Array(16).fill(-1)); // (0 - 0.25) / 0.25
    // float32(i * (1/255)) exactly as numpy: float64 product cast to float32.
    expect(Array.from(values.subarray(32, 48))).toEqual(Array.from({ length: 16 }, (_, i) => Math.fround(i / 255)));
  });

  test('crops the centre of the resized image', () => {
    // 6x4 -> shortest edge 4 keeps the size (no resampling); the crop keeps columns 1..4.
    const data = new Uint8Array(6 * 4 * 3);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 6; x++) data.set([x * 10, 0, 0], (y * 6 + x) * 3);
    const values = toClipPixelValues({ data, width: 6, height: 4 }, { ...spec, mean: [0, 0, 0], std: [1, 1, 1] });
    const firstRow = Array.from(values.subarray(0, 4)).map((v) => Math.round(v * 255));
    expect(firstRow).toEqual([10, 20, 30, 40]);
  });

  test('pads with zero pixels (before normalisation) when the crop is larger than the image', () => {
    const data = new Uint8Array(4 * 4 * 3).fill(255);
    const values = toClipPixelValues({ data, width: 4, height: 4 }, { ...spec, cropHeight: 6, cropWidth: 7 });
    const red = Array.from(values.subarray(0, 42));
    const padding = (0 - 0.5) / 0.5;
    // 7 wide: ceil(3/2) = 2 columns on the left, 1 on the right; 6 high: 1 row above and below.
    const expectedRow = (inside: boolean) => [padding, padding, ...new Array(4).fill(inside ? 1 : padding), padding];
    const expected = [false, true, true, true, true, false].flatMap(expectedRow);
    expect(red).toEqual(expected);
  });

  test('computes the geometry from the logical (original) size, not from a reduced raster', () => {
    // An 8x6 raster standing for a 90x60 image: the resize target is 6x4 (int(4 * 90 / 60)), not 5x4.
    const data = new Uint8Array(8 * 6 * 3);
    for (let y = 0; y < 6; y++) for (let x = 0; x < 8; x++) data.set([x * 30, y * 40, 0], (y * 8 + x) * 3);
    const raster = { data, width: 8, height: 6 };
    const identity = { ...spec, mean: [0, 0, 0] as const, std: [1, 1, 1] as const };
    const values = toClipPixelValues(raster, identity, { width: 90, height: 60 });
    const expected = resizeBicubicRgb(raster, 6, 4, { left: 1, top: 0, width: 4, height: 4 });
    const red = Array.from(values.subarray(0, 16)).map((v) => Math.round(v * 255));
    expect(red).toEqual(Array.from({ length: 16 }, (_, i) => expected.data[i * 3]));
    expect(red).not.toEqual(Array.from(toClipPixelValues(raster, identity).subarray(0, 16)).map((v) => Math.round(v * 255)));
  });
});
