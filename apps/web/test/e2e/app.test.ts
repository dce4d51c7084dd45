import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import {
  apiSearch,
  apiSearchByImage,
  apiSimilar,
  copyPhotos,
  screenshotDir,
  startLibrary,
  type ApiHit,
  type E2eLibrary,
  type Served,
} from './harness';

/**
 * The product as a person uses it: headless Chromium (Debian's) on the built app, served by the real API server with the
 * tiny test model and real photos. 24 photos are indexed through the API first; 10 more and a corrupt file wait in
 * another folder for the "Index a folder" panel.
 */

jest.setTimeout(60_000);

const QUERY = 'a dog running in the snow';

let library: E2eLibrary;
let work: string;
let server: Served;

beforeAll(async () => {
  library = await startLibrary({
    name: 'e2e',
    embedded: 24,
    fill(images) {
      copyPhotos(path.join(images, 'library'), 24);
      copyPhotos(path.join(images, 'more'), 10, 24);
      // A JPEG cut short: the indexer skips it as corrupt and goes on.
      const [firstMore] = fs.readdirSync(path.join(images, 'more')).sort();
      fs.writeFileSync(path.join(images, 'more', 'broken.jpg'), fs.readFileSync(path.join(images, 'more', firstMore!)).subarray(0, 2000));
    },
    env: { SIS_BATCH_SIZE: '2' },
  });
  ({ work, server } = library);
});

afterAll(() => library?.close());

beforeEach(() => void library.pageErrors.splice(0));

// Uncaught exceptions in the page fail the test that caused them.
afterEach(() => expect(library.pageErrors).toEqual([]));

const openPage = (pathAndQuery = '/', viewport = { width: 1280, height: 900 }): Promise<Page> => library.openLibraryPage(pathAndQuery, { viewport });

function searchUrl(query: string, k: number): string {
  return `/?${new URLSearchParams({ q: query, k: String(k) }).toString()}`;
}

/** Waits until the status line reports results (containing `text`) and the gallery holds `count` settled tiles. */
async function waitForResults(page: Page, count: number, text = ''): Promise<string> {
  await page.waitForFunction(
    ({ count, text }) => {
      const status = document.querySelector('[data-status="results"]');
      const gallery = document.querySelector('.gallery');
      return (
        status !== null &&
        status.textContent!.includes(text) &&
        gallery !== null &&
        gallery.getAttribute('aria-busy') === null &&
        gallery.querySelectorAll('.tile').length === count
      );
    },
    { count, text },
    { timeout: 20_000 },
  );
  return (await page.locator('[data-status="results"]').textContent()) ?? '';
}

async function tiles(page: Page): Promise<{ id: string; score: string }[]> {
  return page.$$eval('.gallery .tile', (items) =>
    items.map((item) => ({ id: (item as HTMLElement).dataset.id!, score: item.querySelector('.score')!.textContent! })),
  );
}

function expected(hits: ApiHit[]): { id: string; score: string }[] {
  return hits.map((hit) => ({ id: hit.id, score: hit.score.toFixed(3) }));
}

async function thumbnailsLoaded(page: Page): Promise<void> {
  await page.waitForFunction(() => Array.from(document.querySelectorAll<HTMLImageElement>('.gallery img')).every((img) => img.complete && img.naturalWidth > 0), null, {
    timeout: 20_000,
  });
}

