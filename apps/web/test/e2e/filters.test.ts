import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { checkBuilt, copyPhotos, gql, launchChromium, reindex, screenshotDir, startServer, tinyModelDir, webDir, type ApiHit, type Served } from './harness';

/**
 * The filter bar and sort switch in Chromium against the real API: folder and date filters and the date sort land in
 * the URL, and the gallery shows exactly what GraphQL answers for the same filter (the true top-k of the images that
 * pass). The photos carry no EXIF date, so their file mtimes (set here) are their dates.
 */

jest.setTimeout(60_000);

const QUERY = 'people at the beach';
const OLD = Date.UTC(2015, 5, 1) / 1000;
const NEW = Date.UTC(2023, 5, 1) / 1000;

let work: string;
let server: Served;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  checkBuilt();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-web-filters-'));
  const images = path.join(work, 'images');
  const dated = (folder: string, names: string[], start: number) =>
    names.forEach((name, i) => fs.utimesSync(path.join(folder, name), start + i * 86_400, start + i * 86_400));
  dated(path.join(images, 'library', 'old'), copyPhotos(path.join(images, 'library', 'old'), 8), OLD);
  dated(path.join(images, 'library', 'new'), copyPhotos(path.join(images, 'library', 'new'), 6, 8), NEW);
  fs.mkdirSync(screenshotDir, { recursive: true });
  [server, browser] = await Promise.all([
    startServer({ SIS_DATA_DIR: path.join(work, 'data'), SIS_MODEL: tinyModelDir, SIS_OFFLINE: '1', SIS_IMAGE_DIR: images, SIS_WEB_DIR: webDir }),
    launchChromium(),
  ]);
  expect(await reindex(server.url, 'library')).toMatchObject({ state: 'SUCCEEDED', embedded: 14 });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

afterEach(() => expect(pageErrors).toEqual([]));

async function apiFiltered(filter: Record<string, unknown>, sort: string | null): Promise<ApiHit[]> {
  const data = await gql<{ search: { hits: ApiHit[] } }>(
    server.url,
    'query($q: String!, $k: Int!, $filter: SearchFilterInput, $sort: SearchSort) { search(query: $q, k: $k, filter: $filter, sort: $sort) { hits { id path score width height } } }',
    { q: QUERY, k: 12, filter, sort },
  );
  return data.search.hits;
}

/** Waits for the gallery to settle with this many tiles, then returns their ids in order. */
async function settledTiles(page: Page, count: number): Promise<string[]> {
  await page.waitForFunction(
    (count) => {
      const gallery = document.querySelector('.gallery');
      return gallery !== null && gallery.getAttribute('aria-busy') === null && gallery.querySelectorAll('.tile').length === count;
    },
    count,
    { timeout: 20_000 },
  );
  return page.$$eval('.gallery .tile', (items) => items.map((item) => (item as HTMLElement).dataset.id!));
}

test('folder and date filters and the date sort: in the URL, and the gallery is what GraphQL answers', async () => {
  await page.goto(`${server.url}/?${new URLSearchParams({ q: QUERY, k: '12' }).toString()}`);
  await settledTiles(page, 12);

  // Folder: typed, applied on Enter.
  await page.fill('.filter-bar input[name="folder"]', 'old');
  await page.press('.filter-bar input[name="folder"]', 'Enter');
  const inOld = await settledTiles(page, 8);
  expect(new URL(page.url()).searchParams.get('folder')).toBe('old');
  expect(inOld).toEqual((await apiFiltered({ folder: 'old' }, null)).map((hit) => hit.id));

  // Date range instead (the bar's "to" is inclusive): only the new photos' dates.
  await page.click('.filter-bar .link-button');
  await settledTiles(page, 12);
  await page.fill('.filter-bar input[name="from"]', '2023-01-01');
  await page.fill('.filter-bar input[name="to"]', '2023-12-31');
  const recent = await settledTiles(page, 6);
  expect(new URL(page.url()).searchParams.get('from')).toBe('2023-01-01');
  expect(recent).toEqual((await apiFiltered({ takenFrom: '2023-01-01', takenTo: '2024-01-01' }, null)).map((hit) => hit.id));

  // Sort switch: newest first, the same order as GraphQL's TAKEN_NEWEST (dates are a day apart, so the order is the mtimes').
  await page.selectOption('.filter-bar select[name="sort"]', 'newest');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('sort') === 'newest');
  const newest = await settledTiles(page, 6);
  const expected = await apiFiltered({ takenFrom: '2023-01-01', takenTo: '2024-01-01' }, 'TAKEN_NEWEST');
  expect(newest).toEqual(expected.map((hit) => hit.id));
  const names = expected.map((hit) => path.basename(hit.path));
  const byMtime = [...names].sort((a, b) => fs.statSync(path.join(work, 'images', 'library', 'new', b)).mtimeMs - fs.statSync(path.join(work, 'images', 'library', 'new', a)).mtimeMs);
  expect(names).toEqual(byMtime);
  await page.screenshot({ path: path.join(screenshotDir, 'filter-bar.png') });

  // Back restores the previous filter state from the URL.
  await page.goBack();
  await settledTiles(page, 6);
  expect(new URL(page.url()).searchParams.get('sort')).toBeNull();
});
