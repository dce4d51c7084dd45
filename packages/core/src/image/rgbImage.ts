/** 8-bit RGB pixels, row-major, interleaved (R, G, B per pixel, no padding between rows). */
export interface RgbImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

export const RGB_CHANNELS = 3;

export function assertRgbImage(image: RgbImage): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`invalid image size ${width}x${height}`);
  }
  if (data.length !== width * height * RGB_CHANNELS) {
    throw new RangeError(`RGB buffer holds ${data.length} bytes, expected ${width * height * RGB_CHANNELS}`);
  }
}
