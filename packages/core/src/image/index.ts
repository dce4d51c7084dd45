/**
 * The engine's image module: image file -> CLIP `pixel_values`, with parity with the Python reference
 * (transformers CLIPImageProcessorPil on PIL). See README.md in this folder for the exact contract.
 */
import { clipSourceRegion, toClipPixelValues, type ClipPreprocessSpec } from './clipPreprocess';
import { decodeImage } from './decode';

export { clipSourceRegion, parsePreprocessorConfig, pixelValueCount, toClipPixelValues, type ClipPreprocessSpec, type PixelSlot } from './clipPreprocess';
export { parseSiglipPreprocessorConfig } from './siglipPreprocess';
export { decodeImage, readImageFileSync, type DecodedImage } from './decode';
export { nativeJpegLoaded } from './nativeJpeg';
export { ImageSkipError, isImageSkipError, type SkipReason } from './skipError';
export { renderThumbnail, type Thumbnail, type ThumbnailOptions } from './thumbnail';
export { readImageHeader, type ImageHeader } from './header';
export { countExifFields, countTiffFields } from './exifFields';

export interface PreparedImage {
  /** Float32 [3, cropHeight, cropWidth], channel-first, normalised: ready for the vision model. */
  readonly pixelValues: Float32Array;
  /** Oriented size of the original image (what the catalogue stores). */
  readonly width: number;
  readonly height: number;
}

export interface ImageLimits {
  /** Images with more pixels (width x height of one frame) are skipped with reason 'too-many-pixels'. */
  readonly maxPixels: number;
}

/**
 * Large JPEGs are reduced on load to a short side of this many times the model's shortest edge
 * before the exact PIL resize: the one deviation from PIL, and only for images whose short side is
 * at least 3x larger than that (so never for the reference images, which are <= 500 px).
 */
const PRE_REDUCE_FACTOR = 4;

/** Decodes `source` (path or file bytes) and turns it into CLIP pixel values. Throws ImageSkipError for bad files. */
export async function prepareClipImage(
  source: string | Buffer,
  spec: ClipPreprocessSpec,
  limits: ImageLimits,
): Promise<PreparedImage> {
  return (await prepareClipImageOf(source, spec, limits)).image;
}

/**
 * prepareClipImage, also giving the format the decoder found (sharp's name: 'jpeg', 'png'...), so that a caller
 * holding the file's bytes can read its metadata without parsing its header again. `label` names a Buffer
 * source in skip messages (its path).
 */
export async function prepareClipImageOf(
  source: string | Buffer,
  spec: ClipPreprocessSpec,
  limits: ImageLimits,
  label?: string,
): Promise<{ image: PreparedImage; format: string }> {
  const decoded = await decodeImage(source, {
    maxPixels: limits.maxPixels,
    reduceLargeJpegToShortSide: PRE_REDUCE_FACTOR * spec.shortestEdge,
    // A JPEG is decoded only where the resize reads it (plus a margin): the same pixels, less work.
    region: (width, height) => clipSourceRegion(width, height, spec),
    ...(label !== undefined ? { label } : {}),
  });
  const originalSize = { width: decoded.originalWidth, height: decoded.originalHeight };
  const image = {
    pixelValues: toClipPixelValues(decoded.rgb, spec, originalSize),
    width: decoded.originalWidth,
    height: decoded.originalHeight,
  };
  return { image, format: decoded.format };
}
