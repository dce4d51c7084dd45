import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { cliPath, copyPhotos, gql, screenshotDir, startLibrary, tinyModelDir, type ApiHit, type E2eLibrary, type Served } from './harness';

/**
 * Composite queries in Chromium against the real API: "More like this" on a tile and "Less like this" in the lightbox
 * add chips with their weights, the query lands in the URL, the gallery shows what GraphQL answers for the same terms,
 * and the CLI (`sis search --add-image/--subtract-image` on the same data directory) ranks the same way.
 */

jest.setTimeout(60_000);

const QUERY = 'a dog running in the snow';

let library: E2eLibrary;
let work: string;
let images: string;
let server: Served;
let page: Page;

beforeAll(async () => {
  library = await startLibrary({ name: 'terms', embedded: 20, fill: (dir) => void copyPhotos(path.join(dir, 'library'), 20) });
  ({ work, images, server } = library);
  page = await library.openLibraryPage();
});

afterAll(() => library?.close());

afterEach(() => expect(library.pageErrors).toEqual([]));

async function apiTerms(query: string, terms: { imageId?: string; text?: string; weight: number }[], k: number): Promise<ApiHit[]> {
  const data = await gql<{ search: { hits: ApiHit[] } }>(
    server.url,
    `query($q: String, $terms: [SearchTermInput!], $k: Int!) { search(query: $q, terms: $terms, k: $k) { hits { id path score width height } } }`,
    { q: query, terms, k },
  );
  return data.search.hits;
}

async function waitForResults(page: Page, text: string): Promise<void> {
  await page.waitForFunction(
    (text) => {
      const status = document.querySelector('[data-status="results"]');
      const gallery = document.querySelector('.gallery');
      return status !== null && status.textContent!.includes(text) && gallery !== null && gallery.getAttribute('aria-busy') === null && gallery.querySelectorAll('.tile').length === 12;
    },
    text,
    { timeout: 20_000 },
  );
}

async function tiles(page: Page): Promise<{ id: string; score: string }[]> {
  return page.$$eval('.gallery .tile', (items) => items.map((item) => ({ id: (item as HTMLElement).dataset.id!, score: item.querySelector('.score')!.textContent! })));
}

async function chips(page: Page): Promise<{ value: string; weight: string; text: string }[]> {
  return page.$$eval('[data-testid="term-chip"]', (items) =>
    items.map((item) => ({ value: (item as HTMLElement).dataset.value!, weight: (item as HTMLElement).dataset.weight!, text: item.querySelector('.chip-weight')!.textContent! + ' ' + item.querySelector('.chip-label')!.textContent! })),
  );
}

