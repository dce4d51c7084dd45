import path from 'node:path';
import type { Page } from 'playwright-core';
import { apiSearch, copyPhotos, gql, sharedDir, startLibrary, tinyModelDir, type E2eLibrary, type Served } from './harness';

/**
 * Issue 15's "done when", in the browser: the real server with SIS_MODEL=siglip-tiny-random (offline) indexes and
 * answers searches the page shows; then the indexing panel's model picker switches the library to the tiny CLIP.
 */

jest.setTimeout(90_000);

const siglipModelDir = path.join(sharedDir, 'models/siglip-tiny-random');
const QUERY = 'a dog running in the snow';

let library: E2eLibrary;
let server: Served;

beforeAll(async () => {
  library = await startLibrary({
    name: 'siglip',
    embedded: 12,
    fill: (images) => void copyPhotos(path.join(images, 'library'), 12),
    env: { SIS_MODEL: siglipModelDir, SIS_BATCH_SIZE: '2' },
  });
  server = library.server;
});

afterAll(() => library?.close());

beforeEach(() => void library.pageErrors.splice(0));

afterEach(() => expect(library.pageErrors).toEqual([]));

const openPage = (pathAndQuery: string): Promise<Page> => library.openLibraryPage(pathAndQuery);

async function shownTiles(page: Page, count: number): Promise<{ id: string; score: string }[]> {
  await page.waitForFunction(
    (count) => document.querySelector('[data-status="results"]') !== null && document.querySelector('.gallery')?.getAttribute('aria-busy') === null && document.querySelectorAll('.gallery .tile').length === count,
    count,
    { timeout: 20_000 },
  );
  return page.$$eval('.gallery .tile', (items) => items.map((item) => ({ id: (item as HTMLElement).dataset.id!, score: item.querySelector('.score')!.textContent! })));
}

const fromApi = (hits: { id: string; score: number }[]) => hits.map((hit) => ({ id: hit.id, score: hit.score.toFixed(3) }));

it('searches a SigLIP library from the page: the tiles are the API answer', async () => {
  const { stats } = await gql<{ stats: { modelName: string; modelFamily: string; dimension: number } }>(server.url, '{ stats { modelName modelFamily dimension } }');
  expect(stats).toEqual({ modelName: siglipModelDir, modelFamily: 'siglip', dimension: 64 });
  const page = await openPage(`/?${new URLSearchParams({ q: QUERY, k: '6' }).toString()}`);
  expect(await shownTiles(page, 6)).toEqual(fromApi((await apiSearch(server.url, QUERY, 6)).hits));
  await page.context().close();
});

it("switches the library to another model from the indexing panel's model picker", async () => {
  const page = await openPage('/');
  await page.waitForSelector('[data-status="idle"]');
  await page.getByRole('button', { name: 'Index a folder' }).click();
  await page.getByRole('textbox', { name: 'Folder' }).fill('library');
  await page.getByText('Switch model').click();
  const picker = page.getByRole('combobox', { name: 'Model' });
  await picker.waitFor();
  await picker.selectOption(path.basename(tinyModelDir));
  await page.getByRole('button', { name: 'Start indexing' }).click();
  await page.waitForSelector('.job[data-state="SUCCEEDED"]', { timeout: 60_000 });
  expect(await page.getByTestId('job-model').textContent()).toContain('Switch to clip-tiny-random: done, the library uses it now.');
  const { stats } = await gql<{ stats: { modelName: string; modelFamily: string; images: number } }>(server.url, '{ stats { modelName modelFamily images } }');
  expect(stats).toEqual({ modelName: tinyModelDir, modelFamily: 'clip', images: 12 });
  await page.goto(`${server.url}/?${new URLSearchParams({ q: QUERY, k: '6' }).toString()}`);
  expect(await shownTiles(page, 6)).toEqual(fromApi((await apiSearch(server.url, QUERY, 6)).hits));
  await page.context().close();
});
