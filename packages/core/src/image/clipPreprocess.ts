/**
 * CLIP preprocessing after decode, reproducing Hugging Face `CLIPImageProcessorPil` (transformers 5,
 * PilBackend): resize the shortest edge with PIL BICUBIC, centre crop (zero padding if too small),
 * rescale in float64 then cast to float32, normalise in float32, channel-first layout.
 */
import { z } from 'zod';
import { resizeBicubicRgb } from './resample';
import { RGB_CHANNELS, assertRgbImage, type RgbImage } from './rgbImage';

/** What the model's preprocessor_config.json asks for, in the only shape this pipeline implements. */
export interface ClipPreprocessSpec {
  readonly shortestEdge: number;
  readonly cropHeight: number;
  readonly cropWidth: number;
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  readonly rescaleFactor: number;
  /**
   * SigLIP's rule: resize straight to cropWidth x cropHeight, aspect ratio not kept, no crop
   * (`shortestEdge` is then the smaller side, used only to size the large-JPEG reduction).
   * Absent: CLIP's rule, shortest edge then centre crop.
   */
  readonly squash?: boolean;
}

export interface Size {
  readonly width: number;
  readonly height: number;
}

const PIL_BICUBIC = 3;
/** transformers' BaseImageProcessor default when the file omits rescale_factor. */
export const DEFAULT_RESCALE_FACTOR = 1 / 255;

export const positiveInt = z.number().int().positive();
const channelTriple = z.tuple([z.number(), z.number(), z.number()]);
const mustBeTrue = (name: string) => z.boolean().refine((value) => value, { message: `${name}=false is not supported by this pipeline` });

/** The fields CLIP's and SigLIP's preprocessor_config.json share, and the values this pipeline implements. */
export const sharedPreprocessorFields = {
  image_mean: channelTriple,
  image_std: channelTriple.refine((std) => std.every((s) => s > 0), { message: 'image_std must be > 0' }),
  rescale_factor: z.number().positive().optional(),
  resample: z
    .number()
    .refine((value) => value === PIL_BICUBIC, { message: 'only resample=3 (PIL BICUBIC) is implemented' })
    .optional(),
  do_resize: mustBeTrue('do_resize').optional(),
  do_rescale: mustBeTrue('do_rescale').optional(),
  do_normalize: mustBeTrue('do_normalize').optional(),
  do_convert_rgb: mustBeTrue('do_convert_rgb').optional(),
};

const preprocessorConfigSchema = z.looseObject({
  // Legacy configs give a bare int for size/crop_size; transformers reads those as shortest_edge / square crop.
  size: z.union([positiveInt, z.looseObject({ shortest_edge: positiveInt })]),
  crop_size: z.union([positiveInt, z.looseObject({ height: positiveInt, width: positiveInt })]),
  ...sharedPreprocessorFields,
  do_center_crop: mustBeTrue('do_center_crop').optional(),
});

/** Parses a model's preprocessor_config.json (already JSON-parsed); throws a descriptive Error if unusable. */
export function parsePreprocessorConfig(json: unknown): ClipPreprocessSpec {
  const parsed = preprocessorConfigSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`unsupported preprocessor_config.json: ${z.prettifyError(parsed.error)}`);
  }
  const config = parsed.data;
  const crop = typeof config.crop_size === 'number' ? { height: config.crop_size, width: config.crop_size } : config.crop_size;
  return {
    shortestEdge: typeof config.size === 'number' ? config.size : config.size.shortest_edge,
    cropHeight: crop.height,
    cropWidth: crop.width,
    mean: config.image_mean,
    std: config.image_std,
    rescaleFactor: config.rescale_factor ?? DEFAULT_RESCALE_FACTOR,
  };
}

/**
 * transformers `get_resize_output_image_size(size=shortest_edge, default_to_square=False)`: the short
 * side becomes `shortestEdge`, the long side `int(shortestEdge * long / short)` (float64, truncated).
 * A square counts as "width is the short side", which gives the same result.
 */
export function resizeOutputSize(width: number, height: number, shortestEdge: number): Size {
  if (width <= height) {
    return { width: shortestEdge, height: Math.trunc((shortestEdge * height) / width) };
  }
  return { width: Math.trunc((shortestEdge * width) / height), height: shortestEdge };
}

/**
 * transformers `center_crop`: top = (h - ch) // 2, left = (w - cw) // 2 (floor division). When the
 * image is smaller than the crop it is zero-padded by ceil(deficit / 2) before; that lands exactly on
 * the same formula with a negative origin, the uncovered pixels being zeros.
 */
export function centerCropOrigin(width: number, height: number, cropWidth: number, cropHeight: number): { left: number; top: number } {
  return { left: Math.floor((width - cropWidth) / 2), top: Math.floor((height - cropHeight) / 2) };
}

/**
 * value -> normalised float32 for each byte value and channel, evaluated as numpy does:
 * float32(float64(v) * rescale), then float32((x - float32(mean)) / float32(std)).
 */
function normalisationTables(spec: ClipPreprocessSpec): Float32Array[] {
  return [0, 1, 2].map((channel) => {
    const mean = Math.fround(spec.mean[channel]!);
    const std = Math.fround(spec.std[channel]!);
    const table = new Float32Array(256);
    for (let v = 0; v < 256; v++) {
      const rescaled = Math.fround(v * spec.rescaleFactor);
      table[v] = Math.fround(Math.fround(rescaled - mean) / std);
    }
    return table;
  });
}

/**
 * Resize + centre crop (or squash, see ClipPreprocessSpec.squash) + normalise `rgb` into `pixel_values` [3, cropHeight, cropWidth].
 * `logicalSize` is the size the resize rule is computed from: the image's real (oriented) size when
 * `rgb` is a reduced decode of a very large image, so the output geometry does not depend on it.
 */
export function toClipPixelValues(rgb: RgbImage, spec: ClipPreprocessSpec, logicalSize: Size = rgb): Float32Array {
  assertRgbImage(rgb);
  const { cropWidth, cropHeight } = spec;
  const resized = spec.squash ? { width: cropWidth, height: cropHeight } : resizeOutputSize(logicalSize.width, logicalSize.height, spec.shortestEdge);
  const origin = centerCropOrigin(resized.width, resized.height, cropWidth, cropHeight);

  // Part of the crop that the resized image covers (all of it unless the crop is larger than the image).
  const left = Math.max(0, origin.left);
  const top = Math.max(0, origin.top);
  const width = Math.min(resized.width, origin.left + cropWidth) - left;
  const height = Math.min(resized.height, origin.top + cropHeight) - top;
  const covered = resizeBicubicRgb(rgb, resized.width, resized.height, { left, top, width, height });

  const tables = normalisationTables(spec);
  const plane = cropWidth * cropHeight;
  const pixelValues = new Float32Array(RGB_CHANNELS * plane);
  for (let channel = 0; channel < RGB_CHANNELS; channel++) {
    const table = tables[channel]!;
    // Zero padding is applied to uint8 pixels before rescaling, so padding holds the value of byte 0.
    pixelValues.fill(table[0]!, channel * plane, (channel + 1) * plane);
    for (let y = 0; y < height; y++) {
      let src = y * width * RGB_CHANNELS + channel;
      let dst = channel * plane + (top - origin.top + y) * cropWidth + (left - origin.left);
      for (let x = 0; x < width; x++) {
        pixelValues[dst++] = table[covered.data[src]!]!;
        src += RGB_CHANNELS;
      }
    }
  }
  return pixelValues;
}
