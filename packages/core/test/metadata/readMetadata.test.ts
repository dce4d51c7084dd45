import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { prepareClipImageOf } from '../../src/image';
import { imageMetadataOfDecoded, readImageMetadata } from '../../src/metadata';
import { makeTempDir, removeTempDirs } from '../store/helpers';
import { writeCameraJpeg, writeCorruptExifJpeg } from './cameraJpegs';

afterAll(removeTempDirs);

describe('readImageMetadata on camera JPEGs with known tags', () => {
  const root = makeTempDir();

  test('make, model, date taken, GPS, folder, type and orientation', async () => {
    const file = path.join(root, 'trips', 'paris', 'eiffel.jpg');
    await writeCameraJpeg(file, 64, 48, {
      make: 'Canon',
      model: 'Canon EOS 5D Mark IV',
      dateTimeOriginal: '2021:07:14 18:30:05',
      gps: { latitude: '48/1 51/1 2430/100', latitudeRef: 'N', longitude: '2/1 17/1 4000/100', longitudeRef: 'E' },
    });
    const metadata = await readImageMetadata(file, root);
    expect(metadata).toEqual({
      folder: 'trips/paris',
      fileType: 'jpeg',
      orientation: 'landscape',
      takenAt: Date.UTC(2021, 6, 14, 18, 30, 5),
      cameraMake: 'Canon',
      cameraModel: 'Canon EOS 5D Mark IV',
      latitude: expect.any(Number),
      longitude: expect.any(Number),
    });
    expect(metadata!.latitude).toBeCloseTo(48 + 51 / 60 + 24.3 / 3600, 6);
    expect(metadata!.longitude).toBeCloseTo(2 + 17 / 60 + 40 / 3600, 6);
  });

  test('southern and western hemispheres are negative', async () => {
    const file = path.join(root, 'rio.jpg');
    await writeCameraJpeg(file, 20, 20, { gps: { latitude: '22/1 54/1 0/1', latitudeRef: 'S', longitude: '43/1 12/1 0/1', longitudeRef: 'W' } });
    const metadata = await readImageMetadata(file, root);
    expect(metadata).toMatchObject({ folder: '', orientation: 'square', takenAt: null, cameraMake: null });
    expect(metadata!.latitude).toBeCloseTo(-22.9, 6);
    expect(metadata!.longitude).toBeCloseTo(-43.2, 6);
  });

  test('EXIF orientation 6 (rotated 90 degrees) makes a landscape-stored image portrait', async () => {
    const file = path.join(root, 'turned.jpg');
    await writeCameraJpeg(file, 80, 40, { make: 'Apple', model: 'iPhone 12', orientation: 6 });
    expect((await sharp(file).metadata()).orientation).toBe(6);
    expect(await readImageMetadata(file, root)).toMatchObject({ orientation: 'portrait', cameraMake: 'Apple' });
  });

  test('no EXIF at all (a PNG): only what the header says', async () => {
    const file = path.join(root, 'shots', 'screen.png');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await sharp({ create: { width: 30, height: 60, channels: 3, background: '#000' } }).png().toFile(file);
    expect(await readImageMetadata(file, root)).toEqual({
      folder: 'shots', fileType: 'png', orientation: 'portrait', takenAt: null, cameraMake: null, cameraModel: null, latitude: null, longitude: null,
    });
  });

  test('absurd tags become nulls: a date before photography or in the future, impossible GPS, (0,0), control characters', async () => {
    const early = path.join(root, 'early.jpg');
    await writeCameraJpeg(early, 10, 10, { dateTimeOriginal: '1700:01:01 00:00:00', gps: { latitude: '95/1 0/1 0/1', latitudeRef: 'N', longitude: '10/1 0/1 0/1', longitudeRef: 'E' } });
    expect(await readImageMetadata(early, root)).toMatchObject({ takenAt: null, latitude: null, longitude: null });
    const future = path.join(root, 'future.jpg');
    await writeCameraJpeg(future, 10, 10, { dateTimeOriginal: '2999:12:31 23:59:59', make: '  \u0001\u0002 ', gps: { latitude: '0/1 0/1 0/1', latitudeRef: 'N', longitude: '0/1 0/1 0/1', longitudeRef: 'E' } });
    expect(await readImageMetadata(future, root)).toMatchObject({ takenAt: null, cameraMake: null, latitude: null, longitude: null });
    const garbled = path.join(root, 'garbled-date.jpg');
    await writeCameraJpeg(garbled, 10, 10, { dateTimeOriginal: '2020:13:45 99:99:99', model: 'X'.repeat(500) });
    const metadata = await readImageMetadata(garbled, root);
    expect(metadata).toMatchObject({ takenAt: null });
    expect(metadata!.cameraModel).toHaveLength(64);
    const february = path.join(root, 'feb-31.jpg');
    await writeCameraJpeg(february, 10, 10, { dateTimeOriginal: '2021:02:31 10:00:00' });
    expect(await readImageMetadata(february, root)).toMatchObject({ takenAt: null });
  });

  test('corrupt EXIF: the image still gets its header metadata', async () => {
    const file = path.join(root, 'corrupt-exif.jpg');
    await writeCorruptExifJpeg(file);
    expect(await sharp(file).metadata()).toMatchObject({ width: 40, height: 30 });
    expect(await readImageMetadata(file, root)).toMatchObject({ fileType: 'jpeg', orientation: 'landscape', takenAt: null, cameraMake: null });
  });

  test('not an image: undefined', async () => {
    const file = path.join(root, 'notes.jpg');
    fs.writeFileSync(file, 'not a jpeg');
    expect(await readImageMetadata(file, root)).toBeUndefined();
  });

  test('from a decode (what a decode worker does): the same metadata as from the file, for every image above', async () => {
    const spec = { shortestEdge: 8, cropHeight: 8, cropWidth: 8, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], rescaleFactor: 1 / 255 } as const;
    const images = fs.readdirSync(root, { recursive: true, encoding: 'utf8' }).map((name) => path.join(root, name)).filter((file) => /\.(jpg|png)$/.test(file) && fs.statSync(file).isFile());
    let compared = 0;
    for (const file of images) {
      const bytes = fs.readFileSync(file);
      const decoded = await prepareClipImageOf(bytes, spec, { maxPixels: 1e8 }, file).catch(() => undefined);
      if (!decoded) continue; // not an image: skipped by the indexer, never asked for metadata
      const header = { format: decoded.format, width: decoded.image.width, height: decoded.image.height };
      expect(await imageMetadataOfDecoded(bytes, file, root, header)).toEqual(await readImageMetadata(file, root));
      compared++;
    }
    // Every image written by the tests above but notes.jpg (which is no image).
    expect(compared).toBe(images.length - 1);
    expect(compared).toBeGreaterThanOrEqual(9);
  });
});

