/** Per-image metadata (folder, type, orientation, EXIF date, camera, GPS): read at index time, used by filters. */
export { readImageMetadata, imageMetadataOfDecoded, orientationOf, folderOf, type DecodedHeader } from './read';
export type { ImageMetadata, Orientation } from './types';
