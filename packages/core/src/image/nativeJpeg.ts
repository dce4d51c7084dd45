/**
 * Baseline JPEGs decoded by the system libjpeg-turbo (native/jpegDecode.c, built by scripts/setup.sh)
 * with PIL's settings (JDCT_ISLOW, fancy upsampling): the same RGB bytes as sharp and PIL, at about a
 * third of sharp's CPU. The addon declines whatever it does not handle exactly (progressive, not
 * YCbCr, EXIF orientation other than 1, over the limits, any libjpeg warning or error), and decode.ts
 * then runs sharp as before, which also gives the typed skip for corrupt and truncated files.
 */
import { loadNativeAddon } from './nativeAddon';
import type { RgbCrop, RgbImage } from './rgbImage';

/** Columns [left, right) and rows [top, bottom) of an image: what a caller will read of it. */
export interface PixelRegion {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

/** Picks the region to decode once the size is known; undefined: the whole image. */
export type RegionChooser = (width: number, height: number) => PixelRegion | undefined;

interface JpegDecodeAddon {
  decodeJpeg(
    bytes: Uint8Array,
    maxPixels: number,
    reduceFromShortSide: number,
    chooseRegion?: (width: number, height: number) => number[] | undefined,
  ): { data: Buffer; width: number; height: number; left: number; top: number; regionWidth: number; regionHeight: number } | string;
}

const addon = loadNativeAddon<JpegDecodeAddon>('jpegDecode', 'SIS_NATIVE_JPEG');

/** Whether the libjpeg-turbo addon is in use (false: not built, or SIS_NATIVE_JPEG=0). */
export const nativeJpegLoaded = addon !== undefined;

export type NativeJpegResult = { readonly rgb: RgbImage | RgbCrop } | { readonly declined: string };

/**
 * Decodes `bytes` when it is a JPEG the addon takes; otherwise says why not ('addon not loaded', 'not a
 * JPEG', 'progressive or arithmetic-coded', 'libjpeg error: ...', ...). `reduceFromShortSide`: decline
 * images whose short side is at least this (the caller reduces those on load); 0 = no such limit.
 * With `chooseRegion`, only that part is decoded (widened to whole iMCU columns): the result is then an
 * RgbCrop when it is smaller than the image. Its pixels equal a full decode's except next to the edges
 * of the crop (fancy upsampling), so the region must include a margin around what will be read
 * (clipPreprocess.ts asks for JPEG_REGION_MARGIN).
 */
export function decodeJpegNatively(bytes: Uint8Array, maxPixels: number, reduceFromShortSide: number, chooseRegion?: RegionChooser): NativeJpegResult {
  if (!addon) return { declined: 'addon not loaded' };
  const choose = chooseRegion
    ? (width: number, height: number) => {
        const region = chooseRegion(width, height);
        return region && [region.left, region.top, region.right, region.bottom];
      }
    : undefined;
  const result = addon.decodeJpeg(bytes, maxPixels, reduceFromShortSide, choose);
  if (typeof result === 'string') return { declined: result };
  const { data, width, height, left, top, regionWidth, regionHeight } = result;
  // A plain Uint8Array view (not a Buffer) keeps the resampler's typed-array accesses monomorphic.
  const pixels = new Uint8Array(data.buffer, data.byteOffset, data.length);
  if (regionWidth === width && regionHeight === height) return { rgb: { data: pixels, width, height } };
  return { rgb: { data: pixels, width: regionWidth, height: regionHeight, left, top, fullWidth: width, fullHeight: height } };
}
