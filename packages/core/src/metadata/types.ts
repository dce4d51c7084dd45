/** What the catalogue records about an image besides its vector (catalogue migration 3), for filters and sorting. */
export type Orientation = 'landscape' | 'portrait' | 'square';

export interface ImageMetadata {
  /** Folder of the file relative to the indexed root, '/'-separated; '' for the root itself. */
  folder: string;
  /** Lower-case format as the decoder names it: 'jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'heif'. */
  fileType: string;
  /** Of the image as displayed (EXIF rotation applied). */
  orientation: Orientation;
  /** EXIF DateTimeOriginal (else DateTimeDigitized / CreateDate), ms since the epoch read as UTC; null when absent or absurd. */
  takenAt: number | null;
  cameraMake: string | null;
  cameraModel: string | null;
  /** WGS84 degrees; both null when absent or out of range. */
  latitude: number | null;
  longitude: number | null;
}
