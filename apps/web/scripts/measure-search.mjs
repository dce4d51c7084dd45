#!/usr/bin/env node
/**
 * Measures "Enter to gallery filled" in headless Chromium (Debian's) against the real server serving the built app:
 * from the Enter keydown in the search box to the frame where all k thumbnails of the new results have loaded.
 *
 *   node apps/web/scripts/measure-search.mjs [--runs 7] [--k 12] [--model DIR] [--photos DIR] [--data DIR]
 *
 * Defaults: the full-size test model (.cache/models/clip-vit-b32-random, see scripts/prepare-test-models.mjs), the
 * 500 shared photos, and a data directory in the temp folder that is kept between invocations (the first one indexes
 * the photos through the page's "Index a folder" panel, ~30 s, and saves a screenshot of the progress). Each run uses a
 * new browser context (empty HTTP cache) and another query. Pass 1 starts with the server's thumbnail cache emptied
 * (thumbnails made on first request); pass 2 repeats the queries with the server's thumbnails made. Also measures
 * rendering 100 results (longest main-thread task). Not a test: prints figures, writes out/measure/search-latency.json
 * and screenshots under out/screenshots/.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const shared = process.env.SIS_SHARED_DIR ?? path.resolve(repo, '../shared');

function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 && process.argv[index + 1] ? process.argv[index + 1] : fallback;
}

const runs = Number(option('runs', '7'));
const k = Number(option('k', '12'));
const model = path.resolve(option('model', path.join(repo, '.cache/models/clip-vit-b32-random')));
const photos = path.resolve(option('photos', path.join(shared, 'datasets/flickr8k-photos-500/images')));
const dataDir = path.resolve(option('data', path.join(os.tmpdir(), 'sis-web-measure')));
const outDir = path.join(repo, 'out');
const screenshots = path.join(outDir, 'screenshots');
const chromiumPath = process.env.SIS_CHROMIUM ?? '/usr/bin/chromium';

const QUERIES = [
  'a dog running in the snow',
  'children playing on a beach',
  'a man riding a bicycle',
  'two people sitting on a bench',
  'a black and white dog with a ball',
  'a girl in a pink dress',
  'a climber on a rock face',
  'a crowd at a street festival',
  'a boat on a lake',
  'a skateboarder doing a trick',
  'a brown horse in a field',
  'a city street at night',
];

for (const [what, where] of [['model', model], ['photos', photos], ['built app', path.join(repo, 'apps/web/dist/index.html')], ['built API', path.join(repo, 'apps/api/dist/cli.js')]]) {
  if (!fs.existsSync(where)) {
    console.error(`measure: ${what} not found at ${where}${what === 'model' ? ' (node scripts/prepare-test-models.mjs makes it)' : ''}`);
    process.exit(1);
  }
}

function startServer() {
  const child = spawn(process.execPath, [path.join(repo, 'apps/api/dist/cli.js'), 'serve', '--port', '0', '--host', '127.0.0.1'], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME ?? os.tmpdir(),
      NODE_ENV: 'production',
      SIS_DATA_DIR: dataDir,
      SIS_MODEL: model,
      SIS_OFFLINE: '1',
      SIS_IMAGE_DIR: photos,
      SIS_WEB_DIR: path.join(repo, 'apps/web/dist'),
      SIS_LOG_LEVEL: 'info',
      // e.g. SIS_THREADS=1 to compare ONNX Runtime thread settings
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => ['SIS_THREADS', 'SIS_BATCH_SIZE'].includes(name))),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout.on('data', (chunk) => {
      buffer += chunk.toString();
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        try {
          const parsed = JSON.parse(line);
          if (parsed.msg === 'server listening') resolve({ child, url: parsed.url, images: parsed.images });
        } catch {
          // not JSON
        }
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const round = (value) => Math.round(value * 10) / 10;

async function indexThroughThePage(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(url);
  await page.getByRole('button', { name: 'Index a folder' }).first().click();
  await page.getByRole('textbox', { name: 'Folder' }).fill('.');
  const started = performance.now();
  await page.getByRole('button', { name: 'Start indexing' }).click();
  await page.waitForFunction(() => {
    const counts = document.querySelector('[data-testid="job-counts"]')?.textContent ?? '';
    const embedded = Number(/^([\d,]+) of/.exec(counts)?.[1]?.replace(/,/g, '') ?? 0);
    return embedded >= 100 && document.querySelector('.job-rate')?.textContent?.includes('left');
  }, null, { timeout: 120_000 });
  await page.screenshot({ path: path.join(screenshots, 'indexing-progress.png') });
  await page.waitForSelector('.job[data-state="SUCCEEDED"]', { timeout: 600_000 });
  console.log(`measure: indexed through the page in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await page.screenshot({ path: path.join(screenshots, 'indexing-done.png'), fullPage: true });
  await page.close();
}

/** One run: a fresh context (no HTTP cache), the page loaded and idle, the query typed; then Enter and wait. */
async function measureOnce(browser, url, query, count, screenshot) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForSelector('[data-status="idle"]');
    await page.getByRole('searchbox').fill(query);
    await page.evaluate((expected) => {
      window.__filled = new Promise((resolve) => {
        let enterAt = null;
        let longest = 0;
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) longest = Math.max(longest, entry.duration);
        }).observe({ type: 'longtask', buffered: false });
        const check = () => {
          const status = document.querySelector('[data-status="results"]');
          const gallery = document.querySelector('.gallery');
          const images = gallery ? Array.from(gallery.querySelectorAll('img')) : [];
          if (status && gallery && gallery.getAttribute('aria-busy') === null && images.length === expected && images.every((img) => img.complete && img.naturalWidth > 0)) {
            const filledAt = performance.now();
            const resources = performance.getEntriesByType('resource').filter((entry) => entry.startTime >= enterAt);
            const graphql = resources.find((entry) => entry.name.endsWith('/graphql'));
            const thumbnails = resources.filter((entry) => entry.name.includes('/thumbnails/'));
            resolve({
              ms: filledAt - enterAt,
              graphqlMs: graphql ? graphql.responseEnd - enterAt : null,
              firstThumbnailRequestMs: thumbnails.length ? Math.min(...thumbnails.map((entry) => entry.startTime)) - enterAt : null,
              lastThumbnailMs: thumbnails.length ? Math.max(...thumbnails.map((entry) => entry.responseEnd)) - enterAt : null,
              thumbnails: thumbnails.length,
              longestTaskMs: longest,
              status: status.textContent,
            });
            return;
          }
          requestAnimationFrame(check);
        };
        document.addEventListener('keydown', (event) => {
          if (event.key === 'Enter' && enterAt === null) {
            enterAt = performance.now();
            requestAnimationFrame(check);
          }
        }, { capture: true });
      });
    }, count);
    await page.getByRole('searchbox').press('Enter');
    const result = await page.evaluate(() => window.__filled);
    if (screenshot) await page.screenshot({ path: path.join(screenshots, screenshot), fullPage: true });
    return result;
  } finally {
    await context.close();
  }
}

