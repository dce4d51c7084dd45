import sharp from 'sharp';
import { ImageSkipError, renderThumbnail } from '../../src';
import { samplePhotos } from '../helpers/photos';

describe('renderThumbnail', () => {
  it('fits a photo inside maxSide, keeping its aspect ratio, as JPEG', async () => {
    const [photo] = samplePhotos(1);
    const original = await sharp(photo!).metadata();
    const thumbnail = await renderThumbnail(photo!, { maxSide: 128, maxPixels: 1e8 });
    const meta = await sharp(thumbnail.data).metadata();
    expect(meta.format).toBe('jpeg');
    expect(Math.max(meta.width, meta.height)).toBe(128);
    expect({ width: meta.width, height: meta.height }).toEqual({ width: thumbnail.width, height: thumbnail.height });
    expect(meta.width / meta.height).toBeCloseTo(original.width / original.height, 1);
  });

  it('applies EXIF orientation', async () => {
    // 40x20 landscape pixels, tagged "rotate 90 clockwise": it displays as 20x40 portrait.
    const tagged = await sharp({ create: { width: 40, height: 20, channels: 3, background: { r: 200, g: 10, b: 10 } } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const thumbnail = await renderThumbnail(tagged, { maxSide: 256, maxPixels: 1e8 });
    expect({ width: thumbnail.width, height: thumbnail.height }).toEqual({ width: 20, height: 40 });
    expect((await sharp(thumbnail.data).metadata()).orientation).toBeUndefined();
  });

  it('does not enlarge small images and flattens transparency', async () => {
    const png = await sharp({ create: { width: 30, height: 10, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
    const thumbnail = await renderThumbnail(png, { maxSide: 256, maxPixels: 1e8 });
    expect({ width: thumbnail.width, height: thumbnail.height }).toEqual({ width: 30, height: 10 });
    const { data } = await sharp(thumbnail.data).raw().toBuffer({ resolveWithObject: true });
    expect(data[0]).toBeGreaterThan(240); // white, not black
  });

  it('throws ImageSkipError for bytes that are not an image', async () => {
    await expect(renderThumbnail(Buffer.from('plain text'), { maxSide: 64, maxPixels: 1e8 })).rejects.toThrow(ImageSkipError);
  });
});
