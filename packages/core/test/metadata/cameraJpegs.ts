import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

/** EXIF tags as sharp writes them (libvips string forms: rationals "n/d", GPS as "deg/1 min/1 sec/100"). */
export interface ExifTags {
  make?: string;
  model?: string;
  /** 'YYYY:MM:DD HH:MM:SS', as cameras write it. */
  dateTimeOriginal?: string;
  gps?: { latitude: string; latitudeRef: 'N' | 'S'; longitude: string; longitudeRef: 'E' | 'W' };
  /** EXIF orientation 1..8. */
  orientation?: number;
}

/** Writes a real JPEG (encoded by libvips, EXIF block as a camera writes one) with the given tags. */
export async function writeCameraJpeg(filePath: string, width: number, height: number, tags: ExifTags): Promise<void> {
  fs.mkdirSync(path.dirname(filePath), { recursive: true });
  let image = sharp({ create: { width, height, channels: 3, background: { r: 40, g: 90, b: 160 } } });
  const ifd0: Record<string, string> = {};
  if (tags.make !== undefined) ifd0['Make'] = tags.make;
  if (tags.model !== undefined) ifd0['Model'] = tags.model;
  const exif: Record<string, Record<string, string>> = { IFD0: ifd0 };
  if (tags.dateTimeOriginal !== undefined) exif['IFD2'] = { DateTimeOriginal: tags.dateTimeOriginal };
  if (tags.gps) {
    exif['IFD3'] = { GPSLatitudeRef: tags.gps.latitudeRef, GPSLatitude: tags.gps.latitude, GPSLongitudeRef: tags.gps.longitudeRef, GPSLongitude: tags.gps.longitude };
  }
  image = image.withExif(exif);
  if (tags.orientation !== undefined) image = image.withMetadata({ orientation: tags.orientation });
  await image.jpeg({ quality: 85 }).toFile(filePath);
}

/** A JPEG whose EXIF (APP1) segment is garbage after its header: parsers must cope. */
export async function writeCorruptExifJpeg(filePath: string): Promise<void> {
  await writeCameraJpeg(filePath, 40, 30, { make: 'Nikon', model: 'D750', dateTimeOriginal: '2019:01:02 03:04:05' });
  const bytes = fs.readFileSync(filePath);
  const app1 = bytes.indexOf(Buffer.from([0xff, 0xe1]));
  // Keep the marker, length and "Exif\0\0"; scramble the TIFF header and IFDs.
  for (let i = app1 + 10; i < app1 + 60 && i < bytes.length; i++) bytes[i] = (i * 37) & 0xff;
  fs.writeFileSync(filePath, bytes);
}
