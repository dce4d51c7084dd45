import type { ImageMetadata, Orientation } from '../metadata';

/**
 * The metadata columns of catalogue migration 3, shared by both backends (same names and meaning). A row whose
 * metadata_read_at is NULL has not been read yet: the next reindex reads it without re-embedding.
 */
export const IMAGE_METADATA_COLUMNS = [
  'folder TEXT',
  'file_type TEXT',
  "orientation TEXT CHECK (orientation IN ('landscape', 'portrait', 'square'))",
  'taken_at REAL',
  'camera_make TEXT',
  'camera_model TEXT',
  'latitude REAL',
  'longitude REAL',
  'metadata_read_at INTEGER',
] as const;

/** An indexed image as filters and date sorting see it. */
export interface FilterableImage {
  id: number;
  mtimeMs: number;
  width: number;
  height: number;
  /** Null until the metadata has been read (rows embedded before migration 3, until their next reindex). */
  metadata: ImageMetadata | null;
}

export interface FilterableRow {
  id: number;
  mtime_ms: number;
  width: number;
  height: number;
  folder: string | null;
  file_type: string | null;
  orientation: string | null;
  taken_at: number | null;
  camera_make: string | null;
  camera_model: string | null;
  latitude: number | null;
  longitude: number | null;
  metadata_read_at: number | null;
}

export const FILTERABLE_COLUMNS =
  'id, mtime_ms, width, height, folder, file_type, orientation, taken_at, camera_make, camera_model, latitude, longitude, metadata_read_at';

export function toFilterableImage(row: FilterableRow): FilterableImage {
  return {
    id: Number(row.id),
    mtimeMs: row.mtime_ms,
    width: row.width,
    height: row.height,
    metadata:
      row.metadata_read_at === null
        ? null
        : {
            folder: row.folder ?? '',
            fileType: row.file_type ?? '',
            orientation: (row.orientation ?? 'square') as Orientation,
            takenAt: row.taken_at,
            cameraMake: row.camera_make,
            cameraModel: row.camera_model,
            latitude: row.latitude,
            longitude: row.longitude,
          },
  };
}

/** The values of the metadata columns (in IMAGE_METADATA_COLUMNS order) for an UPDATE or INSERT. */
export function metadataValues(metadata: ImageMetadata, readAt: number): (string | number | null)[] {
  return [
    metadata.folder,
    metadata.fileType,
    metadata.orientation,
    metadata.takenAt,
    metadata.cameraMake,
    metadata.cameraModel,
    metadata.latitude,
    metadata.longitude,
    readAt,
  ];
}

export const METADATA_COLUMN_NAMES = IMAGE_METADATA_COLUMNS.map((column) => column.split(' ')[0]!);

/** The row with this id in a list ordered by id (as filterableImages returns it): binary search. */
export function filterableById(images: readonly FilterableImage[], id: number): FilterableImage | undefined {
  let low = 0;
  let high = images.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const at = images[mid]!.id;
    if (at === id) return images[mid];
    if (at < id) low = mid + 1;
    else high = mid - 1;
  }
  return undefined;
}
