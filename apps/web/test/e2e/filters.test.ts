import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { copyPhotos, gql, screenshotDir, startLibrary, type ApiHit, type E2eLibrary, type Served } from './harness';

/**
 * The filter bar and sort switch in Chromium against the real API: folder and date filters and the date sort land in
 * the URL, and the gallery shows exactly what GraphQL answers for the same filter (the true top-k of the images that
 * pass). The photos carry no EXIF date, so their file mtimes (set here) are their dates.
 */

jest.setTimeout(60_000);

const QUERY = 'people at the beach';
const OLD = Date.UTC(2015, 5, 1) / 1000;
const NEW = Date.UTC(2023, 5, 1) / 1000;

let library: E2eLibrary;
let server: Served;
let page: Page;

beforeAll(async () => {
  const dated = (folder: string, names: string[], start: number) =>
    names.forEach((name, i) => fs.utimesSync(path.join(folder, name), start + i * 86_400, start + i * 86_400));
  library = await startLibrary({
    name: 'filters',
    embedded: 14,
    fill(images) {
      dated(path.join(images, 'library', 'old'), copyPhotos(path.join(images, 'library', 'old'), 8), OLD);
      dated(path.join(images, 'library', 'new'), copyPhotos(path.join(images, 'library', 'new'), 6, 8), NEW);
    },
  });
  server = library.server;
  page = await library.openLibraryPage();
});

afterAll(() => library?.close());

afterEach(() => expect(library.pageErrors).toEqual([]));

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
  const byMtime = [...names].sort((a, b) => fs.statSync(path.join(library.images, 'library', 'new', b)).mtimeMs - fs.statSync(path.join(library.images, 'library', 'new', a)).mtimeMs);
  expect(names).toEqual(byMtime);
  await page.screenshot({ path: path.join(screenshotDir, 'filter-bar.png') });

  // Back restores the previous filter state from the URL.
  await page.goBack();
  await settledTiles(page, 6);
  expect(new URL(page.url()).searchParams.get('sort')).toBeNull();
});
