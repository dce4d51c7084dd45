import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { copyPhotos, gql, repoRoot, screenshotDir, startLibrary, type E2eLibrary, type Served } from './harness';

/**
 * The near-duplicates page in Chromium against the real server: 4 photos and a half-size, re-encoded copy of
 * each (made with sharp), grouped at the tiny random model's documented threshold (README, "Near-duplicates").
 */

jest.setTimeout(90_000);

const THRESHOLD = '0.987';
const sharp = createRequire(path.join(repoRoot, 'packages/core/package.json'))('sharp') as (input: string) => {
  metadata(): Promise<{ width: number; height: number }>;
  resize(width: number, height: number): { jpeg(options: { quality: number }): { toFile(file: string): Promise<unknown> } };
};

let library: E2eLibrary;
let server: Served;

beforeAll(async () => {
  library = await startLibrary({
    name: 'dups',
    embedded: 8,
    async fill(images) {
      const folder = path.join(images, 'library');
      for (const name of copyPhotos(folder, 4)) {
        const { width, height } = await sharp(path.join(folder, name)).metadata();
        await sharp(path.join(folder, name))
          .resize(Math.round(width / 2), Math.round(height / 2))
          .jpeg({ quality: 60 })
          .toFile(path.join(folder, `small-${name}`));
      }
    },
  });
  server = library.server;
});

afterAll(() => library?.close());

it('reviews the groups side by side, keeper first, and exports them as CSV and JSON', async () => {
  const page = await library.openLibraryPage('/', { viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
  await page.getByRole('link', { name: 'Near-duplicates' }).click();
  await page.waitForSelector('[data-status="ready"]');
  // The model's default threshold, as the server answered it, fills the field.
  expect(await page.locator('input[name="threshold"]').inputValue()).toBe('0.95');
  await page.locator('input[name="threshold"]').fill(THRESHOLD);
  await page.getByRole('button', { name: 'Find groups' }).click();
  await page.waitForFunction((threshold) => document.querySelector('[data-status="ready"]')?.textContent?.includes(`≥ ${threshold}`), THRESHOLD);
  expect(await page.locator('[role="status"]').textContent()).toMatch(/^4 groups \(8 of 8 images\) at cosine ≥ 0\.987/);

  const api = await gql<{ duplicates: { groups: { id: string; images: { path: string; keep: boolean }[] }[] } }>(
    server.url,
    'query($t: Float) { duplicates(threshold: $t) { groups { id images { path keep } } } }',
    { t: Number(THRESHOLD) },
  );
  const shown = await page.$$eval('.duplicate-group', (groups) =>
    groups.map((group) => ({
      id: (group as HTMLElement).dataset.group!,
      paths: Array.from(group.querySelectorAll('.duplicate-image .path')).map((item) => item.textContent!),
      keeper: group.querySelector('.duplicate-image.keeper .path')?.textContent ?? null,
    })),
  );
  expect(shown).toEqual(api.duplicates.groups.map((group) => ({ id: group.id, paths: group.images.map((image) => image.path), keeper: group.images.find((image) => image.keep)!.path })));
  for (const group of shown) {
    expect(group.paths).toHaveLength(2);
    expect(group.paths[1]).toBe(`library/small-${path.basename(group.keeper!)}`);
  }
  await page.waitForFunction(() => Array.from(document.querySelectorAll<HTMLImageElement>('.duplicate-image img')).every((img) => img.complete && img.naturalWidth > 0));
  await page.screenshot({ path: path.join(screenshotDir, 'duplicates.png'), fullPage: true });

  const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'CSV' }).click()]);
  const csv = fs.readFileSync((await csvDownload.path())!, 'utf8').trimEnd().split('\r\n');
  expect(csvDownload.suggestedFilename()).toBe('duplicates-0.987.csv');
  expect(csv[0]).toBe('group,keep,path,width,height,bytes,modified,score_to_keeper');
  expect(csv).toHaveLength(9);
  expect(csv.filter((line) => line.includes(',yes,'))).toHaveLength(4);
  const [jsonDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'JSON' }).click()]);
  const json = JSON.parse(fs.readFileSync((await jsonDownload.path())!, 'utf8')) as { threshold: number; groups: unknown[] };
  expect(json.threshold).toBe(0.987);
  expect(json.groups).toHaveLength(4);
  // Review only: every file is still there.
  expect(fs.readdirSync(path.join(library.images, 'library'))).toHaveLength(8);
  expect(library.pageErrors).toEqual([]);
  await page.context().close();
});