/** 100 results: the gallery's DOM is in place and the visible thumbnails have loaded; no long main-thread task. */
async function measureHundred(browser, url) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    await page.goto(`${url}/?k=100`);
    await page.waitForSelector('[data-status="idle"]');
    await page.getByRole('searchbox').fill('a crowd of people');
    await page.evaluate(() => {
      window.__hundred = new Promise((resolve) => {
        let enterAt = null;
        let longest = 0;
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) longest = Math.max(longest, entry.duration);
        }).observe({ type: 'longtask', buffered: false });
        const check = () => {
          const tiles = document.querySelectorAll('.gallery .tile');
          const visible = Array.from(document.querySelectorAll('.gallery img')).filter((img) => img.getBoundingClientRect().top < window.innerHeight);
          if (document.querySelector('[data-status="results"]') && tiles.length === 100 && visible.length > 0 && visible.every((img) => img.complete && img.naturalWidth > 0)) {
            const ms = performance.now() - enterAt;
            const requested = performance.getEntriesByType('resource').filter((entry) => entry.startTime >= enterAt && entry.name.includes('/thumbnails/')).length;
            setTimeout(() => resolve({ ms, longestTaskMs: longest, visible: visible.length, thumbnailsRequested: requested }), 300);
            return;
          }
          requestAnimationFrame(check);
        };
        document.addEventListener('keydown', (event) => {
          if (event.key === 'Enter' && enterAt === null) {
            enterAt = performance.now();
            requestAnimationFrame(check);
          }
        }, { capture: true });
      });
    });
    await page.getByRole('searchbox').press('Enter');
    return await page.evaluate(() => window.__hundred);
  } finally {
    await context.close();
  }
}

fs.mkdirSync(screenshots, { recursive: true });
fs.mkdirSync(path.join(outDir, 'measure'), { recursive: true });
const server = await startServer();
const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-quic', '--no-first-run', '--disable-sync'],
});
try {
  const photoCount = fs.readdirSync(photos).length;
  console.log(`measure: server ${server.url}, model ${path.basename(model)}, ${server.images} images indexed in ${dataDir}`);
  if (server.images < photoCount) await indexThroughThePage(browser, server.url);

  const passes = {};
  for (const pass of ['thumbnails-cold', 'thumbnails-warm']) {
    if (pass === 'thumbnails-cold') fs.rmSync(path.join(dataDir, 'thumbnails'), { recursive: true, force: true });
    const results = [];
    for (let run = 0; run < runs; run++) {
      const query = QUERIES[run % QUERIES.length];
      const result = await measureOnce(browser, server.url, query, k, pass === 'thumbnails-warm' && run === 0 ? 'full-model-results.png' : undefined);
      results.push({ query, ...result });
      console.log(
        `  ${pass} run ${run + 1}: ${round(result.ms)} ms (graphql answered at ${round(result.graphqlMs)} ms, first thumbnail requested at ${round(result.firstThumbnailRequestMs)} ms, last thumbnail at ${round(result.lastThumbnailMs)} ms, ${result.thumbnails} thumbnails) — ${result.status}`,
      );
    }
    passes[pass] = { medianMs: round(median(results.map((r) => r.ms))), medianGraphqlMs: round(median(results.map((r) => r.graphqlMs))), runs: results };
    console.log(`measure: ${pass}: Enter to gallery filled (k=${k}), median of ${runs}: ${passes[pass].medianMs} ms (graphql answer: ${passes[pass].medianGraphqlMs} ms)`);
  }
  const hundred = await measureHundred(browser, server.url);
  console.log(
    `measure: k=100: visible thumbnails loaded ${round(hundred.ms)} ms after Enter; ${hundred.thumbnailsRequested} of 100 thumbnails requested (lazy); longest main-thread task ${round(hundred.longestTaskMs)} ms`,
  );
  const report = { date: new Date().toISOString(), model, photos, k, runs, loadAverage: os.loadavg(), passes, hundred };
  fs.writeFileSync(path.join(outDir, 'measure/search-latency.json'), `${JSON.stringify(report, null, 2)}\n`);
} finally {
  await browser.close();
  server.child.kill('SIGTERM');
}
