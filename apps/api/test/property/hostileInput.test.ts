/**
 * Property-based tests (fast-check) of the GraphQL API server against hostile input, on one real server (tiny
 * model, 8 photos and a corrupt one indexed) started once for the file. Whatever is sent (random strings and
 * numbers in every argument, random documents, garbage bodies, wrong content types and methods), every answer
 * must hold the invariants of `violation()` in ./hostile.ts: no 5xx, no stack trace or source location, no
 * absolute path outside the indexed roots, every GraphQL error with a client error code; and the server must stay
 * up (a health request after each case) and log no error.
 *
 * A failure prints fast-check's counterexample with its seed and path. Replay: SIS_PROPERTY_SEED=<seed> npx jest
 * test/property; run longer: SIS_PROPERTY_RUNS=20 npx jest test/property (each property 20x as many cases).
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import type { GraphQLSchema } from 'graphql';
import { buildApiSchema } from '../../src/server/schema';
import { reindexAndWait, startTestServer, type TestServer } from '../server/helpers';
import {
  documentArbitrary,
  graphqlLiteral,
  hostileJson,
  hostileNumber,
  hostileString,
  leakContext,
  runs,
  send,
  stringsIn,
  valueFor,
  violation,
  type LeakContext,
  type RawRequest,
  type RawResponse,
} from './hostile';

jest.setTimeout(120_000);

let server: TestServer;
let schema: GraphQLSchema;
let context: LeakContext;
let jpeg: Buffer;
let errorLogsBefore = 0;

const errorLogs = () => server.logs.filter((line) => typeof line.level === 'number' && line.level >= 50);

beforeAll(async () => {
  server = await startTestServer({ photoCount: 8, config: { maxResults: 100, maxUploadBytes: 256 * 1024 } });
  const job = await reindexAndWait(server, server.photos);
  expect(job.state).toBe('SUCCEEDED');
  schema = await buildApiSchema();
  context = leakContext({ dataDir: server.config.dataDir, work: server.work, modelName: server.engine.embedder.modelName });
  jpeg = fs.readFileSync(path.join(server.photos, fs.readdirSync(server.photos).filter((name) => name !== 'corrupt.jpg').sort()[0]!));
});
afterAll(() => server?.close());

beforeEach(() => {
  errorLogsBefore = errorLogs().length;
});
afterEach(async () => {
  // The server is still up and healthy, and logged no unexpected error while the property ran.
  const health = await send(server.url, { method: 'GET', path: '/healthz' });
  expect(health.status).toBe(200);
  expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', images: 8 });
  const logged = errorLogs()
    .slice(errorLogsBefore)
    .map((line) => `${String(line.msg)}: ${String((line.err as { message?: string } | undefined)?.message ?? line.path ?? '')}`);
  expect(logged).toEqual([]);
});

/** Sends, checks the invariants, then checks that the server still answers /healthz. Throws on a violation. */
async function check(request: RawRequest, inputs: readonly string[]): Promise<RawResponse> {
  const response = await send(server.url, request);
  const problem = violation(response, { method: request.method, path: request.path, inputs: [...inputs, request.path, ...Object.values(request.headers ?? {})] }, context);
  if (problem) throw new Error(problem);
  const health = await send(server.url, { method: 'GET', path: '/healthz' });
  if (health.status !== 200) throw new Error(`/healthz answered ${health.status} after the request`);
  return response;
}

