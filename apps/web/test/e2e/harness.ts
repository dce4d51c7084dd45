import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

/** The end-to-end tests run the real server (apps/api/dist) serving the built app (apps/web/dist) with the tiny model. */

export const repoRoot = path.resolve(__dirname, '../../../..');
export const sharedDir = process.env.SIS_SHARED_DIR ?? path.resolve(repoRoot, '../shared');
export const tinyModelDir = path.join(sharedDir, 'models/clip-tiny-random');
export const photosDir = path.join(sharedDir, 'datasets/flickr8k-photos-500/images');
export const cliPath = path.join(repoRoot, 'apps/api/dist/cli.js');
export const webDir = path.join(repoRoot, 'apps/web/dist');
/** The repository's ignored output folder: CI artifacts. */
export const screenshotDir = path.join(repoRoot, 'out/screenshots');
export const chromiumPath = process.env.SIS_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-quic',
  '--no-first-run',
  '--disable-sync',
];

/** Debian's Chromium, never a downloaded browser. */
export function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(chromiumPath)) {
    throw new Error(`Chromium not found at ${chromiumPath}: install Debian's chromium (scripts/setup.sh does) or set SIS_CHROMIUM.`);
  }
  return chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS, timeout: 30_000 });
}

export function checkBuilt(): void {
  for (const file of [cliPath, path.join(webDir, 'index.html')]) {
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: build first (pnpm exec turbo run build).`);
  }
}

/** The first `count` photos (name order, after `offset`) of the shared photo set, copied into `folder`. */
export function copyPhotos(folder: string, count: number, offset = 0): string[] {
  fs.mkdirSync(folder, { recursive: true });
  return fs
    .readdirSync(photosDir)
    .sort()
    .slice(offset, offset + count)
    .map((name) => {
      fs.copyFileSync(path.join(photosDir, name), path.join(folder, name));
      return name;
    });
}

export interface Served {
  url: string;
  child: ChildProcess;
  logs: string[];
  stop(): Promise<void>;
}

/** Starts `sis serve --port 0` and resolves with the address from its "server listening" log line. */
export function startServer(env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<Served> {
  const child = spawn(process.execPath, [cliPath, 'serve', '--port', '0', '--host', '127.0.0.1'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME ?? os.tmpdir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`sis serve did not start within ${timeoutMs} ms:\n${logs.join('\n')}`));
    }, timeoutMs);
    let buffer = '';
    child.stderr!.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        logs.push(line);
        try {
          const parsed = JSON.parse(line) as { msg?: string; url?: string };
          if (parsed.msg === 'server listening' && parsed.url) {
            clearTimeout(timer);
            resolve({ url: parsed.url, child, logs, stop });
          }
        } catch {
          // not a log line
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`sis serve exited with ${code} before listening:\n${logs.join('\n')}`));
    });
  });
}

export async function gql<T>(url: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data: T; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** Starts a reindex through the API and waits for it to finish. */
export async function reindex(url: string, dir: string): Promise<{ state: string; embedded: number }> {
  const { reindex: job } = await gql<{ reindex: { id: string } }>(url, 'mutation($dir: String!) { reindex(dir: $dir) { id } }', { dir });
  for (let i = 0; i < 600; i++) {
    const { reindexJob } = await gql<{ reindexJob: { state: string; embedded: number } }>(url, 'query($id: ID!) { reindexJob(id: $id) { state embedded } }', {
      id: job.id,
    });
    if (!['QUEUED', 'RUNNING'].includes(reindexJob.state)) return reindexJob;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('reindex did not finish in 60 s');
}

export interface ApiHit {
  id: string;
  path: string;
  score: number;
  width: number;
  height: number;
}

const HIT_FIELDS = 'totalImages hits { id path score width height }';

export async function apiSearch(url: string, query: string, k: number): Promise<{ totalImages: number; hits: ApiHit[] }> {
  const data = await gql<{ search: { totalImages: number; hits: ApiHit[] } }>(url, `query($q: String!, $k: Int!) { search(query: $q, k: $k) { ${HIT_FIELDS} } }`, {
    q: query,
    k,
  });
  return data.search;
}

export async function apiSimilar(url: string, imageId: string, k: number): Promise<{ totalImages: number; hits: ApiHit[] }> {
  const data = await gql<{ similar: { totalImages: number; hits: ApiHit[] } }>(url, `query($id: ID!, $k: Int!) { similar(imageId: $id, k: $k) { ${HIT_FIELDS} } }`, {
    id: imageId,
    k,
  });
  return data.similar;
}

export async function apiSearchByImage(url: string, file: string, k: number): Promise<{ totalImages: number; hits: ApiHit[] }> {
  const imageBase64 = fs.readFileSync(file).toString('base64');
  const data = await gql<{ searchByImage: { totalImages: number; hits: ApiHit[] } }>(
    url,
    `query($img: String!, $k: Int!) { searchByImage(imageBase64: $img, k: $k) { ${HIT_FIELDS} } }`,
    { img: imageBase64, k },
  );
  return data.searchByImage;
}

/** One end-to-end file's setup: its photos, the real server on them, Chromium, and the folder `library` indexed. */
export interface E2eLibrary {
  /** The temporary folder holding images/ and data/ (removed by close). */
  work: string;
  /** SIS_IMAGE_DIR. */
  images: string;
  server: Served;
  browser: Browser;
  /** Uncaught exceptions of every page opened by openLibraryPage (the files expect none after each test). */
  pageErrors: string[];
  /** A page in a context of its own (1280 x 900, scale 1 unless `context` says otherwise) at `pathAndQuery`. */
  openLibraryPage(pathAndQuery?: string, context?: BrowserContextOptions): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Lays out the photos (`fill` writes them under images/), starts `sis serve` on them (the tiny model, offline, the
 * built app; `env` adds or overrides settings) beside Chromium, and reindexes images/library through GraphQL, which
 * must succeed with `embedded` images embedded.
 */
export async function startLibrary(options: {
  name: string;
  fill: (images: string) => void | Promise<void>;
  embedded: number;
  env?: NodeJS.ProcessEnv;
}): Promise<E2eLibrary> {
  checkBuilt();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `sis-web-${options.name}-`));
  const images = path.join(work, 'images');
  fs.mkdirSync(images, { recursive: true });
  await options.fill(images);
  fs.mkdirSync(screenshotDir, { recursive: true });
  const [server, browser] = await Promise.all([
    startServer({ SIS_DATA_DIR: path.join(work, 'data'), SIS_MODEL: tinyModelDir, SIS_OFFLINE: '1', SIS_IMAGE_DIR: images, SIS_WEB_DIR: webDir, ...options.env }),
    launchChromium(),
  ]);
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  const library: E2eLibrary = {
    work,
    images,
    server,
    browser,
    pageErrors,
    async openLibraryPage(pathAndQuery = '/', context = {}) {
      const opened = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, ...context });
      contexts.push(opened);
      const page = await opened.newPage();
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(`${server.url}${pathAndQuery}`);
      return page;
    },
    async close() {
      await Promise.all(contexts.map((context) => context.close().catch(() => undefined)));
      await browser.close();
      await server.stop();
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
  try {
    expect(await reindex(server.url, 'library')).toMatchObject({ state: 'SUCCEEDED', embedded: options.embedded });
  } catch (error) {
    await library.close();
    throw error;
  }
  return library;
}
