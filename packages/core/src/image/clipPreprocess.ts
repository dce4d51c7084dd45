/**
 * CLIP preprocessing after decode, reproducing Hugging Face `CLIPImageProcessorPil` (transformers 5,
 * PilBackend): resize the shortest edge with PIL BICUBIC, centre crop (zero padding if too small),
 * rescale in float64 then cast to float32, normalise in float32, channel-first layout.
 */
import { z } from 'zod';
import type { PixelRegion } from './nativeJpeg';
import { resizeBicubicToPlanes, sourceSpanOf } from './resample';
import { RGB_CHANNELS, assertRgbImage, isRgbCrop, type RgbCrop, type RgbImage } from './rgbImage';

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
 * value -> normalised float32 for each byte value and channel (R's 256 values, then G's, then B's),
 * evaluated as numpy does: float32(float64(v) * rescale), then float32((x - float32(mean)) / float32(std)).
 */
function normalisationTables(spec: ClipPreprocessSpec): Float32Array {
  const key = `${spec.mean.join(',')}/${spec.std.join(',')}/${spec.rescaleFactor}`;
  const cached = tableCache.get(key);
  if (cached) return cached;
  const tables = new Float32Array(RGB_CHANNELS * 256);
  for (let channel = 0; channel < RGB_CHANNELS; channel++) {
    const mean = Math.fround(spec.mean[channel]!);
    const std = Math.fround(spec.std[channel]!);
    for (let v = 0; v < 256; v++) {
      const rescaled = Math.fround(v * spec.rescaleFactor);
      tables[channel * 256 + v] = Math.fround(Math.fround(rescaled - mean) / std);
    }
  }
  if (tableCache.size >= 8) tableCache.clear();
  tableCache.set(key, tables);
  return tables;
}

/** By spec values, not identity: a decode worker receives a fresh copy of the spec with every request. */
const tableCache = new Map<string, Float32Array>();

/** Where to write the pixel values: `data[offset ..offset + 3 * cropHeight * cropWidth)`, e.g. one image's slot of a batch. */
export interface PixelSlot {
  readonly data: Float32Array;
  readonly offset: number;
}

/** Values per image: 3 x cropHeight x cropWidth. */
export function pixelValueCount(spec: Pick<ClipPreprocessSpec, 'cropHeight' | 'cropWidth'>): number {
  return RGB_CHANNELS * spec.cropHeight * spec.cropWidth;
}

/**
 * Rows and columns of margin around what the resize reads, when only part of a JPEG is decoded: next to
 * a crop edge libjpeg's fancy upsampling sees an edge and changes a pixel or two (1 px of margin left
 * mismatches on the dataset photos, 2 px none); one 4:2:0 iMCU is kept for safety.
 */
export const JPEG_REGION_MARGIN = 16;

interface CropGeometry {
  /** Size the image is resized to. */
  readonly resized: Size;
  /** Top-left corner of the crop in the resized image (negative where the crop is larger: padding). */
  readonly origin: { left: number; top: number };
  /** Part of the crop that the resized image covers (all of it unless the crop is larger than the image). */
  readonly covered: { left: number; top: number; width: number; height: number };
}

function cropGeometry(logicalSize: Size, spec: ClipPreprocessSpec): CropGeometry {
  const { cropWidth, cropHeight } = spec;
  const resized = spec.squash ? { width: cropWidth, height: cropHeight } : resizeOutputSize(logicalSize.width, logicalSize.height, spec.shortestEdge);
  const origin = centerCropOrigin(resized.width, resized.height, cropWidth, cropHeight);
  const left = Math.max(0, origin.left);
  const top = Math.max(0, origin.top);
  const width = Math.min(resized.width, origin.left + cropWidth) - left;
  const height = Math.min(resized.height, origin.top + cropHeight) - top;
  return { resized, origin, covered: { left, top, width, height } };
}

/** The part of a width x height image that toClipPixelValues reads, plus JPEG_REGION_MARGIN: what a JPEG decode may stop at. */
export function clipSourceRegion(width: number, height: number, spec: ClipPreprocessSpec): PixelRegion {
  const { resized, covered } = cropGeometry({ width, height }, spec);
  const span = sourceSpanOf(width, height, resized.width, resized.height, covered);
  return {
    left: Math.max(0, span.left - JPEG_REGION_MARGIN),
    top: Math.max(0, span.top - JPEG_REGION_MARGIN),
    right: Math.min(width, span.right + JPEG_REGION_MARGIN),
    bottom: Math.min(height, span.bottom + JPEG_REGION_MARGIN),
  };
}

/**
 * Resize + centre crop (or squash, see ClipPreprocessSpec.squash) + normalise `rgb` into `pixel_values` [3, cropHeight, cropWidth].
 * `logicalSize` is the size the resize rule is computed from: the image's real (oriented) size when
 * `rgb` is a reduced decode of a very large image, so the output geometry does not depend on it. An
 * RgbCrop (a partial JPEG decode) stands for its full image and must hold clipSourceRegion of it.
 * With `slot` the values are written there (and a view of them returned); otherwise into a new array.
 */
export function toClipPixelValues(rgb: RgbImage | RgbCrop, spec: ClipPreprocessSpec, logicalSize?: Size, slot?: PixelSlot): Float32Array {
  assertRgbImage(rgb);
  const { cropWidth, cropHeight } = spec;
  const fullSize = isRgbCrop(rgb) ? { width: rgb.fullWidth, height: rgb.fullHeight } : rgb;
  const { resized, origin, covered } = cropGeometry(logicalSize ?? fullSize, spec);
  const { left, top, width, height } = covered;

  const plane = cropWidth * cropHeight;
  const count = RGB_CHANNELS * plane;
  if (slot && !(Number.isInteger(slot.offset) && slot.offset >= 0 && slot.offset + count <= slot.data.length)) {
    throw new RangeError(`pixel slot at ${slot.offset} does not hold ${count} values (array of ${slot.data.length})`);
  }
  const data = slot?.data ?? new Float32Array(count);
  const offset = slot?.offset ?? 0;
  const tables = normalisationTables(spec);
  if (width < cropWidth || height < cropHeight) {
    // Zero padding is applied to uint8 pixels before rescaling, so padding holds the value of byte 0.
    for (let channel = 0; channel < RGB_CHANNELS; channel++) {
      data.fill(tables[channel * 256]!, offset + channel * plane, offset + (channel + 1) * plane);
    }
  }
  const first = offset + (top - origin.top) * cropWidth + (left - origin.left);
  resizeBicubicToPlanes(rgb, resized.width, resized.height, covered, { data, offset: first, rowStride: cropWidth, planeStride: plane, tables });
  return slot ? data.subarray(offset, offset + count) : data;
}
