import path from 'node:path';
import exifr from 'exifr';
import sharp from 'sharp';
import type { ImageMetadata, Orientation } from './types';

/** What a decode already learnt of an image: sharp's format name and its size as displayed (EXIF orientation applied). */
export interface DecodedHeader {
  readonly format: string;
  readonly width: number;
  readonly height: number;
}

/**
 * Reads an image's metadata from its header and EXIF block, without decoding pixels or running a model (so a
 * reindex can fill it in for images embedded before it was recorded). Missing, corrupt or absurd tags become
 * nulls; only a file whose header cannot be read at all gives undefined.
 */
export async function readImageMetadata(filePath: string, root: string): Promise<ImageMetadata | undefined> {
  let header: sharp.Metadata;
  try {
    header = await sharp(filePath, { limitInputPixels: false }).metadata();
  } catch {
    return undefined;
  }
  if (!(header.width >= 1 && header.height >= 1)) return undefined;
  // EXIF orientations 5..8 turn the image by 90 degrees.
  const turned = (header.orientation ?? 1) >= 5;
  const oriented = { format: header.format, width: turned ? header.height : header.width, height: turned ? header.width : header.height };
  return metadataOf(filePath, root, oriented, await readExif(filePath));
}

/**
 * readImageMetadata for a file just decoded: the same result from the bytes already in memory and the size the
 * decoder found, so the file is neither opened again nor its header parsed a second time.
 */
export async function imageMetadataOfDecoded(bytes: Uint8Array, filePath: string, root: string, header: DecodedHeader): Promise<ImageMetadata> {
  return metadataOf(filePath, root, header, await readExif(bytes));
}

function metadataOf(filePath: string, root: string, header: DecodedHeader, exif: Exif | undefined): ImageMetadata {
  const position = gpsOf(exif);
  return {
    folder: folderOf(filePath, root),
    fileType: fileTypeOf(header.format, filePath),
    orientation: orientationOf(header.width, header.height),
    takenAt: takenAtOf(exif),
    cameraMake: textOf(exif?.['Make']),
    cameraModel: textOf(exif?.['Model']),
    latitude: position?.latitude ?? null,
    longitude: position?.longitude ?? null,
  };
}

export function orientationOf(width: number, height: number): Orientation {
  return width > height ? 'landscape' : width < height ? 'portrait' : 'square';
}

export function folderOf(filePath: string, root: string): string {
  const relative = path.relative(root, path.dirname(filePath));
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return '';
  return relative.split(path.sep).join('/');
}

function fileTypeOf(format: string | undefined, filePath: string): string {
  const named = (format ?? path.extname(filePath).slice(1)).toLowerCase();
  return named === 'jpg' ? 'jpeg' : named === 'tif' ? 'tiff' : named;
}

type Exif = Record<string, unknown>;

/** From the file (only its first chunk is read) or from its bytes in memory. */
async function readExif(source: string | Uint8Array): Promise<Exif | undefined> {
  try {
    // Dates as the raw strings (exifr's revived Dates roll month 13 over into the next year); GPS gives decimal latitude/longitude.
    const parsed: unknown = await exifr.parse(source, {
      tiff: true,
      exif: true,
      gps: true,
      ifd1: false,
      interop: false,
      xmp: false,
      icc: false,
      iptc: false,
      jfif: false,
      ihdr: false,
      reviveValues: false,
      pick: ['Make', 'Model', 'DateTimeOriginal', 'DateTimeDigitized', 'CreateDate', 'GPSLatitude', 'GPSLatitudeRef', 'GPSLongitude', 'GPSLongitudeRef'],
    });
    return parsed && typeof parsed === 'object' ? (parsed as Exif) : undefined;
  } catch {
    // Corrupt or truncated EXIF: the image is still indexed, without these fields.
    return undefined;
  }
}

/** The first photograph: earlier dates (and any more than a day in the future) are broken clocks or corrupt tags. */
const EARLIEST_PHOTO_MS = Date.UTC(1826, 0, 1);
const DAY_MS = 86_400_000;

function takenAtOf(exif: Exif | undefined): number | null {
  for (const tag of ['DateTimeOriginal', 'DateTimeDigitized', 'CreateDate']) {
    const value = exif?.[tag];
    const ms = dateMs(value);
    if (ms !== undefined && ms >= EARLIEST_PHOTO_MS && ms <= Date.now() + DAY_MS) return ms;
  }
  return null;
}

/**
 * EXIF dates carry no zone; exifr revives them as local time. Stored as if UTC (the wall-clock time on the
 * camera), so that a date filter means the same on every server.
 */
function dateMs(value: unknown): number | undefined {
  if (value instanceof Date && Number.isFinite(value.getTime())) {
    return Date.UTC(value.getFullYear(), value.getMonth(), value.getDate(), value.getHours(), value.getMinutes(), value.getSeconds(), value.getMilliseconds());
  }
  if (typeof value === 'string') {
    const match = /^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(value.trim());
    if (!match) return undefined;
    const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
    const ms = Date.UTC(year, month - 1, day, hour, minute, second);
    // Date.UTC rolls 31 February over into March: such a date is corrupt.
    return Number.isFinite(ms) && new Date(ms).getUTCDate() === day ? ms : undefined;
  }
  return undefined;
}

const MAX_TEXT = 64;

function textOf(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  // eslint-disable-next-line no-control-regex
  const text = value.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, MAX_TEXT);
  return text === '' ? null : text;
}

function gpsOf(exif: Exif | undefined): { latitude: number; longitude: number } | undefined {
  const latitude = exif?.['latitude'];
  const longitude = exif?.['longitude'];
  if (typeof latitude !== 'number' || typeof longitude !== 'number') return undefined;
  if (!(Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180)) return undefined;
  // 0,0 is what cameras without a fix write.
  if (latitude === 0 && longitude === 0) return undefined;
  return { latitude, longitude };
}
