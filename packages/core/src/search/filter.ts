import type { Orientation } from '../metadata';
import type { FilterableImage } from '../store/metadataRows';

/**
 * Which images a search may return. Every field narrows (all must hold). Images whose metadata has not been
 * read yet (embedded before it was recorded, until their next reindex) pass only filters on size, orientation
 * and date, which are known without it (the date is then the file's mtime).
 */
export interface SearchFilter {
  /** Folder relative to the indexed root, and everything below it: 'trips/2023' matches 'trips/2023/rome', not 'trips/20234'. */
  folder?: string;
  /** Date taken (EXIF), else the file's modification time, in ms since the epoch: from (inclusive) ... */
  takenFrom?: number;
  /** ... to (exclusive). */
  takenTo?: number;
  /** File types as recorded ('jpeg', 'png', 'webp', ...); 'jpg' means 'jpeg'. */
  fileTypes?: readonly string[];
  minWidth?: number;
  minHeight?: number;
  maxWidth?: number;
  maxHeight?: number;
  orientation?: Orientation;
  /** Case-insensitive part of "make model", e.g. 'canon' or 'EOS 5D'. */
  camera?: string;
  /** Within radiusKm (great-circle) of a point; images without GPS never match. */
  near?: { latitude: number; longitude: number; radiusKm: number };
}

export class InvalidFilterError extends Error {
  override readonly name = 'InvalidFilterError';
}

const ORIENTATIONS: readonly Orientation[] = ['landscape', 'portrait', 'square'];

/** Checks a filter and returns it normalised (trimmed folder, lower-case types); throws InvalidFilterError with what is wrong. */
export function normaliseFilter(filter: SearchFilter): SearchFilter {
  const out: SearchFilter = { ...filter };
  if (filter.folder !== undefined) {
    const folder = filter.folder.trim().replace(/\\/g, '/').replace(/^\.?\/+|\/+$/g, '');
    if (folder.split('/').some((part) => part === '..')) throw new InvalidFilterError(`folder must lie inside the indexed folder, got "${filter.folder}"`);
    out.folder = folder;
  }
  for (const name of ['takenFrom', 'takenTo'] as const) {
    const value = filter[name];
    if (value !== undefined && !Number.isFinite(value)) throw new InvalidFilterError(`${name} must be a date, got ${value}`);
  }
  if (filter.takenFrom !== undefined && filter.takenTo !== undefined && filter.takenFrom >= filter.takenTo) {
    throw new InvalidFilterError('takenFrom must be before takenTo');
  }
  if (filter.fileTypes !== undefined) {
    if (filter.fileTypes.length === 0) throw new InvalidFilterError('fileTypes must name at least one type (leave it out to allow all)');
    out.fileTypes = filter.fileTypes.map((type) => {
      const lower = type.trim().toLowerCase().replace(/^\./, '');
      return lower === 'jpg' ? 'jpeg' : lower === 'tif' ? 'tiff' : lower;
    });
  }
  for (const name of ['minWidth', 'minHeight', 'maxWidth', 'maxHeight'] as const) {
    const value = filter[name];
    if (value !== undefined && !(Number.isInteger(value) && value >= 0)) throw new InvalidFilterError(`${name} must be a whole number of pixels >= 0, got ${value}`);
  }
  if ((filter.minWidth ?? 0) > (filter.maxWidth ?? Infinity)) throw new InvalidFilterError('minWidth is above maxWidth');
  if ((filter.minHeight ?? 0) > (filter.maxHeight ?? Infinity)) throw new InvalidFilterError('minHeight is above maxHeight');
  if (filter.orientation !== undefined && !ORIENTATIONS.includes(filter.orientation)) {
    throw new InvalidFilterError(`orientation must be one of ${ORIENTATIONS.join(', ')}, got "${String(filter.orientation)}"`);
  }
  if (filter.camera !== undefined) {
    const camera = filter.camera.trim().toLowerCase();
    if (camera === '') throw new InvalidFilterError('camera is empty (leave it out to allow all)');
    out.camera = camera;
  }
  if (filter.near !== undefined) {
    const { latitude, longitude, radiusKm } = filter.near;
    if (!(Math.abs(latitude) <= 90)) throw new InvalidFilterError(`near.latitude must be from -90 to 90, got ${latitude}`);
    if (!(Math.abs(longitude) <= 180)) throw new InvalidFilterError(`near.longitude must be from -180 to 180, got ${longitude}`);
    if (!(radiusKm > 0 && Number.isFinite(radiusKm))) throw new InvalidFilterError(`near.radiusKm must be a positive number, got ${radiusKm}`);
  }
  return out;
}

/**
 * An ISO 8601 date or date-time as ms since the epoch, undefined when it is not one. A date or date-time
 * without a zone is UTC (EXIF dates, which carry no zone, are stored as UTC wall-clock time).
 */
export function parseFilterDate(value: string): number | undefined {
  const text = value.trim();
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour = '00', minute = '00', second = '00', fraction = '', zone = 'Z'] = match;
  const ms = Date.parse(`${year}-${month}-${day}T${hour}:${minute}:${second}${fraction}${zone}`);
  // Date.parse accepts 2023-02-31 (as 3 March) on some engines: check the day survived.
  if (!Number.isFinite(ms) || (zone === 'Z' && new Date(ms).getUTCDate() !== Number(day))) return undefined;
  return ms;
}

/** The date filters and date sorting use: taken (EXIF), else the file's modification time. */
export function dateOf(image: FilterableImage): number {
  return image.metadata?.takenAt ?? image.mtimeMs;
}

/** A predicate for a normalised filter. */
export function matcherOf(filter: SearchFilter): (image: FilterableImage) => boolean {
  const { folder, takenFrom, takenTo, minWidth, minHeight, maxWidth, maxHeight, orientation, camera, near } = filter;
  const types = filter.fileTypes ? new Set(filter.fileTypes) : undefined;
  const needsMetadata = folder !== undefined || types !== undefined || camera !== undefined || near !== undefined;
  return (image) => {
    const { metadata } = image;
    if (needsMetadata && !metadata) return false;
    if (folder !== undefined && folder !== '' && metadata!.folder !== folder && !metadata!.folder.startsWith(`${folder}/`)) return false;
    if (types && !types.has(metadata!.fileType)) return false;
    if (takenFrom !== undefined || takenTo !== undefined) {
      const date = dateOf(image);
      if (takenFrom !== undefined && date < takenFrom) return false;
      if (takenTo !== undefined && date >= takenTo) return false;
    }
    if (minWidth !== undefined && image.width < minWidth) return false;
    if (minHeight !== undefined && image.height < minHeight) return false;
    if (maxWidth !== undefined && image.width > maxWidth) return false;
    if (maxHeight !== undefined && image.height > maxHeight) return false;
    if (orientation !== undefined && (metadata?.orientation ?? shapeOf(image)) !== orientation) return false;
    if (camera !== undefined && !`${metadata!.cameraMake ?? ''} ${metadata!.cameraModel ?? ''}`.toLowerCase().includes(camera)) return false;
    if (near !== undefined) {
      const { latitude, longitude } = metadata!;
      if (latitude === null || longitude === null) return false;
      if (distanceKm(latitude, longitude, near.latitude, near.longitude) > near.radiusKm) return false;
    }
    return true;
  };
}

function shapeOf(image: FilterableImage): Orientation {
  return image.width > image.height ? 'landscape' : image.width < image.height ? 'portrait' : 'square';
}

const EARTH_RADIUS_KM = 6371.0088;

/** Great-circle distance (haversine). */
export function distanceKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}
