/** 8-bit RGB pixels, row-major, interleaved (R, G, B per pixel, no padding between rows). */
export interface RgbImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

export const RGB_CHANNELS = 3;

/** Part of a larger image: `data` (width x height) holds columns [left, left + width) and rows [top, top + height) of a fullWidth x fullHeight image. */
export interface RgbCrop extends RgbImage {
  readonly left: number;
  readonly top: number;
  readonly fullWidth: number;
  readonly fullHeight: number;
}

export function isRgbCrop(image: RgbImage): image is RgbCrop {
  return 'fullWidth' in image;
}

export function assertRgbImage(image: RgbImage): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`invalid image size ${width}x${height}`);
  }
  if (data.length !== width * height * RGB_CHANNELS) {
    throw new RangeError(`RGB buffer holds ${data.length} bytes, expected ${width * height * RGB_CHANNELS}`);
  }
}
