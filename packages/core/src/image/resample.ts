/**
 * Bicubic resize of 8-bit RGB, bit-exact with Pillow's `Image.resize(size, Image.BICUBIC)`
 * (libImaging/Resample.c: ImagingResample -> precompute_coeffs -> ImagingResample{Horizontal,Vertical}_8bpc).
 *
 * What makes Pillow's result different from a plain affine bicubic, and what this port reproduces:
 * - the filter support widens with the downscale factor (antialiasing): support = 2 * max(1, in/out);
 * - per output pixel, the window bounds are rounded as `(int)(center -/+ support + 0.5)` and clamped;
 * - weights are normalised to sum 1, then converted to 22-bit fixed point (PRECISION_BITS = 32-8-2),
 *   rounding half away from zero;
 * - accumulators start at 0.5 (in fixed point) and are floored and clipped to uint8 after EACH pass;
 * - horizontal pass first (only over the source rows the vertical pass needs), then vertical;
 *   a pass is skipped when that axis keeps its size (the full-image box is used, as resize() does).
 *
 * Each output pixel depends only on its own coefficients, so computing a sub-window of the output
 * (the centre crop) gives exactly the same values as resizing everything and cropping afterwards.
 */
import { loadNativeAddon } from './nativeAddon';
import { RGB_CHANNELS, assertRgbImage, isRgbCrop, type RgbCrop, type RgbImage } from './rgbImage';

/** The same two loops in C (native/resample.c), built by scripts/setup.sh: about 3x faster, same bytes. */
interface NativeResample {
  resampleRows(input: Uint8Array, inWidth: number, firstRow: number, rowCount: number, bounds: Int32Array, weights: Int32Array, taps: number, outWidth: number, out: Uint8Array): void;
  resampleColumns(input: Uint8Array, width: number, inRows: number, bounds: Int32Array, weights: Int32Array, taps: number, outHeight: number, out: Uint8Array): void;
  /** Both passes and the byte -> float table lookup in one call, into channel planes of `dest` (see resample.c). */
  resampleToPlanes(
    input: Uint8Array, inWidth: number, hBounds: Int32Array | null, hWeights: Int32Array | null, hTaps: number, left: number,
    firstRow: number, rowCount: number, vBounds: Int32Array | null, vWeights: Int32Array | null, vTaps: number,
    outWidth: number, outHeight: number, tables: Float32Array, dest: Float32Array, destOffset: number, destRowStride: number, destPlaneStride: number,
  ): void;
}

const nativeResample = loadNativeAddon<NativeResample>('resample', 'SIS_NATIVE_RESAMPLE');

/** Whether the C loops are in use (false: not built, or SIS_NATIVE_RESAMPLE=0). */
export const nativeResampleLoaded = nativeResample !== undefined;

const PRECISION_BITS = 32 - 8 - 2;
const FIXED_ONE = 2 ** PRECISION_BITS;
const FIXED_HALF = 2 ** (PRECISION_BITS - 1);
const BICUBIC_SUPPORT = 2.0;

