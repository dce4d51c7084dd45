/**
 * Small previews of indexed images for a user interface (not for the model: CLIP preprocessing is in
 * clipPreprocess.ts). Unlike decode.ts this keeps colour management (ICC profiles are honoured, output is
 * sRGB) because a person looks at the result.
 */
import sharp from 'sharp';
import { ImageSkipError } from './skipError';

export interface ThumbnailOptions {
  /** Longest side of the thumbnail in pixels; smaller images are not enlarged. */
  readonly maxSide: number;
  /** Refuse images declaring more pixels than this (the decompression-bomb guard of indexing). */
  readonly maxPixels: number;
  /** JPEG quality, 1-100 (default 80). */
  readonly quality?: number;
}

export interface Thumbnail {
  /** JPEG bytes. */
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
  readonly contentType: 'image/jpeg';
}

/**
 * Renders a JPEG thumbnail of the first frame of an image file or buffer: EXIF orientation applied,
 * fitted inside maxSide x maxSide, transparency flattened on white, metadata stripped.
 * Throws ImageSkipError for files that cannot be decoded.
 */
export async function renderThumbnail(source: string | Buffer, options: ThumbnailOptions): Promise<Thumbnail> {
  const { maxSide, maxPixels, quality = 80 } = options;
  if (!Number.isSafeInteger(maxSide) || maxSide < 1) throw new RangeError(`maxSide must be a positive integer, got ${maxSide}`);
  const label = typeof source === 'string' ? source : '<buffer>';
  try {
    const { data, info } = await sharp(source, { failOn: 'truncated', limitInputPixels: maxPixels, autoOrient: true, pages: 1, page: 0 })
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
      .flatten({ background: { r: 255, g: 255, b: 255 } })
      .toColourspace('srgb')
      .jpeg({ quality, mozjpeg: false })
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, contentType: 'image/jpeg' };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/no such file|ENOENT/i.test(message)) throw new ImageSkipError('not-found', `${label}: file not found`, { cause: error });
    if (/unsupported image format/i.test(message)) {
      throw new ImageSkipError('unsupported-format', `${label}: not an image format that can be decoded`, { cause: error });
    }
    if (/exceeds pixel limit/i.test(message)) throw new ImageSkipError('too-many-pixels', `${label}: image exceeds the pixel limit`, { cause: error });
    throw new ImageSkipError('corrupt', `${label}: corrupt or truncated image (${message.split('\n')[0]?.trim() ?? ''})`, { cause: error });
  }
}
