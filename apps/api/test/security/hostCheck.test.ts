/**
 * The Host check is exact (issue 10, finding 1): loopback names and addresses, the configured host, and the names
 * in SIS_ALLOWED_HOSTS; nothing that merely starts like one of them.
 */
import http from 'node:http';
import fc from 'fast-check';
import { allowedHostNames, isAllowedHost, parseHostHeader } from '../../src/server/hostCheck';
import { loadServerSettings } from '../../src/server/settings';
import { rawGet, startTestServer, type TestServer } from '../server/helpers';

const RUNS = { numRuns: 400 };
const loopbackAllowed = allowedHostNames('127.0.0.1', []);
const port = fc.option(fc.integer({ min: 1, max: 65_535 }), { nil: undefined });
const withPort = (host: string, p: number | undefined) => (p === undefined ? host : `${host}:${p}`);
const byte = fc.integer({ min: 0, max: 255 });
/** What a rebinding attacker controls: any domain, including ones that look like addresses. */
const attackerDomain = fc.oneof(fc.domain(), fc.constantFrom('attacker.example', 'evil.com', '0.0.0.1.nip.io'));
const loopbackSpelling = fc.oneof(
  fc.constantFrom('localhost', '127.0.0.1', '[::1]', '127.1.2.3', '[0:0:0:0:0:0:0:1]'),
  fc.tuple(byte, byte, byte).map(([a, b, c]) => `127.${a}.${b}.${c}`),
);

describe('Host header check', () => {
  it('accepts every loopback address and name, with or without a port, in any case', () => {
    fc.assert(
      fc.property(loopbackSpelling, port, fc.boolean(), (host, p, upper) => {
        const header = withPort(upper ? host.toUpperCase() : host, p);
        expect(isAllowedHost(header, loopbackAllowed)).toBe(true);
      }),
      RUNS,
    );
  });

  it('refuses names that only start (or end) like loopback: 127.0.0.1.attacker.example, 127.evil.com, 127.0.0.1@evil.com', () => {
    const disguise = fc.oneof(
      fc.tuple(loopbackSpelling, attackerDomain).map(([loop, domain]) => `${loop}.${domain}`),
      fc.tuple(loopbackSpelling, attackerDomain).map(([loop, domain]) => `${loop}@${domain}`),
      fc.tuple(attackerDomain, loopbackSpelling).map(([domain, loop]) => `${domain}@${loop}`),
      fc.tuple(attackerDomain, loopbackSpelling).map(([domain, loop]) => `${loop}${domain}`),
      attackerDomain.map((domain) => `127.${domain}`),
      attackerDomain.map((domain) => `localhost.${domain}`),
      fc.tuple(loopbackSpelling, fc.string({ minLength: 1, maxLength: 8 })).map(([loop, junk]) => `${loop}/${junk}`),
    );
    fc.assert(
      fc.property(disguise, port, (host, p) => {
        expect(isAllowedHost(withPort(host, p), loopbackAllowed)).toBe(false);
      }),
      RUNS,
    );
    for (const header of ['127.0.0.1.attacker.example:4000', '127.evil.com', '127.0.0.1@evil.com', '127.0.0.1:4000@evil.com', '', ' ', 'localhost:99999', '127.1']) {
      expect(isAllowedHost(header, loopbackAllowed)).toBe(false);
    }
    expect(isAllowedHost(undefined, loopbackAllowed)).toBe(false);
  });

  it('accepts the configured host and the listed names exactly, and no other domain', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.domain(), { minLength: 1, maxLength: 4 }), attackerDomain, port, (listed, other, p) => {
        const allowed = allowedHostNames('photos.internal', listed);
        for (const name of [...listed, 'photos.internal']) expect(isAllowedHost(withPort(name.toUpperCase(), p), allowed)).toBe(true);
        const isListed = [...listed, 'photos.internal', 'localhost', 'localhost.'].includes(other.toLowerCase());
        expect(isAllowedHost(withPort(other, p), allowed)).toBe(isListed);
        expect(isAllowedHost(withPort(`${listed[0]}.${other}`, p), allowed)).toBe(false);
      }),
      RUNS,
    );
  });

  it('parses only well-formed host[:port] values', () => {
    expect(parseHostHeader('Example.ORG:8080')).toBe('example.org');
    expect(parseHostHeader('[::1]:4000')).toBe('[::1]');
    for (const bad of ['a@b', 'a b', 'a:b', '[::1', 'x_y.example', 'a:', ':80', 'a:0', 'http://a']) expect(parseHostHeader(bad)).toBeUndefined();
  });

  it('validates SIS_ALLOWED_HOSTS', () => {
    expect(loadServerSettings({ SIS_ALLOWED_HOSTS: 'Photos.example.org, 192.168.1.20,[fd00::1]' }).allowedHosts).toEqual(['Photos.example.org', '192.168.1.20', '[fd00::1]']);
    expect(() => loadServerSettings({ SIS_ALLOWED_HOSTS: 'photos.example.org:4000' })).toThrow(/SIS_ALLOWED_HOSTS must list host names without ports/);
    expect(() => loadServerSettings({ SIS_ALLOWED_HOSTS: 'http://photos.example.org' })).toThrow(/SIS_ALLOWED_HOSTS/);
  });
});

describe('Host check on a running server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ photoCount: 2, server: { allowedHosts: ['photos.example.org'] } });
  }, 60_000);
  afterAll(() => server?.close());

  it('refuses a reindex sent with a rebinding Host, and starts no job', async () => {
    const { port: serverPort } = new URL(server.url);
    for (const host of [`127.0.0.1.attacker.example:${serverPort}`, '127.evil.com', `127.0.0.1@evil.com:${serverPort}`]) {
      const response = await rawGet(server.url, `/graphql?query=${encodeURIComponent('{ stats { images } }')}`, { host, 'apollo-require-preflight': '1' });
      expect(response.status).toBe(403);
      expect(response.body.toString()).toMatch(/SIS_ALLOWED_HOSTS/);
    }
    // fetch cannot set Host; node:http can.
    const status = await new Promise<number>((resolve, reject) => {
      const request = http.request(
        { hostname: '127.0.0.1', port: serverPort, path: '/graphql', method: 'POST', headers: { host: `127.0.0.1.attacker.example:${serverPort}`, 'content-type': 'application/json' } },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on('error', reject);
      request.end(JSON.stringify({ query: 'mutation { reindex(dir: ".") { id } }' }));
    });
    expect(status).toBe(403);
    expect(server.server.jobs.list()).toEqual([]);
  });

  it('builds image URLs on the Host the request used, and only on an accepted one', async () => {
    await server.gql('mutation { reindex(dir: ".") { id } }');
    for (let i = 0; i < 200 && server.server.jobs.current(); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    const { port: serverPort } = new URL(server.url);
    const query = encodeURIComponent('{ search(query: "a photo", k: 1) { hits { imageUrl } } }');
    const viaName = await rawGet(server.url, `/graphql?query=${query}`, { host: `Photos.Example.org:${serverPort}`, 'apollo-require-preflight': '1', accept: 'application/json' });
    expect(viaName.status).toBe(200);
    const hit = (JSON.parse(viaName.body.toString()) as { data: { search: { hits: { imageUrl: string }[] } } }).data.search.hits[0]!;
    expect(hit.imageUrl).toMatch(new RegExp(`^http://photos\\.example\\.org:${serverPort}/images/\\d+$`));
  });
});