/** A rectangle of the resized image, in output pixel coordinates. */
export interface PixelWindow {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** Integer weights of one axis, for output positions first .. first+count-1. */
interface AxisCoefficients {
  /** Maximum taps per output pixel (row stride of `weights`). */
  readonly taps: number;
  /** Per output pixel: first source index, number of source pixels used. */
  readonly bounds: Int32Array;
  readonly weights: Int32Array;
}

/** Keys's cubic convolution kernel with a = -0.5, evaluated in the same order as Pillow (double precision). */
export function bicubicKernel(distance: number): number {
  const a = -0.5;
  const x = distance < 0 ? -distance : distance;
  if (x < 1.0) {
    return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  }
  if (x < 2.0) {
    return (((x - 5) * x + 8) * x - 4) * a;
  }
  return 0.0;
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for the full box [0, inSize], restricted to a window. */
function computeAxisCoefficients(inSize: number, outSize: number, first: number, count: number): AxisCoefficients {
  const scale = inSize / outSize;
  const filterScale = scale < 1.0 ? 1.0 : scale;
  const support = BICUBIC_SUPPORT * filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const inverseFilterScale = 1.0 / filterScale;
  const bounds = new Int32Array(count * 2);
  const weights = new Int32Array(count * taps);
  const real = new Float64Array(taps);

  for (let i = 0; i < count; i++) {
    const center = (first + i + 0.5) * scale;
    // (int) casts in C truncate toward zero; the +0.5 makes them round for positive values.
    const sourceMin = Math.max(0, Math.trunc(center - support + 0.5));
    const sourceEnd = Math.min(inSize, Math.trunc(center + support + 0.5));
    const used = sourceEnd - sourceMin;
    let sum = 0.0;
    for (let t = 0; t < used; t++) {
      const w = bicubicKernel((t + sourceMin - center + 0.5) * inverseFilterScale);
      real[t] = w;
      sum += w;
    }
    const offset = i * taps;
    for (let t = 0; t < used; t++) {
      const w = sum !== 0.0 ? real[t]! / sum : real[t]!;
      weights[offset + t] = w < 0 ? Math.trunc(-0.5 + w * FIXED_ONE) : Math.trunc(0.5 + w * FIXED_ONE);
    }
    bounds[i * 2] = sourceMin;
    bounds[i * 2 + 1] = used;
  }
  return { taps, bounds, weights };
}

/**
 * Pillow's clip8: floor(sum / 2^22) clamped to 0..255. Like Pillow's `int` accumulators, sums stay
 * inside int32 (|weights| sum to < 1.3, so |sum| < 255 * 1.3 * 2^22 < 2^31). Products are computed as
 * doubles (exact) and folded back with `| 0`: Math.imul is ~100x slower under jest's vm sandbox.
 */
function clip8(sum: number): number {
  const value = sum >> PRECISION_BITS;
  return value < 0 ? 0 : value > 255 ? 255 : value;
}

/** Horizontal pass over source rows [firstRow, firstRow + rowCount). */
function resampleRows(
  src: RgbImage,
  firstRow: number,
  rowCount: number,
  coefficients: AxisCoefficients,
  outWidth: number,
  useNative: boolean,
): Uint8Array {
  const { taps, bounds, weights } = coefficients;
  const input = src.data;
  const inStride = src.width * RGB_CHANNELS;
  const out = new Uint8Array(outWidth * rowCount * RGB_CHANNELS);
  if (useNative && nativeResample) {
    nativeResample.resampleRows(input, src.width, firstRow, rowCount, bounds, weights, taps, outWidth, out);
    return out;
  }
  let o = 0;
  for (let row = 0; row < rowCount; row++) {
    const rowStart = (firstRow + row) * inStride;
    for (let x = 0; x < outWidth; x++) {
      const used = bounds[x * 2 + 1]!;
      const kOffset = x * taps;
      let p = rowStart + bounds[x * 2]! * RGB_CHANNELS;
      let r = FIXED_HALF;
      let g = FIXED_HALF;
      let b = FIXED_HALF;
      for (let t = 0; t < used; t++) {
        const w = weights[kOffset + t]!;
        r = (r + input[p]! * w) | 0;
        g = (g + input[p + 1]! * w) | 0;
        b = (b + input[p + 2]! * w) | 0;
        p += RGB_CHANNELS;
      }
      out[o++] = clip8(r);
      out[o++] = clip8(g);
      out[o++] = clip8(b);
    }
  }
  return out;
}

/**
 * Vertical pass; `bounds` of `coefficients` are relative to the first row held in `input`.
 * Accumulates whole rows, four taps at a time (same integer sums as Pillow's per-pixel loop, but
 * sequential memory access: about twice as fast in V8).
 */
function resampleColumns(input: Uint8Array, width: number, coefficients: AxisCoefficients, outHeight: number, useNative: boolean): Uint8Array {
  const { taps, bounds, weights } = coefficients;
  const stride = width * RGB_CHANNELS;
  const out = new Uint8Array(width * outHeight * RGB_CHANNELS);
  if (useNative && nativeResample) {
    nativeResample.resampleColumns(input, width, input.length / stride, bounds, weights, taps, outHeight, out);
    return out;
  }
  const sums = new Int32Array(stride);
  for (let y = 0; y < outHeight; y++) {
    const used = bounds[y * 2 + 1]!;
    const kOffset = y * taps;
    let rowStart = bounds[y * 2]! * stride;
    sums.fill(FIXED_HALF);
    let t = 0;
    for (; t + 3 < used; t += 4) {
      const w0 = weights[kOffset + t]!;
      const w1 = weights[kOffset + t + 1]!;
      const w2 = weights[kOffset + t + 2]!;
      const w3 = weights[kOffset + t + 3]!;
      const r1 = rowStart + stride;
      const r2 = r1 + stride;
      const r3 = r2 + stride;
      for (let c = 0; c < stride; c++) {
        sums[c] =
          (sums[c]! + input[rowStart + c]! * w0 + input[r1 + c]! * w1 + input[r2 + c]! * w2 + input[r3 + c]! * w3) | 0;
      }
      rowStart += 4 * stride;
    }
    for (; t < used; t++) {
      const w = weights[kOffset + t]!;
      for (let c = 0; c < stride; c++) {
        sums[c] = (sums[c]! + input[rowStart + c]! * w) | 0;
      }
      rowStart += stride;
    }
    const outStart = y * stride;
    for (let c = 0; c < stride; c++) {
      out[outStart + c] = clip8(sums[c]!);
    }
  }
  return out;
}

/** Copy of a rectangle of an RGB raster. */
function copyWindow(src: RgbImage, left: number, top: number, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * RGB_CHANNELS);
  const rowBytes = width * RGB_CHANNELS;
  for (let y = 0; y < height; y++) {
    const start = ((top + y) * src.width + left) * RGB_CHANNELS;
    out.set(src.data.subarray(start, start + rowBytes), y * rowBytes);
  }
  return out;
}

function checkWindow(window: PixelWindow, outWidth: number, outHeight: number): void {
  const { left, top, width, height } = window;
  const valid =
    [left, top, width, height].every(Number.isInteger) &&
    left >= 0 &&
    top >= 0 &&
    width >= 1 &&
    height >= 1 &&
    left + width <= outWidth &&
    top + height <= outHeight;
  if (!valid) {
    throw new RangeError(`window ${JSON.stringify(window)} is not inside the ${outWidth}x${outHeight} output`);
  }
}

/** What a resize of one source size to one output window needs; immutable once made, so it is cached. */
interface ResamplePlan {
  /** Horizontal coefficients; undefined when the width is kept (then the window's columns are copied). */
  readonly horizontal: AxisCoefficients | undefined;
  /** Vertical coefficients with bounds relative to `firstRow`; undefined when the height is kept. */
  readonly vertical: AxisCoefficients | undefined;
  /** Source rows the result depends on, in the pixels held (an RgbCrop's rows start at its `top`). */
  readonly firstRow: number;
  readonly rowCount: number;
  /** First source column copied when the width is kept, in the pixels held. */
  readonly left: number;
}

/**
 * Plans by (source size, part of it held, output size, window): a folder of photos has few distinct
 * sizes, and the coefficients of a 500x375 -> 298x224 crop cost about as much as its passes in C.
 */
const planCache = new Map<string, ResamplePlan>();
const PLAN_CACHE_SIZE = 32;

/** Columns [first, end) and rows [first, end) of the full source that a plan reads. */
export interface SourceSpan {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

function fullPlan(srcWidth: number, srcHeight: number, outWidth: number, outHeight: number, window: PixelWindow): ResamplePlan {
  // Source rows the result depends on: all rows the vertical taps touch, or just the window's rows.
  let vertical: AxisCoefficients | undefined;
  let firstRow = window.top;
  let rowCount = window.height;
  if (outHeight !== srcHeight) {
    vertical = computeAxisCoefficients(srcHeight, outHeight, window.top, window.height);
    const { bounds } = vertical;
    firstRow = bounds[0]!;
    let endRow = firstRow;
    for (let i = 0; i < window.height; i++) {
      endRow = Math.max(endRow, bounds[i * 2]! + bounds[i * 2 + 1]!);
      bounds[i * 2] = bounds[i * 2]! - firstRow;
    }
    rowCount = endRow - firstRow;
  }
  const horizontal = outWidth !== srcWidth ? computeAxisCoefficients(srcWidth, outWidth, window.left, window.width) : undefined;
  return { horizontal, vertical, firstRow, rowCount, left: window.left };
}

/** The part of a `srcWidth` x `srcHeight` source that resizing it to outWidth x outHeight reads for `window`. */
export function sourceSpanOf(srcWidth: number, srcHeight: number, outWidth: number, outHeight: number, window: PixelWindow): SourceSpan {
  const plan = cachedPlan(srcWidth, srcHeight, outWidth, outHeight, window, 0, 0);
  let left = plan.left;
  let right = plan.left + window.width;
  const h = plan.horizontal;
  if (h) {
    left = h.bounds[0]!;
    right = left;
    for (let i = 0; i < window.width; i++) {
      left = Math.min(left, h.bounds[i * 2]!);
      right = Math.max(right, h.bounds[i * 2]! + h.bounds[i * 2 + 1]!);
    }
  }
  return { left, top: plan.firstRow, right, bottom: plan.firstRow + plan.rowCount };
}

function cachedPlan(srcWidth: number, srcHeight: number, outWidth: number, outHeight: number, window: PixelWindow, heldLeft: number, heldTop: number): ResamplePlan {
  const key = `${srcWidth}x${srcHeight}+${heldLeft}+${heldTop}>${outWidth}x${outHeight}@${window.left},${window.top},${window.width},${window.height}`;
  const cached = planCache.get(key);
  if (cached) return cached;
  let plan = fullPlan(srcWidth, srcHeight, outWidth, outHeight, window);
  if (heldLeft > 0 || heldTop > 0) {
    // The same coefficients, with source positions counted from the first pixel held.
    const h = plan.horizontal;
    plan = {
      ...plan,
      horizontal: h && { ...h, bounds: h.bounds.map((value, i) => (i % 2 === 0 ? value - heldLeft : value)) },
      firstRow: plan.firstRow - heldTop,
      left: plan.left - heldLeft,
    };
  }
  if (planCache.size >= PLAN_CACHE_SIZE) planCache.delete(planCache.keys().next().value!);
  planCache.set(key, plan);
  return plan;
}

function checkedPlan(src: RgbImage | RgbCrop, outWidth: number, outHeight: number, window: PixelWindow): ResamplePlan {
  assertRgbImage(src);
  if (!Number.isInteger(outWidth) || !Number.isInteger(outHeight) || outWidth < 1 || outHeight < 1) {
    throw new RangeError(`invalid output size ${outWidth}x${outHeight}`);
  }
  checkWindow(window, outWidth, outHeight);
  if (!isRgbCrop(src)) return cachedPlan(src.width, src.height, outWidth, outHeight, window, 0, 0);
  const span = sourceSpanOf(src.fullWidth, src.fullHeight, outWidth, outHeight, window);
  if (span.left < src.left || span.top < src.top || span.right > src.left + src.width || span.bottom > src.top + src.height) {
    throw new RangeError(
      `the ${src.width}x${src.height} crop at (${src.left}, ${src.top}) does not hold columns ${span.left}..${span.right - 1} and rows ${span.top}..${span.bottom - 1} that this resize reads`,
    );
  }
  return cachedPlan(src.fullWidth, src.fullHeight, outWidth, outHeight, window, src.left, src.top);
}

/**
 * Resizes `src` to outWidth x outHeight exactly as Pillow's BICUBIC resize does, and returns the
 * `window` of that result (the whole image by default). An RgbCrop stands for its full image: it must
 * hold every source pixel the window reads (sourceSpanOf), else a RangeError.
 */
export function resizeBicubicRgb(
  src: RgbImage,
  outWidth: number,
  outHeight: number,
  window: PixelWindow = { left: 0, top: 0, width: outWidth, height: outHeight },
  options: { native?: boolean } = {},
): RgbImage {
  const useNative = options.native ?? nativeResampleLoaded;
  const { horizontal, vertical, firstRow, rowCount, left } = checkedPlan(src, outWidth, outHeight, window);
  const rows = horizontal
    ? resampleRows(src, firstRow, rowCount, horizontal, window.width, useNative)
    : copyWindow(src, left, firstRow, window.width, rowCount);
  const data = vertical ? resampleColumns(rows, window.width, vertical, window.height, useNative) : rows;
  return { data, width: window.width, height: window.height };
}

/** Where resizeBicubicToPlanes writes: channel c of pixel (x, y) goes to data[offset + c * planeStride + y * rowStride + x]. */
export interface PlanarTarget {
  readonly data: Float32Array;
  readonly offset: number;
  readonly rowStride: number;
  readonly planeStride: number;
  /** Per channel, 256 floats: what each byte value becomes (R's table, then G's, then B's). */
  readonly tables: Float32Array;
}

/**
 * resizeBicubicRgb's `window`, each byte mapped through `target.tables` into float channel planes,
 * without an intermediate RGB image: with the addon, one C call (both passes and the lookup); without
 * it, the TypeScript loops and then the lookup. Same values either way.
 */
export function resizeBicubicToPlanes(src: RgbImage, outWidth: number, outHeight: number, window: PixelWindow, target: PlanarTarget, options: { native?: boolean } = {}): void {
  const useNative = options.native ?? nativeResampleLoaded;
  const plan = checkedPlan(src, outWidth, outHeight, window);
  const { data, offset, rowStride, planeStride, tables } = target;
  if (useNative && nativeResample) {
    const { horizontal: h, vertical: v } = plan;
    nativeResample.resampleToPlanes(
      src.data, src.width, h?.bounds ?? null, h?.weights ?? null, h?.taps ?? 0, plan.left, plan.firstRow, plan.rowCount,
      v?.bounds ?? null, v?.weights ?? null, v?.taps ?? 0, window.width, window.height, tables, data, offset, rowStride, planeStride,
    );
    return;
  }
  const rgb = resizeBicubicRgb(src, outWidth, outHeight, window, { native: false }).data;
  for (let channel = 0; channel < RGB_CHANNELS; channel++) {
    const tableStart = channel * 256;
    for (let y = 0; y < window.height; y++) {
      let s = y * window.width * RGB_CHANNELS + channel;
      let d = offset + channel * planeStride + y * rowStride;
      for (let x = 0; x < window.width; x++) {
        data[d++] = tables[tableStart + rgb[s]!]!;
        s += RGB_CHANNELS;
      }
    }
  }
}
