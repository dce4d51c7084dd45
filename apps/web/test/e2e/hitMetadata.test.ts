import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { copyPhotos, repoRoot, screenshotDir, startLibrary, type E2eLibrary } from './harness';

/** A camera JPEG's recorded metadata (date taken, camera, type) on its tile and in the lightbox, in Chromium against the real API. */

jest.setTimeout(60_000);

const sharp = createRequire(require.resolve('@sis/core', { paths: [path.join(repoRoot, 'apps/api')] }))('sharp') as (input: {
  create: { width: number; height: number; channels: 3; background: string };
}) => { withExif(exif: Record<string, Record<string, string>>): { jpeg(): { toFile(file: string): Promise<unknown> } } };

let library: E2eLibrary;

beforeAll(async () => {
  library = await startLibrary({
    name: 'meta',
    embedded: 4,
    async fill(images) {
      copyPhotos(path.join(images, 'library', 'photos'), 3);
      fs.mkdirSync(path.join(images, 'library', 'cam'), { recursive: true });
      await sharp({ create: { width: 640, height: 480, channels: 3, background: '#3366aa' } })
        .withExif({ IFD0: { Make: 'Canon', Model: 'EOS 5D' }, IFD2: { DateTimeOriginal: '2015:03:01 09:30:00' } })
        .jpeg()
        .toFile(path.join(images, 'library', 'cam', 'trip.jpg'));
    },
  });
});

afterAll(() => library?.close());

it('the camera photo shows its date and camera under its path and in the lightbox; the others show none', async () => {
  const page = await library.openLibraryPage(`/?${new URLSearchParams({ q: 'a photo', k: '12', min: '-1' }).toString()}`);
  await page.waitForFunction(() => document.querySelectorAll('.gallery .tile').length === 4);
  const tile = page.locator('.tile', { has: page.locator('[title="library/cam/trip.jpg"]') });
  expect(await tile.getByTestId('tile-meta').textContent()).toBe('2015-03-01 · Canon EOS 5D');
  expect(await page.getByTestId('tile-meta').count()).toBe(1);
  await tile.locator('> button').click();
  await page.getByRole('dialog').waitFor();
  expect(await page.getByTestId('lightbox-taken').textContent()).toBe('2015-03-01 09:30');
  expect(await page.getByTestId('lightbox-camera').textContent()).toBe('Canon EOS 5D');
  expect(await page.getByTestId('lightbox-type').textContent()).toBe('JPEG');
  expect(await page.getByTestId('lightbox-size').textContent()).toBe('640 × 480 px');
  await page.screenshot({ path: path.join(screenshotDir, 'lightbox-metadata.png') });
  expect(library.pageErrors).toEqual([]);
});
