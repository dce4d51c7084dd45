import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { reindexAndWait, rawGet, sharp, startTestServer, type TestServer } from './helpers';

interface Hit {
  id: string;
  path: string;
  width: number;
  height: number;
}

describe('GET /images/:id and /thumbnails/:id', () => {
  let server: TestServer;
  let hits: Hit[];

  beforeAll(async () => {
    server = await startTestServer();
    // 40x20 pixels stored, EXIF orientation 6 (rotate 90): shown as 20x40.
    const rotated = await sharp({ create: { width: 40, height: 20, channels: 3, background: { r: 250, g: 20, b: 20 } } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    fs.writeFileSync(path.join(server.photos, 'rotated.jpg'), rotated);
    expect((await reindexAndWait(server, server.photos)).state).toBe('SUCCEEDED');
    const response = await server.gql<{ search: { hits: Hit[] } }>('{ search(query: "anything", k: 20) { hits { id path width height } } }');
    hits = response.data!.search.hits;
    expect(hits).toHaveLength(9);
  }, 120_000);
  afterAll(() => server?.close());

  const hitFor = (name: string) => hits.find((hit) => hit.path === name)!;

  it('serves the exact original bytes with the right content type and cache headers', async () => {
    for (const hit of hits.slice(0, 3)) {
      const response = await fetch(`${server.url}/images/${hit.id}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/jpeg');
      expect(response.headers.get('cache-control')).toBe('private, max-age=3600');
      expect(response.headers.get('etag')).toBeTruthy();
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(bytes.equals(fs.readFileSync(path.join(server.photos, hit.path)))).toBe(true);
    }
  });

  it('answers a conditional request with 304', async () => {
    // Raw HTTP: fetch adds "Cache-Control: no-cache" to conditional requests, which forces a full answer.
    const first = await rawGet(server.url, `/images/${hits[0]!.id}`);
    const again = await rawGet(server.url, `/images/${hits[0]!.id}`, { 'if-none-match': String(first.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it('serves a small JPEG thumbnail, made once and then read from the data directory', async () => {
    const hit = hits.find((candidate) => candidate.path !== 'rotated.jpg')!;
    const first = await fetch(`${server.url}/thumbnails/${hit.id}`);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('image/jpeg');
    expect(first.headers.get('cache-control')).toBe('private, max-age=3600');
    expect(first.headers.get('x-thumbnail-cache')).toBe('miss');
    const bytes = Buffer.from(await first.arrayBuffer());
    const meta = await sharp(bytes).metadata();
    expect(meta.format).toBe('jpeg');
    expect(Math.max(meta.width, meta.height)).toBe(256);
    expect(meta.width / meta.height).toBeCloseTo(hit.width / hit.height, 1);

    const cached = path.join(server.config.dataDir, 'thumbnails', `${hit.id}.jpg`);
    expect(fs.readFileSync(cached).equals(bytes)).toBe(true);
    const mtime = fs.statSync(cached).mtimeMs;
    const second = await fetch(`${server.url}/thumbnails/${hit.id}`);
    expect(second.headers.get('x-thumbnail-cache')).toBe('hit');
    expect(Buffer.from(await second.arrayBuffer()).equals(bytes)).toBe(true);
    expect(fs.statSync(cached).mtimeMs).toBe(mtime);
  });

  it('applies EXIF orientation to thumbnails (and reports the oriented size)', async () => {
    const hit = hitFor('rotated.jpg');
    expect({ width: hit.width, height: hit.height }).toEqual({ width: 20, height: 40 });
    const response = await fetch(`${server.url}/thumbnails/${hit.id}`);
    const meta = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
    expect({ width: meta.width, height: meta.height }).toEqual({ width: 20, height: 40 });
  });

  it('shares one rendering between concurrent first requests', async () => {
    const hit = hits.at(-1)!;
    const responses = await Promise.all(Array.from({ length: 4 }, () => fetch(`${server.url}/thumbnails/${hit.id}`)));
    const bodies = await Promise.all(responses.map(async (response) => Buffer.from(await response.arrayBuffer())));
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200]);
    for (const body of bodies) expect(body.equals(bodies[0]!)).toBe(true);
    expect(fs.readdirSync(path.join(server.config.dataDir, 'thumbnails')).filter((name) => name.includes('.tmp-'))).toEqual([]);
  });

  it.each([
    '/images/999999',
    '/thumbnails/999999',
    '/images/0',
    '/images/abc',
    '/images/1.5',
    '/images/-1',
    '/images/01',
    '/images/1e3',
    '/images/%2e%2e%2fetc%2fpasswd',
    '/images/..%2F..%2F..%2Fetc%2Fpasswd',
    '/images/../../../../etc/passwd',
    '/thumbnails/../../data/catalogue.sqlite',
    '/images/1/../../package.json',
    '/images/',
    '/images',
    '/thumbnails/%00',
    '/data/catalogue.sqlite',
    '/etc/passwd',
  ])('answers %s with 404 and serves no file', async (requestPath) => {
    const response = await rawGet(server.url, requestPath);
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body.length).toBeLessThan(200);
  });

  it('answers 404 for an indexed image whose file was deleted (and does not crash)', async () => {
    const hit = hits.find((candidate) => candidate.path !== 'rotated.jpg' && candidate !== hits.at(-1))!;
    const file = path.join(server.photos, hit.path);
    const bytes = fs.readFileSync(file);
    fs.rmSync(file);
    try {
      expect((await fetch(`${server.url}/images/${hit.id}`)).status).toBe(404);
      fs.rmSync(path.join(server.config.dataDir, 'thumbnails', `${hit.id}.jpg`), { force: true });
      expect((await fetch(`${server.url}/thumbnails/${hit.id}`)).status).toBe(404);
    } finally {
      fs.writeFileSync(file, bytes);
    }
  });
});

describe('the playground, CORS, host check and error hygiene', () => {
  let server: TestServer;
  let failing: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ photoCount: 2 });
    failing = await startTestServer({
      photoCount: 1,
      wrapEngine: (engine) => ({
        ...engine,
        searcher: Object.assign(Object.create(engine.searcher) as typeof engine.searcher, {
          searchText: async () => {
            throw new Error('boom: secret detail /etc/shadow');
          },
        }),
      }),
    });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await failing?.close();
  });

  it.each(['/', '/graphql'])('shows GraphiQL at %s to a browser, with every asset served locally', async (page) => {
    const response = await fetch(`${server.url}${page}`, { headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain('graphiql');
    expect(html).not.toMatch(/apollographql|embeddable-sandbox|unpkg|jsdelivr|cdn\./i);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(assets.length).toBe(5);
    for (const asset of assets) {
      expect(asset.startsWith('/')).toBe(true); // same origin, no CDN
      const assetResponse = await fetch(`${server.url}${asset}`);
      expect(assetResponse.status).toBe(200);
      expect(assetResponse.headers.get('content-type')).toMatch(asset.endsWith('.css') ? /text\/css/ : /javascript/);
      expect((await assetResponse.arrayBuffer()).byteLength).toBeGreaterThan(100);
    }
    expect(html).toContain('data-endpoint="/graphql"');
  });

  it('still answers GraphQL at /graphql for clients (POST, and GET with a CSRF-safe header)', async () => {
    const post = await server.gql<{ stats: { images: number } }>('{ stats { images } }');
    expect(post.data).toEqual({ stats: { images: 0 } });
    const get = await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ stats { images } }')}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
    });
    expect(await get.json()).toEqual({ data: { stats: { images: 0 } } });
    const root = await fetch(`${server.url}/`, { headers: { accept: 'application/json' } });
    expect(await root.json()).toMatchObject({ graphql: '/graphql' });
  });

  it('refuses what a cross-site page can send without a preflight (CSRF): GET and simple POSTs, mutations above all', async () => {
    const mutation = `mutation { reindex(dir: ${JSON.stringify(server.photos)}) { id } }`;
    const csrf = /potential Cross-Site Request Forgery/;
    // A GET without the preflight header: what an <img src> or a link can do.
    const get = await fetch(`${server.url}/graphql?query=${encodeURIComponent(mutation)}`, { headers: { accept: 'application/json' } });
    expect(get.status).toBe(400);
    expect(await get.text()).toMatch(csrf);
    // A form POST (text/plain and urlencoded are "simple": no preflight).
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded']) {
      const post = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': contentType }, body: JSON.stringify({ query: mutation }) });
      expect(post.status).toBe(400);
      expect(await post.text()).toMatch(csrf);
    }
    // With the preflight header a GET still may not mutate.
    const preflighted = await fetch(`${server.url}/graphql?query=${encodeURIComponent(mutation)}`, { headers: { accept: 'application/json', 'apollo-require-preflight': 'true' } });
    expect(preflighted.status).toBe(405);
    // None of them started a reindex.
    expect(server.server.jobs.list()).toEqual([]);
  });

  it('allows the web app dev server origin (CORS) and no other', async () => {
    const preflight = (origin: string) =>
      fetch(`${server.url}/graphql`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    const allowed = await preflight('http://localhost:5173');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const refused = await preflight('http://evil.example');
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses requests naming another host (DNS rebinding) while on loopback', async () => {
    const response = await rawGet(server.url, '/graphql', { host: 'evil.example:4000' });
    expect(response.status).toBe(403);
    expect((await rawGet(server.url, '/healthz', { host: `localhost:${new URL(server.url).port}` })).status).toBe(200);
  });

  it('answers an unexpected error with a generic message and no stack, and logs the details', async () => {
    const response = await failing.gql('{ search(query: "a dog") { totalImages } }');
    expect(response.errors).toHaveLength(1);
    const [error] = response.errors!;
    expect(error!.message).toBe('Internal server error');
    expect(error!.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', errorId: expect.any(String) });
    expect(response.raw).not.toMatch(/boom|shadow|stacktrace|\.ts:\d+|at .*\(/);
    const logged = failing.logs.find((line) => line.errorId === error!.extensions!.errorId);
    expect(logged).toMatchObject({ level: 50, msg: 'unexpected error in a GraphQL request' });
    expect(JSON.stringify(logged)).toMatch(/boom: secret detail/);
    expect((logged!.err as { stack: string }).stack).toMatch(/searchText|http\.test/);
  });

  it('answers an unexpected error in an HTTP route with a bare 500 and logs the details', async () => {
    await failing.engine.indexer!.reindex(failing.photos);
    // A file where the thumbnail folder should be: the thumbnail cannot be stored.
    fs.writeFileSync(path.join(failing.config.dataDir, 'thumbnails'), 'in the way');
    const response = await fetch(`${failing.url}/thumbnails/1`);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: 'Internal server error' });
    const logged = failing.logs.find((line) => line.msg === 'unexpected error in an HTTP request');
    expect(logged).toMatchObject({ level: 50, path: '/thumbnails/1', err: { code: expect.stringMatching(/EEXIST|ENOTDIR/) } });
  });

  it('keeps GraphQL syntax and validation errors readable, still without stacks', async () => {
    const syntax = await server.gql('{ search(query: ');
    expect(syntax.status).toBe(400);
    expect(syntax.errors![0]!.extensions).toEqual({ code: 'GRAPHQL_PARSE_FAILED' });
    const unknown = await server.gql('{ search(query: "x") { nope } }');
    expect(unknown.errors![0]!.message).toMatch(/Cannot query field "nope"/);
    expect(unknown.errors![0]!.extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
    const badJson = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(badJson.status).toBe(400);
    expect(await badJson.text()).not.toMatch(/ at |stack/i);
  });

  it('refuses documents with too many tokens before parsing them all', async () => {
    const response = await server.gql(`{ ${Array.from({ length: 6000 }, (_, i) => `a${i}: __typename`).join(' ')} }`);
    expect(response.status).toBe(400);
    expect(response.errors![0]!.message).toMatch(/Document contains more tha[nt] 10000 tokens/) // graphql-js says "more that";
  });

  it('logs one structured line per request with its timing', async () => {
    await fetch(`${server.url}/healthz`);
    const line = server.logs.filter((entry) => entry.msg === 'request' && entry.path === '/healthz').at(-1);
    expect(line).toMatchObject({ method: 'GET', status: 200, requestId: expect.any(String), ms: expect.any(Number) });
  });
});

describe('serving the built web app', () => {
  let server: TestServer;
  let webDir: string;

  beforeAll(async () => {
    webDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-web-'));
    fs.mkdirSync(path.join(webDir, 'assets'));
    fs.writeFileSync(path.join(webDir, 'index.html'), '<!doctype html><title>web app</title><div id="root"></div>');
    fs.writeFileSync(path.join(webDir, 'assets', 'app.js'), 'console.log("app")');
    server = await startTestServer({ photoCount: 1, server: { webDir } });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    fs.rmSync(webDir, { recursive: true, force: true });
  });

  const html = { accept: 'text/html,*/*;q=0.8' };

  it('serves the web app at / and its client-side routes, its assets, and the playground at /graphql', async () => {
    expect(await (await fetch(`${server.url}/`, { headers: html })).text()).toContain('<title>web app</title>');
    expect(await (await fetch(`${server.url}/search/beach`, { headers: html })).text()).toContain('<title>web app</title>');
    const asset = await fetch(`${server.url}/assets/app.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(await (await fetch(`${server.url}/graphql`, { headers: html })).text()).toContain('graphiql.min.js');
    expect((await server.gql('{ stats { images } }')).data).toEqual({ stats: { images: 0 } });
  });

  it('still answers 404 (JSON) for unknown non-page requests and unknown images', async () => {
    expect((await fetch(`${server.url}/assets/missing.js`)).status).toBe(404);
    expect((await rawGet(server.url, '/images/42')).status).toBe(404);
    expect((await rawGet(server.url, '/../../etc/passwd', html)).body.toString()).not.toMatch(/root:/);
  });
});