describe('composite queries in the web app', () => {
  it('More / Less like this add chips with weights, the URL holds the query, and the web app, GraphQL and the CLI rank alike', async () => {
    await page.goto(`${server.url}/?${new URLSearchParams({ q: QUERY, k: '12' }).toString()}`);
    await waitForResults(page, `for '${QUERY}'`);
    const before = await tiles(page);

    // "More like this" on the second tile (shown on hover).
    const more = before[1]!.id;
    await page.locator('.gallery .tile').nth(1).hover();
    await page.locator('.gallery .tile').nth(1).getByRole('button', { name: /^More like / }).click();
    await waitForResults(page, 'with 1 more term');
    // "Less like this" in the lightbox of the fourth tile now shown.
    const less = (await tiles(page))[3]!.id;
    await page.locator('.gallery .tile').nth(3).locator('> button').click();
    await page.getByRole('dialog').getByRole('button', { name: 'Less like this' }).click();
    await waitForResults(page, 'with 2 more terms');

    const url = new URL(page.url());
    expect(url.searchParams.get('q')).toBe(QUERY);
    expect(url.searchParams.getAll('t')).toEqual([`1,img,${more}`, `-1,img,${less}`]);
    await page.waitForFunction(() => Array.from(document.querySelectorAll<HTMLImageElement>('.chip-image')).filter((img) => img.complete && img.naturalWidth > 0).length === 2, null, { timeout: 20_000 });
    const shown = await chips(page);
    expect(shown.map(({ value, weight }) => ({ value, weight }))).toEqual([
      { value: more, weight: '1' },
      { value: less, weight: '-1' },
    ]);
    expect(shown[0]!.text).toMatch(/^\+1 \S+\.jpg$/);
    expect(shown[1]!.text).toMatch(/^−1 \S+\.jpg$/);

    const terms = [
      { imageId: more, weight: 1 },
      { imageId: less, weight: -1 },
    ];
    const api = await apiTerms(QUERY, terms, 12);
    expect(await tiles(page)).toEqual(api.map((hit) => ({ id: hit.id, score: hit.score.toFixed(3) })));
    expect(api.map((hit) => hit.id)).not.toContain(more);
    expect(api.map((hit) => hit.id)).not.toContain(less);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(screenshotDir, 'composite-chips.png') });

    const pathOf = async (id: string) => (await gql<{ image: { path: string } }>(server.url, 'query($id: ID!) { image(id: $id) { path } }', { id })).image.path;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [cliPath, 'search', QUERY, '--add-image', path.join(images, await pathOf(more)), '--subtract-image', path.join(images, await pathOf(less)), '-k', '12', '--json'],
      { env: { PATH: process.env.PATH, SIS_DATA_DIR: path.join(work, 'data'), SIS_MODEL: tinyModelDir, SIS_OFFLINE: '1' } },
    );
    const cli = JSON.parse(stdout) as { path: string; score: number }[];
    expect(cli.map((hit) => path.relative(images, hit.path))).toEqual(api.map((hit) => hit.path));
    cli.forEach((hit, i) => expect(hit.score).toBeCloseTo(api[i]!.score, 5));

    // Reloading the shared URL gives the same page; removing a chip searches without it.
    await page.reload();
    await waitForResults(page, 'with 2 more terms');
    expect(await tiles(page)).toEqual(api.map((hit) => ({ id: hit.id, score: hit.score.toFixed(3) })));
    await page.locator('[data-testid="term-chip"]').nth(1).getByRole('button', { name: /^Remove less like/ }).click();
    await waitForResults(page, 'with 1 more term');
    expect(new URL(page.url()).searchParams.getAll('t')).toEqual([`1,img,${more}`]);
    expect(await tiles(page)).toEqual((await apiTerms(QUERY, terms.slice(0, 1), 12)).map((hit) => ({ id: hit.id, score: hit.score.toFixed(3) })));

    // "Leave out…" a description: a -1 text term, the same as the CLI's --subtract.
    await page.getByRole('button', { name: '− Leave out…' }).click();
    await page.getByRole('textbox', { name: /Leave out photos like this description/ }).fill('people');
    await page.getByRole('textbox', { name: /Leave out photos like this description/ }).press('Enter');
    await waitForResults(page, 'with 2 more terms');
    expect(new URL(page.url()).searchParams.getAll('t')).toEqual([`1,img,${more}`, '-1,text,people']);
    const withText = await apiTerms(QUERY, [{ imageId: more, weight: 1 }, { text: 'people', weight: -1 }], 12);
    expect(await tiles(page)).toEqual(withText.map((hit) => ({ id: hit.id, score: hit.score.toFixed(3) })));
    const cliText = JSON.parse(
      (
        await promisify(execFile)(process.execPath, [cliPath, 'search', QUERY, '--add-image', path.join(images, await pathOf(more)), '--subtract', 'people', '-k', '12', '--json'], {
          env: { PATH: process.env.PATH, SIS_DATA_DIR: path.join(work, 'data'), SIS_MODEL: tinyModelDir, SIS_OFFLINE: '1' },
        })
      ).stdout,
    ) as { path: string; score: number }[];
    expect(cliText.map((hit) => path.relative(images, hit.path))).toEqual(withText.map((hit) => hit.path));
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(screenshotDir, 'composite-leave-out.png'), clip: { x: 0, y: 0, width: 1280, height: 480 } });
  });

  it('the k slider starts a third of the way along at 12 and steps 12 -> 16 -> 20 with the arrow keys', async () => {
    await page.goto(`${server.url}/?${new URLSearchParams({ q: QUERY }).toString()}`);
    await waitForResults(page, `for '${QUERY}'`);
    const slider = page.getByRole('slider', { name: /Results/ });
    const position = Number(await slider.inputValue()) / Number(await slider.getAttribute('max'));
    expect(position).toBeGreaterThan(0.25);
    expect(position).toBeLessThan(0.4);
    await slider.focus();
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => new URL(window.location.href).searchParams.get('k') === '16');
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => new URL(window.location.href).searchParams.get('k') === '20');
    expect(await page.getByTestId('k-value').textContent()).toBe('20');
    await page.screenshot({ path: path.join(screenshotDir, 'k-slider.png'), clip: { x: 0, y: 0, width: 1280, height: 260 } });
  });
});
