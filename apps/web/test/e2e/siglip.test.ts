import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { apiSearch, checkBuilt, copyPhotos, gql, launchChromium, reindex, sharedDir, startServer, tinyModelDir, webDir, type Served } from './harness';

/**
 * Issue 15's "done when", in the browser: the real server with SIS_MODEL=siglip-tiny-random (offline) indexes and
 * answers searches the page shows; then the indexing panel's model picker switches the library to the tiny CLIP.
 */

jest.setTimeout(90_000);

const siglipModelDir = path.join(sharedDir, 'models/siglip-tiny-random');
const QUERY = 'a dog running in the snow';

let work: string;
let server: Served;
let browser: Browser;
let pageErrors: string[] = [];

beforeAll(async () => {
  checkBuilt();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-web-siglip-'));
  copyPhotos(path.join(work, 'images', 'library'), 12);
  [server, browser] = await Promise.all([
    startServer({ SIS_DATA_DIR: path.join(work, 'data'), SIS_MODEL: siglipModelDir, SIS_OFFLINE: '1', SIS_IMAGE_DIR: path.join(work, 'images'), SIS_WEB_DIR: webDir, SIS_BATCH_SIZE: '2' }),
    launchChromium(),
  ]);
  expect(await reindex(server.url, 'library')).toMatchObject({ state: 'SUCCEEDED', embedded: 12 });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

afterEach(() => expect(pageErrors).toEqual([]));

async function openPage(pathAndQuery: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${server.url}${pathAndQuery}`);
  return page;
}

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
