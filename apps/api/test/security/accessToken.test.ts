/**
 * Access token (issue 10, "also expected"): GraphQL, /images and /thumbnails need it (Bearer header or the login
 * cookie), /healthz does not; failed attempts are logged and rate-limited per client address in bounded memory;
 * a bind beyond loopback without a token refuses to start.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { FailureLimiter } from '../../src/server/auth/failureLimiter';
import { resolveAccessToken, TOKEN_FILE_NAME } from '../../src/server/auth/token';
import { defaultServerConfig, startServer } from '../../src/server';
import { loadServerSettings } from '../../src/server/settings';
import { reindexAndWait, startTestServer, type TestServer } from '../server/helpers';

const TOKEN = 'correct-horse-battery-staple-42';

describe('a server with an access token', () => {
  let server: TestServer;
  let imageId: string;
  beforeAll(async () => {
    server = await startTestServer({ photoCount: 2, server: { accessToken: TOKEN, auth: { maxFailures: 3, windowMs: 60_000 } } });
    // Indexed through the engine: the API itself is locked.
    await server.engine.indexer!.reindex(server.photos);
    imageId = String((await server.engine.searcher.searchText('a photo', 1)).hits[0]!.id);
  }, 120_000);
  afterAll(() => server?.close());

  const query = (headers: Record<string, string> = {}) =>
    fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: '{ stats { images } }' }) });

  it('refuses GraphQL, images and thumbnails without a token, and answers /healthz', async () => {
    const graphql = await query();
    expect(graphql.status).toBe(401);
    expect(graphql.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await graphql.json()).toEqual({ errors: [{ message: expect.stringMatching(/access token/), extensions: { code: 'UNAUTHENTICATED' } }] });
    expect((await fetch(`${server.url}/images/${imageId}`)).status).toBe(401);
    expect((await fetch(`${server.url}/thumbnails/${imageId}`)).status).toBe(401);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${server.url}/auth/session`)).json()).toEqual({ required: true, authenticated: false });
  });

  it('accepts the token as a Bearer header', async () => {
    const response = await query({ authorization: `Bearer ${TOKEN}` });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { stats: { images: 2 } } });
    expect((await fetch(`${server.url}/images/${imageId}`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('logs in: the cookie is HttpOnly and SameSite=Strict, and opens GraphQL, images and thumbnails', async () => {
    const login = await fetch(`${server.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: TOKEN }) });
    expect(login.status).toBe(204);
    const setCookie = login.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^sis_token=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    const cookie = setCookie.split(';')[0]!;
    expect((await query({ cookie })).status).toBe(200);
    expect((await fetch(`${server.url}/images/${imageId}`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${server.url}/thumbnails/${imageId}`, { headers: { cookie } })).status).toBe(200);
    expect(await (await fetch(`${server.url}/auth/session`, { headers: { cookie } })).json()).toEqual({ required: true, authenticated: true });
    // A form post (no JSON) is refused: a cross-site page cannot log a browser in with its own token.
    const form = await fetch(`${server.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${TOKEN}` });
    expect(form.status).toBe(415);
  });

  it('logs wrong tokens and refuses the address (even with the right token) after too many', async () => {
    const before = server.logs.length;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const wrong = await query({ authorization: 'Bearer not-the-token' });
      expect(wrong.status).toBe(401);
    }
    const limited = await query({ authorization: `Bearer ${TOKEN}` });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const login = await fetch(`${server.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: TOKEN }) });
    expect(login.status).toBe(429);
    // /auth/session is no oracle: it is limited like the rest.
    expect((await fetch(`${server.url}/auth/session`, { headers: { cookie: `sis_token=${TOKEN}` } })).status).toBe(429);
    const warnings = server.logs.slice(before).filter((line) => line.msg === 'wrong access token');
    expect(warnings).toHaveLength(3);
    expect(warnings[2]).toMatchObject({ level: 40, client: expect.stringMatching(/127\.0\.0\.1/), path: '/graphql', failures: 3, limit: 3 });
    expect(JSON.stringify(server.logs)).not.toContain(TOKEN);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe('a loopback server without a token', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ photoCount: 1 });
  }, 60_000);
  afterAll(() => server?.close());

  it('works as before: no token needed', async () => {
    expect((await server.gql('{ stats { images } }')).status).toBe(200);
    expect(await (await fetch(`${server.url}/auth/session`)).json()).toEqual({ required: false, authenticated: true });
    await reindexAndWait(server, server.photos);
  }, 60_000);
});

describe('choosing the token', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-token-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('refuses a bind beyond loopback without a token, saying how to set one', async () => {
    for (const host of ['0.0.0.0', '192.168.1.20', '::', 'photos.example.org']) {
      expect(() => resolveAccessToken({ host, dataDir, envToken: undefined })).toThrow(/needs an access token.*SIS_API_TOKEN.*sis serve --new-token/s);
    }
    for (const host of ['127.0.0.1', 'localhost', '::1', '127.0.0.2']) expect(resolveAccessToken({ host, dataDir, envToken: undefined })).toBeUndefined();
    // And the server itself does not start (before it opens anything).
    const config = { ...defaultServerConfig, host: '0.0.0.0', port: 0, dataDir: path.join(dataDir, 'data') };
    await expect(startServer(config, { env: {} })).rejects.toThrow(/needs an access token/);
    expect(fs.existsSync(config.dataDir)).toBe(false);
  });

  it('creates a token file (mode 0600) with --new-token, and uses it on later starts; SIS_API_TOKEN wins', () => {
    const created = resolveAccessToken({ host: '0.0.0.0', dataDir, envToken: undefined, newToken: true })!;
    const file = path.join(dataDir, TOKEN_FILE_NAME);
    expect(created.createdFile).toBe(file);
    expect(created.token.length).toBeGreaterThanOrEqual(32);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const again = resolveAccessToken({ host: '0.0.0.0', dataDir, envToken: undefined })!;
    expect(again).toEqual({ token: created.token, source: 'file' });
    // A token file, once there, is required on loopback too.
    expect(resolveAccessToken({ host: '127.0.0.1', dataDir, envToken: undefined })?.token).toBe(created.token);
    expect(resolveAccessToken({ host: '0.0.0.0', dataDir, envToken: 'from-the-environment-123' })).toEqual({ token: 'from-the-environment-123', source: 'env' });
    expect(() => resolveAccessToken({ host: '0.0.0.0', dataDir, envToken: 'from-the-environment-123', newToken: true })).toThrow(/SIS_API_TOKEN is set/);
  });

  it('refuses a short SIS_API_TOKEN', () => {
    expect(() => loadServerSettings({ SIS_API_TOKEN: 'short' })).toThrow(/at least 16 characters/);
    expect(loadServerSettings({ SIS_API_TOKEN: ' long-enough-token-1234 ' }).apiToken).toBe('long-enough-token-1234');
  });
});

describe('FailureLimiter', () => {
  it('never remembers more than maxClients addresses, and limits each one after maxFailures in a window', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 500 })), { maxLength: 300 }),
        fc.integer({ min: 1, max: 10 }),
        (events, maxClients) => {
          let now = 0;
          const limiter = new FailureLimiter({ maxFailures: 3, windowMs: 1000, maxClients }, () => now);
          const counts = new Map<string, { start: number; n: number }>();
          for (const [client, step] of events) {
            now += step;
            const name = `10.0.0.${client}`;
            limiter.fail(name);
            expect(limiter.size).toBeLessThanOrEqual(maxClients);
            const entry = counts.get(name);
            if (!entry || now - entry.start >= 1000) counts.set(name, { start: now, n: 1 });
            else entry.n++;
            // A client just seen is always remembered, so its count is exact: limited at the third failure.
            const expected = counts.get(name)!.n >= 3;
            if (maxClients >= 41) expect(limiter.retryAfterMs(name) > 0).toBe(expected);
            if (limiter.retryAfterMs(name) > 0) expect(counts.get(name)!.n).toBeGreaterThanOrEqual(3);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
