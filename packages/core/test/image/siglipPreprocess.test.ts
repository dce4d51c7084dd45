import fs from 'node:fs';
import path from 'node:path';
import { toClipPixelValues } from '../../src/image/clipPreprocess';
import { resizeBicubicRgb } from '../../src/image/resample';
import { parseSiglipPreprocessorConfig } from '../../src/image/siglipPreprocess';
import { siglipTinyModelDir } from '../helpers/shared';

describe('parseSiglipPreprocessorConfig', () => {
  const real = JSON.parse(fs.readFileSync(path.join(siglipTinyModelDir, 'preprocessor_config.json'), 'utf8')) as Record<string, unknown>;

  test('reads size, mean/std and rescale factor from the file, squashing without a crop', () => {
    expect(parseSiglipPreprocessorConfig(real)).toEqual({
      shortestEdge: 224,
      cropHeight: 224,
      cropWidth: 224,
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
      rescaleFactor: 1 / 255,
      squash: true,
    });
    const other = parseSiglipPreprocessorConfig({ ...real, size: { height: 384, width: 320 }, image_mean: [0.1, 0.2, 0.3] });
    expect([other.cropHeight, other.cropWidth, other.shortestEdge, other.mean]).toEqual([384, 320, 320, [0.1, 0.2, 0.3]]);
  });

  test.each([{ resample: 2 }, { do_center_crop: true }, { do_rescale: false }, { image_std: [0.5, 0, 0.5] }, { size: { shortest_edge: 224 } }])(
    'refuses %p',
    (change) => {
      expect(() => parseSiglipPreprocessorConfig({ ...real, ...change })).toThrow(/unsupported preprocessor_config/);
    },
  );
});

describe('toClipPixelValues with squash', () => {
  test('resizes the whole image to the target size, aspect ratio not kept (no crop, no padding)', () => {
    // 8x4 -> 4x4: every column pair of the source contributes, as Pillow's resize((4, 4), BICUBIC) does.
    const data = new Uint8Array(8 * 4 * 3);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 8; x++) data.set([x * 30, y * 60, 7], (y * 8 + x) * 3);
    const spec = { shortestEdge: 4, cropHeight: 4, cropWidth: 4, mean: [0, 0, 0], std: [1, 1, 1], rescaleFactor: 1 / 255, squash: true } as const;
    const values = toClipPixelValues({ data, width: 8, height: 4 }, spec);
    const expected = resizeBicubicRgb({ data, width: 8, height: 4 }, 4, 4, { left: 0, top: 0, width: 4, height: 4 });
    const red = Array.from(values.subarray(0, 16)).map((v) => Math.round(v * 255));
    expect(red).toEqual(Array.from({ length: 16 }, (_, i) => expected.data[i * 3]!));
    expect(red[0]).toBeLessThan(30);
    expect(red[3]).toBeGreaterThan(180);
  });
});