describe('web app in Chromium against the real API', () => {
  it('types a query, presses Enter and shows k tiles in the order and with the scores the API answers', async () => {
    const page = await openPage('/');
    await page.waitForSelector('[data-status="idle"]');
    await page.getByRole('searchbox').fill(QUERY);
    await page.getByRole('searchbox').press('Enter');
    const status = await waitForResults(page, 12);

    const api = await apiSearch(server.url, QUERY, 12);
    expect(api.hits).toHaveLength(12);
    expect(await tiles(page)).toEqual(expected(api.hits));
    expect(status).toMatch(new RegExp(`^Found 12 results for '${QUERY}' in [0-9.,]+ m?s \\(of 24 images\\)$`));
    const params = new URL(page.url()).searchParams;
    expect([params.get('q'), params.get('k')]).toEqual([QUERY, '12']);

    // Alt text from the file name; the path appears on hover.
    const first = api.hits[0]!;
    const stem = path.basename(first.path).replace(/\.[^.]+$/, '').replace(/[_\-.]+/g, ' ');
    expect(await page.locator('.gallery img').first().getAttribute('alt')).toBe(stem);
    await thumbnailsLoaded(page);
    await page.locator('.tile > button').first().hover();
    await page.waitForFunction(() => getComputedStyle(document.querySelector('.tile .path')!).opacity === '1');
    expect(await page.locator('.tile .path').first().textContent()).toBe(first.path);
    await page.screenshot({ path: path.join(screenshotDir, 'results.png'), fullPage: true });
  });

  it('moving the slider changes the number of results and the URL; back and forward restore them', async () => {
    const page = await openPage(searchUrl(QUERY, 12));
    await waitForResults(page, 12);
    const slider = page.getByRole('slider', { name: /Results/ });
    // Stepped stops (ResultControls.kSteps): 1, 2, 3, 4, 5, 6, 8, ... 800, 1000; the fifth stop is 5.
    expect(await slider.getAttribute('data-steps')).toMatch(/^1,2,3,4,5,6,8,.*,800,1000$/);
    expect(await slider.getAttribute('aria-valuetext')).toBe('12 results');

    await slider.fill('4');
    expect(await waitForResults(page, 5)).toMatch(/^Found 5 results for/);
    expect(new URL(page.url()).searchParams.get('k')).toBe('5');
    expect(await tiles(page)).toEqual(expected((await apiSearch(server.url, QUERY, 5)).hits));

    await slider.focus();
    await page.keyboard.press('ArrowRight');
    await waitForResults(page, 6);
    expect(new URL(page.url()).searchParams.get('k')).toBe('6');

    await page.goBack();
    await waitForResults(page, 5);
    await page.goBack();
    await waitForResults(page, 12);
    expect(await page.getByTestId('k-value').textContent()).toBe('12');
    await page.goForward();
    await waitForResults(page, 5);
    expect(await page.getByRole('searchbox').inputValue()).toBe(QUERY);
  });

  it('a shared URL, opened and reloaded, gives the same results', async () => {
    const shared = searchUrl('people at the beach', 7);
    const api = expected((await apiSearch(server.url, 'people at the beach', 7)).hits);
    const page = await openPage(shared);
    await waitForResults(page, 7, "for 'people at the beach'");
    expect(await tiles(page)).toEqual(api);
    expect(await page.getByRole('searchbox').inputValue()).toBe('people at the beach');
    await page.reload();
    await waitForResults(page, 7, "for 'people at the beach'");
    expect(await tiles(page)).toEqual(api);
  });

  it('opens a tile in the lightbox, steps with the arrow keys, closes with Escape and runs "Find similar"', async () => {
    const page = await openPage(searchUrl(QUERY, 12));
    await waitForResults(page, 12);
    const { hits } = await apiSearch(server.url, QUERY, 12);

    await page.locator('.tile > button').nth(1).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await page.getByTestId('lightbox-path').textContent()).toBe(hits[1]!.path);
    expect(await page.getByTestId('lightbox-score').textContent()).toBe(hits[1]!.score.toFixed(3));
    expect(await page.getByTestId('lightbox-size').textContent()).toBe(`${hits[1]!.width} × ${hits[1]!.height} px`);
    await page.waitForFunction(() => (document.querySelector<HTMLImageElement>('.lightbox-image')?.naturalWidth ?? 0) > 0);
    expect(await page.$eval('.lightbox-image', (img) => (img as HTMLImageElement).naturalWidth)).toBe(hits[1]!.width);
    await page.screenshot({ path: path.join(screenshotDir, 'lightbox.png') });

    await page.keyboard.press('ArrowRight');
    expect(await page.getByTestId('lightbox-path').textContent()).toBe(hits[2]!.path);
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    expect(await page.getByTestId('lightbox-path').textContent()).toBe(hits[0]!.path);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    // Focus goes back to the tile that was on show.
    await page.waitForFunction(() => (document.activeElement?.closest('.tile') as HTMLElement | null)?.dataset.index === '0');

    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.getByRole('button', { name: 'Find similar' }).click();
    await dialog.waitFor({ state: 'detached' });
    const status = await waitForResults(page, 12, `similar to '${hits[0]!.path}'`);
    expect(status).toMatch(/^Found 12 images similar to '.+' in [0-9.,]+ m?s \(of 24 images\)$/);
    expect(await tiles(page)).toEqual(expected((await apiSimilar(server.url, hits[0]!.id, 12)).hits));
    expect(new URL(page.url()).searchParams.get('similar')).toBe(hits[0]!.id);
    expect(await page.getByTestId('query-chip').textContent()).toContain(hits[0]!.path);
    await page.goBack();
    await waitForResults(page, 12, `for '${QUERY}'`);
  });

  it('searches by an image chosen, pasted or dropped, shown as a removable chip', async () => {
    const photo = path.join(work, 'images/more', fs.readdirSync(path.join(work, 'images/more')).filter((name) => name.endsWith('.jpg') && name !== 'broken.jpg').sort()[0]!);
    const api = expected((await apiSearchByImage(server.url, photo, 12)).hits);
    const page = await openPage('/');
    await page.waitForSelector('[data-status="idle"]');

    await page.setInputFiles('input[type="file"]', photo);
    await waitForResults(page, 12, `for your image '${path.basename(photo)}'`);
    expect(await tiles(page)).toEqual(api);
    const chip = page.getByTestId('query-chip');
    expect(await chip.textContent()).toContain(path.basename(photo));
    await page.screenshot({ path: path.join(screenshotDir, 'image-query.png') });
    await page.getByRole('button', { name: `Remove ${path.basename(photo)}` }).click();
    await chip.waitFor({ state: 'detached' });
    await page.waitForSelector('[data-status="idle"]');

    const base64 = fs.readFileSync(photo).toString('base64');
    await page.evaluate((data) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], 'pasted.jpg', { type: 'image/jpeg' }));
      window.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
    }, base64);
    await waitForResults(page, 12, "for your image 'pasted.jpg'");
    expect(await tiles(page)).toEqual(api);

    await page.evaluate((data) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], 'dropped.jpg', { type: 'image/jpeg' }));
      document.body.dispatchEvent(new DragEvent('dragenter', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, base64);
    await waitForResults(page, 12, "for your image 'dropped.jpg'");
    expect(await tiles(page)).toEqual(api);
    expect(await page.locator('.drop-overlay').count()).toBe(0);
  });

  it('shows the message of an API error, not a stack', async () => {
    const page = await openPage('/?similar=999999&k=12');
    const alert = page.locator('[data-status="api-error"]');
    await alert.waitFor();
    expect(await alert.textContent()).toBe('The search failed: No indexed image has id 999999');
  });

  it('works at phone width: two columns, nothing wider than the screen', async () => {
    const page = await openPage(searchUrl(QUERY, 12), { width: 390, height: 844 });
    await waitForResults(page, 12);
    await thumbnailsLoaded(page);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const boxes = await page.locator('.tile').evaluateAll((items) => items.slice(0, 3).map((item) => item.getBoundingClientRect().top));
    expect(boxes[0]).toBe(boxes[1]);
    expect(boxes[2]).toBeGreaterThan(boxes[0]!);
    await page.screenshot({ path: path.join(screenshotDir, 'results-phone.png') });
    await page.locator('.tile > button').first().click();
    await page.waitForFunction(() => (document.querySelector<HTMLImageElement>('.lightbox-image')?.naturalWidth ?? 0) > 0);
    const dialog = await page.getByRole('dialog').boundingBox();
    expect(dialog!.width).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(screenshotDir, 'lightbox-phone.png') });
    await page.keyboard.press('Escape');
  });

  it('indexes a folder from the panel: the API validates the folder, progress reaches done, skipped files are listed', async () => {
    const page = await openPage('/');
    await page.waitForSelector('[data-status="idle"]');
    expect(await page.locator('[data-status="idle"]').textContent()).toContain('24 indexed images');
    await page.getByRole('button', { name: 'Index a folder' }).click();
    const folder = page.getByRole('textbox', { name: 'Folder' });
    await folder.fill('/etc');
    await page.getByRole('button', { name: 'Start indexing' }).click();
    const refusal = page.locator('.index-form [role="alert"]');
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('outside the folders this server may index');
    expect(await folder.getAttribute('aria-invalid')).toBe('true');

    // Record every state and progress value the panel shows, to see the progress move.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      new MutationObserver(() => {
        const job = document.querySelector<HTMLElement>('.job');
        const progress = document.querySelector('progress');
        if (job) seen.push(`${job.dataset.state}:${progress?.getAttribute('value') ?? '-'}/${progress?.getAttribute('max') ?? '-'}`);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    });
    await folder.fill('more');
    await page.getByRole('button', { name: 'Start indexing' }).click();
    await page.waitForSelector('.job[data-state="SUCCEEDED"]', { timeout: 30_000 });
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    expect(seen.some((entry) => /^(QUEUED|RUNNING):/.test(entry))).toBe(true);
    expect(seen.at(-1)).toBe('SUCCEEDED:11/11');
    const summary = await page.getByTestId('job-summary').textContent();
    expect(summary).toMatch(/Done in .*: 10 embedded, 0 unchanged, 1 skipped, 0 removed \(11 image files in the folder\)/);
    expect(summary).toMatch(/broken\.jpg\s*corrupt: /);
    // The new photos are searchable at once: the page refreshed what it knows.
    await page.waitForFunction(() => document.querySelector('[data-status="idle"]')?.textContent?.includes('34 indexed images'));
    await page.screenshot({ path: path.join(screenshotDir, 'index-done.png'), fullPage: true });
  });

  it('says so when the API cannot be reached', async () => {
    const page = await openPage(searchUrl(QUERY, 12));
    await waitForResults(page, 12);
    await server.stop();
    await page.getByRole('searchbox').fill('a red bicycle');
    await page.getByRole('searchbox').press('Enter');
    const alert = page.locator('[data-status="unreachable"]');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Cannot reach the search server.');
    expect(await page.locator('.gallery').count()).toBe(0);
  });
});
