/**
 * Image file -> 8-bit RGB pixels with sharp, matching what PIL's `Image.open(f).convert('RGB')` feeds
 * the CLIP reference pipeline:
 * - the embedded ICC profile is IGNORED (`ignoreIcc`): PIL never colour-manages, sharp by default does;
 * - CMYK is converted with PIL's own naive formula, not through an ICC CMYK profile;
 * - only the first frame of an animated image is read, as PIL does.
 * Deliberate differences from PIL, all documented in README.md of this folder: EXIF orientation is
 * applied, transparency is flattened on white (PIL drops alpha), 16-bit greyscale is scaled instead of
 * clipped, truncated files are refused, and very large JPEGs are reduced on load.
 * Baseline YCbCr JPEGs without rotation go to libjpeg-turbo directly (nativeJpeg.ts: same bytes, a
 * third of the CPU); everything it declines, including every bad file, takes the sharp path below.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { decodeJpegNatively, type RegionChooser } from './nativeJpeg';
import { ImageSkipError } from './skipError';
import { isRgbCrop, type RgbCrop, type RgbImage } from './rgbImage';

export interface DecodeOptions {
  /** Refuse images with more pixels than this (one frame, width x height), before decoding them. */
  readonly maxPixels: number;
  /**
   * Smallest short side the decoded raster may have. When a JPEG's short side is at least
   * PRE_REDUCE_MIN_RATIO times this, sharp reduces it on load (DCT scaling, then its own lanczos3 for
   * the remainder) to a short side of exactly this many pixels. Omit to always decode at full size.
   */
  readonly reduceLargeJpegToShortSide?: number;
  /** Decode baseline JPEGs with the libjpeg-turbo addon where it applies (default: whenever it is loaded); false: sharp only. */
  readonly nativeJpeg?: boolean;
  /**
   * Given the image's size, the part of it the caller will read (with its own margin): a JPEG that the
   * addon decodes is then decoded only there, and `rgb` is an RgbCrop when that is less than the
   * whole image. Every other path decodes the whole image.
   */
  readonly region?: RegionChooser;
  /** Names a Buffer source in skip messages (its file's path; default '<buffer>'). */
  readonly label?: string;
}

export interface DecodedImage {
  /** Oriented RGB pixels; smaller than originalWidth x originalHeight after a large-JPEG reduction, or an RgbCrop of it (`region`). */
  readonly rgb: RgbImage | RgbCrop;
  /** Size of the oriented image as stored in the file (what the catalogue records). */
  readonly originalWidth: number;
  readonly originalHeight: number;
  /** sharp's name of the detected format: 'jpeg', 'png', 'webp', 'gif', 'tiff', 'heif'. */
  readonly format: string;
}

/** Raster formats that PIL opens as well; vector/document formats (svg, pdf) are refused on purpose. */
const ACCEPTED_FORMATS: ReadonlySet<string> = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif']);

/**
 * sharp only uses JPEG shrink-on-load when the requested reduction is >= 3 (a factor 2 is refused for
 * reductions in [2, 3) because of libjpeg rounding), so below that ratio a pre-reduction would add a
 * resampling step without saving any decoding work.
 */
const PRE_REDUCE_MIN_RATIO = 3;

/** 'truncated' refuses cut-off files (like PIL without LOAD_TRUNCATED_IMAGES) but tolerates benign libjpeg warnings. */
const FAIL_ON = 'truncated';

const WHITE = { r: 255, g: 255, b: 255 };

async function readImageBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw readError(path, error);
  }
}

/**
 * The bytes of an image file, read synchronously: for a thread that only decodes (a decode worker), where
 * the asynchronous read's round trips through the libuv pool cost more CPU than the read itself. Throws the
 * same ImageSkipError as decodeImage for a missing or unreadable file.
 */
export function readImageFileSync(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw readError(path, error);
  }
}

function readError(path: string, error: unknown): ImageSkipError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new ImageSkipError('not-found', `${path}: file not found`, { cause: error });
  }
  const detail = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String(code ?? error);
  return new ImageSkipError('unreadable', `${path}: cannot read file (${detail})`, { cause: error });
}

/** Maps a sharp/libvips error to a skip reason; libvips reports problems only as message text. */
function skipErrorFromSharp(label: string, error: unknown): ImageSkipError {
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = message.split('\n')[0]?.trim() ?? '';
  if (/unsupported image format/i.test(message)) {
    return new ImageSkipError('unsupported-format', `${label}: not an image format that can be decoded`, { cause: error });
  }
  if (/exceeds pixel limit/i.test(message)) {
    return new ImageSkipError('too-many-pixels', `${label}: image exceeds the pixel limit`, { cause: error });
  }
  return new ImageSkipError('corrupt', `${label}: corrupt or truncated image (${firstLine})`, { cause: error });
}

/** Header-only read: format and dimensions, without decoding (nor allocating) pixels. */
async function readHeader(bytes: Buffer, label: string): Promise<sharp.Metadata> {
  try {
    // No pixel limit here: the header is small whatever it declares, and we want to report the size.
    return await sharp(bytes, { failOn: FAIL_ON, limitInputPixels: false, autoOrient: true }).metadata();
  } catch (error) {
    throw skipErrorFromSharp(label, error);
  }
}