function graphqlRequest(body: unknown, headers: Record<string, string> = {}): RawRequest {
  return { method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

async function checkGraphQL(body: { query?: unknown; variables?: unknown; [key: string]: unknown }): Promise<RawResponse> {
  return check(graphqlRequest(body), stringsIn(body));
}

/** Each field of the schema with its arguments declared as variables of their real types. */
const FIELDS: { field: string; mutation?: boolean; args: Record<string, string>; selection: string }[] = [
  { field: 'search', args: { query: 'String!', k: 'Int', minScore: 'Float' }, selection: '{ totalImages tookMs hits { id path imageUrl thumbnailUrl width height score } }' },
  { field: 'similar', args: { imageId: 'ID!', k: 'Int', minScore: 'Float' }, selection: '{ totalImages hits { id path score } }' },
  { field: 'searchByImage', args: { imageBase64: 'String!', k: 'Int', minScore: 'Float' }, selection: '{ totalImages hits { id path score } }' },
  { field: 'image', args: { id: 'ID!' }, selection: '{ id path imageUrl thumbnailUrl width height }' },
  { field: 'reindexJob', args: { id: 'ID!' }, selection: '{ id dir state phase error skippedFiles { path reason message } }' },
  { field: 'reindex', mutation: true, args: { dir: 'String!', model: 'String' }, selection: '{ id dir state error model buildingModel }' },
  { field: 'models', args: {}, selection: '{ name alias family local current pickWhen }' },
  { field: 'modelSwitch', args: {}, selection: '{ model staged remaining }' },
  { field: 'cancelReindex', mutation: true, args: { id: 'ID!' }, selection: '{ id dir state }' },
  { field: 'stats', args: {}, selection: '{ images skippedFiles indexType modelName dimension dataDir lastReindexAt allowedRoots limits { maxResults maxQueryLength } }' },
];

const typeNameOf = (declared: string) => declared.replace(/[![\]]/g, '');

describe('hostile input never crashes the server, leaks nothing, and is answered with client error codes', () => {
  it('every field and argument, with hostile values in correctly declared variables', async () => {
    const arbitrary = fc.constantFrom(...FIELDS).chain((spec) =>
      fc.record({
        spec: fc.constant(spec),
        // Each argument: absent, or any value at all (right type or not).
        values: fc.record(Object.fromEntries(Object.entries(spec.args).map(([name, type]) => [name, valueFor(typeNameOf(type))])), { requiredKeys: [] }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(arbitrary, async ({ spec, values }) => {
        const names = Object.keys(spec.args);
        const definitions = names.length > 0 ? `(${names.map((name) => `$${name}: ${spec.args[name]}`).join(', ')})` : '';
        const args = names.length > 0 ? `(${names.map((name) => `${name}: $${name}`).join(', ')})` : '';
        const query = `${spec.mutation ? 'mutation' : 'query'} Op${definitions} { ${spec.field}${args} ${spec.selection} }`;
        const response = await checkGraphQL({ query, variables: values });
        if (spec.field === 'search' && response.status === 200) {
          const body = JSON.parse(response.body) as { data?: { search: { hits: { score: number }[]; totalImages: number } | null } | null };
          const result = body.data?.search;
          if (result) {
            expect(result.totalImages).toBe(8);
            expect(result.hits.length).toBeLessThanOrEqual(Math.min(8, typeof values.k === 'number' ? values.k : 12));
            for (const hit of result.hits) expect(Math.abs(hit.score)).toBeLessThanOrEqual(1.0001);
          }
        }
      }),
      runs(250),
    );
  });

  it('wrong variable types, missing and extra variables, variables that are not an object', async () => {
    const declared = fc.constantFrom('String', 'String!', 'Int', 'Int!', 'Float!', 'ID', 'Boolean', '[String!]!', '[[Int]]', 'Stats', 'Nope', 'DateTimeISO', 'ReindexJobState');
    const arbitrary = fc.record({
      spec: fc.constantFrom(...FIELDS.filter((spec) => Object.keys(spec.args).length > 0)),
      types: fc.array(declared, { minLength: 3, maxLength: 3 }),
      variables: fc.oneof({ weight: 4, arbitrary: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'q', '__proto__', 'constructor'), hostileJson, { maxKeys: 4 }) }, { weight: 1, arbitrary: hostileJson }),
    });
    await fc.assert(
      fc.asyncProperty(arbitrary, async ({ spec, types, variables }) => {
        const names = Object.keys(spec.args);
        const query = `${spec.mutation ? 'mutation' : 'query'}($a: ${types[0]}, $b: ${types[1]}, $c: ${types[2]}) { ${spec.field}(${names.map((name, i) => `${name}: $${'abc'[i]}`).join(', ')}) ${spec.selection} }`;
        await checkGraphQL({ query, variables });
      }),
      runs(150),
    );
  });

  it('hostile literals written inline in the document, for every argument', async () => {
    const arbitrary = fc.record({
      spec: fc.constantFrom(...FIELDS.filter((spec) => Object.keys(spec.args).length > 0)),
      literals: fc.array(graphqlLiteral, { minLength: 3, maxLength: 3 }),
      // Sometimes a character of the document is replaced or a chunk inserted: syntax errors anywhere.
      damage: fc.option(fc.tuple(fc.nat(), fc.constantFrom('', '{', '}', '(', ')', '"', '$', '@', '...', '#', '\0', '\u2028', 'é', ':', '!', '"""')), { freq: 4 }),
    });
    await fc.assert(
      fc.asyncProperty(arbitrary, async ({ spec, literals, damage }) => {
        const names = Object.keys(spec.args);
        let query = `${spec.mutation ? 'mutation' : ''} { ${spec.field}(${names.map((name, i) => `${name}: ${literals[i]}`).join(', ')}) ${spec.selection} }`;
        if (damage) {
          const at = damage[0] % (query.length + 1);
          query = query.slice(0, at) + damage[1] + query.slice(at + 1);
        }
        await checkGraphQL({ query });
      }),
      runs(200),
    );
  });

  it('uploads for searchByImage: random bytes, damaged and truncated JPEGs, odd base64 and data: URLs', async () => {
    const damagedJpeg = fc
      .tuple(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 30 }), fc.option(fc.nat(), { freq: 2 }), fc.integer({ min: 0, max: 2 }))
      .map(([flips, cut, kind]) => {
        const bytes = Buffer.from(jpeg);
        // Past the headers most of the time; sometimes in them.
        for (const [at, value] of flips) bytes[kind === 0 ? at % Math.min(bytes.length, 600) : at % bytes.length] = value;
        return cut === null ? bytes : bytes.subarray(0, cut % bytes.length);
      });
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 4096 }).map((a) => Buffer.from(a)), damagedJpeg, fc.constantFrom(Buffer.from('GIF89a'), Buffer.from('\x89PNG\r\n\x1a\n'), Buffer.from('RIFF\0\0\0\0WEBP'), Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')));
    const encoded = fc.tuple(bytes, fc.constantFrom('base64', 'base64url'), fc.constantFrom('', 'data:image/jpeg;base64,', 'data:;base64,', 'data:text/html;base64,', 'data:image/png;charset=utf-8;base64,'), fc.constantFrom('', '\n', ' ', '=', '==', '===', '!', '\0', '-_'), fc.nat()).map(([b, alphabet, prefix, junk, at]) => {
      const text = b.toString(alphabet as BufferEncoding);
      const i = at % (text.length + 1);
      return prefix + text.slice(0, i) + junk + text.slice(i);
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 4, arbitrary: encoded }, { weight: 1, arbitrary: hostileString }), fc.option(hostileNumber, { freq: 3 }), async (img, k) => {
        await checkGraphQL({ query: 'query($img: String!, $k: Int) { searchByImage(imageBase64: $img, k: $k) { totalImages hits { id score } } }', variables: { img, k } });
      }),
      runs(120),
    );
  });

  it('random documents from the schema: aliases, fragments, inline fragments, directives, unknown fields, several operations', async () => {
    await fc.assert(
      fc.asyncProperty(documentArbitrary(schema), async (document) => {
        await checkGraphQL({ ...document });
      }),
      runs(250),
    );
  });

  it('deep and wide documents: deep selections and fragments, fragment cycles, many aliases, long documents, deep list types', async () => {
    const nested = (depth: number): string => (depth === 0 ? 'name' : `ofType { ${nested(depth - 1)} }`);
    const shapes = fc.oneof(
      fc.integer({ min: 0, max: 40 }).map((d) => `{ __schema { types { fields { type { ${nested(d)} } } } } }`),
      fc.integer({ min: 1, max: 300 }).map((d) => `{ search(query: "a") { ${'... on SearchResult { '.repeat(d)}totalImages${' }'.repeat(d)} } }`),
      fc.integer({ min: 1, max: 60 }).map((n) => `query { ...F0 } ${Array.from({ length: n }, (_, i) => `fragment F${i} on Query { ${i + 1 < n ? `...F${i + 1}` : 'stats { images }'} }`).join(' ')}`),
      fc.integer({ min: 2, max: 10 }).map((n) => `query { ...F0 } ${Array.from({ length: n }, (_, i) => `fragment F${i} on Query { ...F${(i + 1) % n} }`).join(' ')}`),
      fc.integer({ min: 1, max: 2500 }).map((n) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: similar(imageId: "${(i % 9) + 1}", k: 100) { totalImages }`).join(' ')} }`),
      fc.integer({ min: 1, max: 400 }).map((n) => `{ ${Array.from({ length: n }, (_, i) => `s${i}: search(query: "photo ${i}", k: 100) { hits { id } }`).join(' ')} }`),
      fc.integer({ min: 1, max: 12_000 }).map((n) => `{ ${'stats { images } '.repeat(n)}}`),
      fc.integer({ min: 1, max: 3000 }).map((d) => `query($x: ${'['.repeat(d)}String${']'.repeat(d)}) { stats { images } }`),
      fc.integer({ min: 1, max: 6000 }).map((d) => `${'{'.repeat(d)}${'}'.repeat(d)}`),
      fc.integer({ min: 1, max: 200_000 }).map((n) => `# ${'x'.repeat(n)}\n{ stats { images } }`),
    );
    await fc.assert(
      fc.asyncProperty(shapes, fc.option(hostileJson, { freq: 2 }), async (query, x) => {
        await checkGraphQL({ query, ...(x !== null && { variables: { x } }) });
      }),
      runs(80),
    );
  });

  it('the other fields of a GraphQL request: operationName, extensions, automatic persisted queries', async () => {
    const hash = fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), hostileJson, fc.constant('ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38'));
    const persistedQuery = fc.record({ version: fc.oneof(fc.constant(1), hostileJson), sha256Hash: hash }, { requiredKeys: [] });
    const body = fc.record(
      {
        query: fc.oneof(fc.constantFrom('{ stats { images } }', 'query A { stats { images } } query B { __typename }', '{ __typename }'), hostileJson),
        operationName: fc.oneof(fc.constantFrom('A', 'B', 'C', ''), hostileJson),
        variables: hostileJson,
        extensions: fc.oneof(fc.record({ persistedQuery }), fc.dictionary(fc.string({ maxLength: 10 }), hostileJson, { maxKeys: 3 }), hostileJson),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(body, fc.boolean(), async (b, asGet) => {
        if (!asGet) return void (await checkGraphQL(b));
        const params = Object.entries(b).map(([name, value]) => `${name}=${encodeURIComponent(typeof value === 'string' ? value.replace(/[\ud800-\udfff]/g, '?') : (JSON.stringify(value) ?? ''))}`);
        await check({ method: 'GET', path: `/graphql?${params.join('&')}`, headers: { 'apollo-require-preflight': 'true' } }, stringsIn(b));
      }),
      runs(150),
    );
  });

  it('garbage over HTTP: any method, path, content type, encoding, body and GET parameters', async () => {
    const contentType = fc.oneof(
      fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'application/json; charset=latin1',
        'application/json; charset=utf-16',
        'application/json; charset=nope',
        'application/graphql',
        'application/graphql-response+json',
        'text/plain',
        'text/html',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/octet-stream',
        '*/*',
        ';;;',
        'application/json; boundary',
      ),
      fc.string({ unit: 'binary-ascii', maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
    );
    const encoding = fc.constantFrom(undefined, undefined, undefined, 'identity', 'gzip', 'deflate', 'br', 'compress', 'x-nope', 'gzip, gzip');
    const body = fc.oneof(
      hostileJson.map((value) => JSON.stringify(value) ?? ''),
      fc.record({ query: fc.oneof(hostileJson, fc.constant('{ stats { images } }')), variables: fc.option(hostileJson), operationName: fc.option(hostileJson), extensions: fc.option(fc.oneof(hostileJson, fc.record({ persistedQuery: fc.record({ version: hostileJson, sha256Hash: hostileJson }, { requiredKeys: [] }) }))) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
      fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a).toString('latin1')),
      hostileString,
      fc.constantFrom('', '{', '{"query":', 'null', '"{ stats { images } }"', '[{"query":"{ stats { images } }"}]', '{"query":"{ stats { images } }"}\u0000', '\ufeff{"query":"{ stats { images } }"}'),
    );
    const param = fc.tuple(fc.constantFrom('query', 'variables', 'operationName', 'extensions', 'x', 'query[]', 'query[a]', '__proto__'), fc.oneof(hostileString.filter((s) => s.length < 3000), hostileJson.map((v) => JSON.stringify(v) ?? ''), fc.constant('{ stats { images } }')));
    const requestPath = fc.oneof(
      { weight: 6, arbitrary: fc.constant('/graphql') },
      {
        weight: 2,
        arbitrary: fc.array(param, { maxLength: 4 }).map((params) => `/graphql?${params.map(([name, value]) => `${name}=${encodeURIComponent(value.replace(/[\ud800-\udfff]/g, '?'))}`).join('&')}`),
      },
      { weight: 1, arbitrary: fc.constantFrom('/graphql?query=%E0%A4%A', '/graphql/', '/graphql/..', '/GRAPHQL', '/graphql%00', '/healthz', '/', '/images/1', '/images/0', '/images/-1', '/images/1e3', '/images/%2e%2e%2fetc%2fpasswd', '/images/%E0%A4%A', '/thumbnails/99999999999999999999', '/thumbnails/%00', '/playground/assets/..%2f..%2fpackage.json', '/favicon.ico', '/nope') },
      { weight: 1, arbitrary: fc.webPath().map((p) => (p.startsWith('/') ? p : `/${p}`)) },
    );
    const request = fc.record({
      method: fc.constantFrom('POST', 'POST', 'POST', 'GET', 'GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
      path: requestPath,
      contentType: fc.option(contentType, { freq: 8 }),
      encoding,
      preflight: fc.boolean(),
      accept: fc.constantFrom(undefined, 'application/json', 'text/html', '*/*', 'application/graphql-response+json', 'text/event-stream', 'multipart/mixed'),
      body: fc.option(body, { freq: 8 }),
    });
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const headers: Record<string, string> = {};
        if (r.contentType !== null) headers['content-type'] = r.contentType;
        if (r.encoding) headers['content-encoding'] = r.encoding;
        if (r.preflight) headers['apollo-require-preflight'] = 'true';
        if (r.accept) headers.accept = r.accept;
        const sendsBody = r.body !== null && r.method !== 'GET' && r.method !== 'HEAD';
        await check({ method: r.method, path: r.path, headers, ...(sendsBody && { body: r.body! }) }, [r.body ?? '', decodeURIComponentSafe(r.path)]);
      }),
      runs(300),
    );
  });
});

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Counterexamples the properties found, kept as plain tests (each was a 500 or an INTERNAL_SERVER_ERROR before the fix). */
describe('regressions found by the properties', () => {
  const expectClientError = (response: RawResponse, status: number, code: string, message: RegExp) => {
    expect(response.status).toBe(status);
    const body = JSON.parse(response.body) as { errors: { message: string; extensions: Record<string, unknown> }[] };
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0]!.extensions).toEqual({ code });
    expect(body.errors[0]!.message).toMatch(message);
  };
  const stats = JSON.stringify({ query: '{ stats { images } }' });

  it.each(['latin1', 'nope'])('a JSON body in charset %s: 415 BAD_REQUEST (was 500)', async (charset) => {
    const response = await send(server.url, { method: 'POST', path: '/graphql', headers: { 'content-type': `application/json; charset=${charset}` }, body: stats });
    expectClientError(response, 415, 'BAD_REQUEST', /must be JSON in UTF-8/);
  });

  it.each(['compress', 'x-nope', 'gzip, gzip'])('a body with Content-Encoding %s: 415 BAD_REQUEST (was 500)', async (encoding) => {
    const response = await send(server.url, { method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json', 'content-encoding': encoding }, body: stats });
    expectClientError(response, 415, 'BAD_REQUEST', /Unsupported Content-Encoding/);
  });

  it('a body that does not decompress: 400 BAD_REQUEST', async () => {
    const response = await send(server.url, { method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: stats });
    expectClientError(response, 400, 'BAD_REQUEST', /could not be read/);
  });

  it('a subscription (the schema has none): GRAPHQL_VALIDATION_FAILED (was INTERNAL_SERVER_ERROR)', async () => {
    const response = await send(server.url, graphqlRequest({ query: 'subscription { f0: reindexJob(id: "1") { id } }' }));
    expectClientError(response, 400, 'GRAPHQL_VALIDATION_FAILED', /This API has no subscription operations/);
  });

  it.each([
    ['without a version', { extensions: { persistedQuery: {} } }, /Unsupported persisted query version/],
    ['of version 2', { query: '{ stats { images } }', extensions: { persistedQuery: { version: 2, sha256Hash: 'abc' } } }, /Unsupported persisted query version/],
    ['whose hash does not match the text', { query: '{ stats { images } }', extensions: { persistedQuery: { version: 1, sha256Hash: 'abc' } } }, /provided sha does not match query/],
  ])('a persisted query %s: BAD_REQUEST (was INTERNAL_SERVER_ERROR)', async (_name, body, message) => {
    expectClientError(await send(server.url, graphqlRequest(body)), 400, 'BAD_REQUEST', message);
  });

  it('a malformed percent-encoding in a URL: 400 "Bad request." (was "The request body is not valid JSON.")', async () => {
    expectClientError(await send(server.url, { method: 'GET', path: '/images/%E0%A4%A' }), 400, 'BAD_REQUEST', /^Bad request\.$/);
  });
});
