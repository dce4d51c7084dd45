import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { checkBuilt, cliPath, copyPhotos, launchChromium, startServer, tinyModelDir, webDir, type Served } from './harness';

/**
 * The access-token prompt in Chromium against the real server started with SIS_API_TOKEN (issue 10): asked once,
 * kept in an HttpOnly, SameSite=Strict cookie that then opens GraphQL and the thumbnails.
 */

jest.setTimeout(60_000);

const TOKEN = 'e2e-access-token-0123456789';

let work: string;
let server: Served;
let browser: Browser;

beforeAll(async () => {
  checkBuilt();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-web-token-'));
  const images = path.join(work, 'images');
  copyPhotos(images, 6);
  const env = { PATH: process.env.PATH, SIS_DATA_DIR: path.join(work, 'data'), SIS_MODEL: tinyModelDir, SIS_OFFLINE: '1', SIS_IMAGE_DIR: images, SIS_WEB_DIR: webDir };
  // Indexed by the command line first: the API wants the token.
  execFileSync(process.execPath, [cliPath, 'reindex', images], { env, stdio: 'ignore' });
  [server, browser] = await Promise.all([startServer({ ...env, SIS_API_TOKEN: TOKEN }), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

it('asks for the token once, refuses a wrong one, then searches and loads thumbnails with the cookie', async () => {
  const context = await browser.newContext();
  const pageErrors: string[] = [];
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(server.url);
  const field = page.getByLabel('Access token');
  await field.waitFor();
  expect(await page.locator('input[type="search"]').count()).toBe(0);

  await field.fill('not-the-token');
  await field.press('Enter');
  await page.getByRole('alert').filter({ hasText: 'That is not the access token of this server.' }).waitFor();

  await field.fill(TOKEN);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByText(/Search 6 indexed images/).waitFor();

  const cookies = await context.cookies();
  expect(cookies).toEqual([expect.objectContaining({ name: 'sis_token', httpOnly: true, sameSite: 'Strict', path: '/' })]);
  expect(await page.evaluate(() => document.cookie)).toBe('');

  await page.getByRole('searchbox').fill('a dog');
  await page.getByRole('searchbox').press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('.gallery img').length > 0, null, { timeout: 20_000 });
  await page.waitForFunction(() => Array.from(document.querySelectorAll<HTMLImageElement>('.gallery img')).every((img) => img.complete && img.naturalWidth > 0), null, {
    timeout: 20_000,
  });

  // Asked once: a reload goes straight to the app (and its search, from the URL).
  await page.reload();
  await page.locator('[data-status="results"]').waitFor();
  expect(await page.getByLabel('Access token').count()).toBe(0);

  // Another browser profile (no cookie) is asked.
  const stranger = await browser.newContext();
  const other = await stranger.newPage();
  await other.goto(server.url);
  await other.getByLabel('Access token').waitFor();
  await stranger.close();
  await context.close();
  expect(pageErrors).toEqual([]);
});