/** Pillow's cmyk2rgb: channel = (255-K) - (ink * (255-K)) / 255, with Pillow's rounding MULDIV255. */
function pilCmykToRgb(cmyk: Uint8Array, channels: number, pixelCount: number): Uint8Array {
  const rgb = new Uint8Array(pixelCount * 3);
  for (let i = 0, s = 0, d = 0; i < pixelCount; i++, s += channels) {
    const inverseK = 255 - cmyk[s + 3]!;
    for (let c = 0; c < 3; c++) {
      const product = cmyk[s + c]! * inverseK + 128;
      rgb[d++] = inverseK - (((product >> 8) + product) >> 8);
    }
  }
  return rgb;
}

interface CheckedHeader {
  readonly format: string;
  /** Oriented size (EXIF orientation applied). */
  readonly width: number;
  readonly height: number;
  readonly isCmyk: boolean;
}

/** Accepts the header or throws the reason to skip: unaccepted format, no size, too many pixels. */
function checkHeader(header: sharp.Metadata, label: string, maxPixels: number): CheckedHeader {
  const { format, width, height } = header;
  if (!ACCEPTED_FORMATS.has(format)) {
    throw new ImageSkipError('unsupported-format', `${label}: format '${format}' is not accepted`);
  }
  if (!(width >= 1 && height >= 1)) {
    throw new ImageSkipError('corrupt', `${label}: header declares no valid dimensions`);
  }
  // For animated images `height` is one frame's height, and only the first frame is decoded.
  if (width * height > maxPixels) {
    throw new ImageSkipError('too-many-pixels', `${label}: ${width}x${height} exceeds the limit of ${maxPixels} pixels`);
  }
  const oriented = header.autoOrient ?? { width, height };
  return { format, width: oriented.width, height: oriented.height, isCmyk: header.space === 'cmyk' };
}

/** Decodes the first frame to oriented 8-bit RGB, optionally reduced on load to the given short side. */
async function decodePixels(bytes: Buffer, label: string, header: CheckedHeader, maxPixels: number, reduceToShortSide?: number): Promise<RgbImage> {
  let pipeline = sharp(bytes, {
    failOn: FAIL_ON,
    limitInputPixels: maxPixels,
    ignoreIcc: true,
    autoOrient: true,
    pages: 1,
    page: 0,
  });
  if (reduceToShortSide !== undefined) {
    // Only the short side is given: sharp derives the long side and uses JPEG DCT shrink-on-load.
    const target = header.width <= header.height ? { width: reduceToShortSide } : { height: reduceToShortSide };
    pipeline = pipeline.resize({ ...target, fastShrinkOnLoad: true });
  }
  pipeline = header.isCmyk
    ? pipeline.pipelineColourspace('cmyk').toColourspace('cmyk')
    : pipeline.flatten({ background: WHITE }).toColourspace('srgb');

  let decoded: { data: Buffer; info: sharp.OutputInfo };
  try {
    decoded = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw skipErrorFromSharp(label, error);
  }
  const { data, info } = decoded;
  const pixelCount = info.width * info.height;
  // A plain Uint8Array view (not a Buffer) keeps the resampler's typed-array accesses monomorphic.
  const rgb = header.isCmyk ? pilCmykToRgb(data, info.channels, pixelCount) : new Uint8Array(data.buffer, data.byteOffset, data.length);
  if (rgb.length !== pixelCount * 3) {
    throw new ImageSkipError('unsupported-format', `${label}: decoded to ${info.channels} channels, expected RGB`);
  }
  return { data: rgb, width: info.width, height: info.height };
}

/**
 * Decodes an image file or buffer to oriented 8-bit RGB. Throws ImageSkipError (never a generic error)
 * for missing, unreadable, empty, unsupported, corrupt, truncated or oversized images.
 */
export async function decodeImage(source: string | Buffer, options: DecodeOptions): Promise<DecodedImage> {
  const { maxPixels, reduceLargeJpegToShortSide } = options;
  if (!Number.isSafeInteger(maxPixels) || maxPixels < 1) {
    throw new RangeError(`maxPixels must be a positive integer, got ${maxPixels}`);
  }
  const label = typeof source === 'string' ? source : (options.label ?? '<buffer>');
  const bytes = typeof source === 'string' ? await readImageBytes(source) : source;
  if (bytes.length === 0) {
    throw new ImageSkipError('empty-file', `${label}: file is empty`);
  }
  if (options.nativeJpeg !== false) {
    const reduceFrom = reduceLargeJpegToShortSide === undefined ? 0 : PRE_REDUCE_MIN_RATIO * reduceLargeJpegToShortSide;
    const native = decodeJpegNatively(bytes, maxPixels, reduceFrom, options.region);
    if ('rgb' in native) {
      const { rgb } = native;
      const [originalWidth, originalHeight] = isRgbCrop(rgb) ? [rgb.fullWidth, rgb.fullHeight] : [rgb.width, rgb.height];
      return { rgb, originalWidth, originalHeight, format: 'jpeg' };
    }
  }
  const header = checkHeader(await readHeader(bytes, label), label, maxPixels);
  const reduce =
    reduceLargeJpegToShortSide !== undefined &&
    header.format === 'jpeg' &&
    !header.isCmyk &&
    Math.min(header.width, header.height) >= PRE_REDUCE_MIN_RATIO * reduceLargeJpegToShortSide;
  const rgb = await decodePixels(bytes, label, header, maxPixels, reduce ? reduceLargeJpegToShortSide : undefined);
  return { rgb, originalWidth: header.width, originalHeight: header.height, format: header.format };
}
