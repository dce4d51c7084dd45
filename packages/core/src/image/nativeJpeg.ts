/**
 * Baseline JPEGs decoded by the system libjpeg-turbo (native/jpegDecode.c, built by scripts/setup.sh)
 * with PIL's settings (JDCT_ISLOW, fancy upsampling): the same RGB bytes as sharp and PIL, at about a
 * third of sharp's CPU. The addon declines whatever it does not handle exactly (progressive, not
 * YCbCr, EXIF orientation other than 1, over the limits, any libjpeg warning or error), and decode.ts
 * then runs sharp as before, which also gives the typed skip for corrupt and truncated files.
 */
import { loadNativeAddon } from './nativeAddon';
import type { RgbImage } from './rgbImage';

interface JpegDecodeAddon {
  decodeJpeg(bytes: Uint8Array, maxPixels: number, reduceFromShortSide: number): { data: Buffer; width: number; height: number } | string;
}

const addon = loadNativeAddon<JpegDecodeAddon>('jpegDecode', 'SIS_NATIVE_JPEG');

/** Whether the libjpeg-turbo addon is in use (false: not built, or SIS_NATIVE_JPEG=0). */
export const nativeJpegLoaded = addon !== undefined;

export type NativeJpegResult = { readonly rgb: RgbImage } | { readonly declined: string };

/**
 * Decodes `bytes` when it is a JPEG the addon takes; otherwise says why not ('addon not loaded', 'not a
 * JPEG', 'progressive or arithmetic-coded', 'libjpeg error: ...', ...). `reduceFromShortSide`: decline
 * images whose short side is at least this (the caller reduces those on load); 0 = no such limit.
 */
export function decodeJpegNatively(bytes: Uint8Array, maxPixels: number, reduceFromShortSide: number): NativeJpegResult {
  if (!addon) return { declined: 'addon not loaded' };
  const result = addon.decodeJpeg(bytes, maxPixels, reduceFromShortSide);
  if (typeof result === 'string') return { declined: result };
  const { data, width, height } = result;
  // A plain Uint8Array view (not a Buffer) keeps the resampler's typed-array accesses monomorphic.
  return { rgb: { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width, height } };
}
