/**
 * Helpers for the property-based tests of the server against hostile input: raw HTTP requests (node:http, so that
 * methods, headers, content types and bodies are sent exactly as generated), the invariants every answer must
 * hold, and fast-check arbitraries for hostile strings, numbers, JSON and GraphQL documents.
 */
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import {
  getNamedType,
  isEnumType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { sharedDir } from '../helpers/cli';

/** Error codes a client may see: documented in apps/api/README.md ("Errors and limits") or Apollo's client codes. */
export const CLIENT_ERROR_CODES = new Set([
  'BAD_USER_INPUT',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

/** Repeats (or scales) the runs without editing the file: SIS_PROPERTY_RUNS=10 runs every property 10x as often. */
const RUN_SCALE = Number(process.env.SIS_PROPERTY_RUNS ?? '1') || 1;
/** Replays a failure: fast-check prints `seed` and `path` in its report; SIS_PROPERTY_SEED=<seed> reruns that seed. */
const SEED = process.env.SIS_PROPERTY_SEED === undefined ? undefined : Number(process.env.SIS_PROPERTY_SEED);

/**
 * fast-check settings for `numRuns` cases. A property still short of its count after the time limit fails
 * (markInterruptAsFailure) rather than passing on fewer cases: the count in the README is what ran.
 */
export function runs(numRuns: number): fc.Parameters<unknown> {
  return {
    numRuns: Math.max(1, Math.round(numRuns * RUN_SCALE)),
    ...(SEED !== undefined && { seed: SEED }),
    endOnFailure: false,
    interruptAfterTimeLimit: 90_000 * RUN_SCALE,
    markInterruptAsFailure: true,
  };
}

export interface RawRequest {
  method: string;
  /** Path and query string, sent as they are. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request on a fresh connection; fails the property if the server gives no answer within timeoutMs. */
export function send(url: string, request: RawRequest, timeoutMs = 15_000): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, method: request.method, path: request.path, headers: request.headers, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms to ${request.method} ${request.path.slice(0, 200)}`)));
    req.on('error', reject);
    req.end(request.body);
  });
}

export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  return send(url, { method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** Stack frames and source locations: never in an answer. */
const STACK_PATTERNS = [/\n\s+at \S/, /\\n\s+at \S/, /\bat [\w$.<>]+ \(/, /\.(?:ts|js|mjs|cjs):\d+/, /node:internal/, /"stacktrace"/, /\bnode_modules\b/];

export interface LeakContext {
  /** Absolute paths that must never appear (data directory, repository, ...). */
  forbiddenPaths: string[];
  /** Whole JSON string values that are allowed (fields that report configuration: stats.dataDir, stats.modelName). */
  allowedValues: string[];
}

export function leakContext(options: { dataDir: string; work: string; modelName: string }): LeakContext {
  const repoRoot = path.resolve(__dirname, '../../../..');
  return {
    forbiddenPaths: [options.dataDir, repoRoot, sharedDir, os.homedir(), '/etc/', '/proc/', '/usr/', '/var/', '/root/'].filter((p) => p !== '/' && p !== ''),
    allowedValues: [options.dataDir, options.modelName],
  };
}

/** The forms in which an answer may legitimately echo a string the client sent (raw, JSON-escaped once or twice, trimmed, cut). */
function echoForms(input: string): string[] {
  const forms = new Set<string>();
  for (const s of [input, input.trim(), input.slice(0, 40), input.trim().slice(0, 40)]) {
    if (s.length < 3) continue;
    const once = JSON.stringify(s).slice(1, -1);
    forms.add(s);
    forms.add(once);
    forms.add(JSON.stringify(once).slice(1, -1));
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

/** What is left of an answer once the client's own strings and the allowed configuration values are taken out. */
export function withoutEchoes(body: string, inputs: readonly string[], context: LeakContext): string {
  let rest = body;
  for (const value of context.allowedValues) rest = rest.split(JSON.stringify(value)).join('""');
  for (const input of new Set(inputs)) for (const form of echoForms(input)) if (rest.includes(form)) rest = rest.split(form).join('');
  return rest;
}

/** The string literals of a GraphQL document, as written and decoded: error messages quote them. */
export function literalsIn(document: string): string[] {
  const found: string[] = [];
  for (const [literal] of document.matchAll(/"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"/g)) {
    found.push(literal);
    if (literal.startsWith('"""')) {
      found.push(literal.slice(3, -3));
      continue;
    }
    try {
      found.push(JSON.parse(literal) as string);
    } catch {
      found.push(literal.slice(1, -1));
    }
  }
  return found;
}

/** Every string leaf of a JSON value (keys, and the literals of strings that are documents, included): what an answer might echo. */
export function stringsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') {
    out.push(value);
    // Documents are at most ~10 000 tokens; a longer string is data, not a document.
    if (value.includes('"') && value.length < 20_000) out.push(...literalsIn(value).slice(0, 500));
  }
  else if (Array.isArray(value)) for (const item of value) stringsIn(item, out);
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      out.push(key);
      stringsIn(item, out);
    }
  }
  return out;
}

interface GraphQLBody {
  data?: unknown;
  errors?: { message?: unknown; extensions?: { code?: unknown; [key: string]: unknown } }[];
}

/**
 * The invariants of every answer, whatever was sent: no 5xx; no stack trace, source location or absolute path
 * outside the indexed roots in the body (the client's own strings excepted); and on /graphql, every error carries
 * a client error code (never INTERNAL_SERVER_ERROR) and nothing but its code in extensions.
 * Returns a description of the first violation, or undefined.
 */
export function violation(response: RawResponse, request: { method?: string; path: string; inputs: readonly string[] }, context: LeakContext): string | undefined {
  const show = () => `${response.status} ${response.body.slice(0, 600)}`;
  if (response.status >= 500) return `HTTP ${response.status}: ${show()}`;
  if (request.path.startsWith('/playground/assets/')) return undefined; // third-party static files, served as they are
  const rest = withoutEchoes(response.body, request.inputs, context);
  for (const pattern of STACK_PATTERNS) if (pattern.test(rest)) return `stack trace or source location (${pattern}): ${show()}`;
  for (const forbidden of context.forbiddenPaths) if (rest.includes(forbidden)) return `absolute path ${forbidden} in the answer: ${show()}`;

  const isGraphQL = request.path.startsWith('/graphql') && /json/.test(String(response.headers['content-type'] ?? ''));
  if (!isGraphQL || (request.method === 'HEAD' && response.body === '')) return undefined;
  let body: GraphQLBody;
  try {
    body = JSON.parse(response.body) as GraphQLBody;
  } catch {
    return `not JSON although content-type says so: ${show()}`;
  }
  if (body.errors !== undefined) {
    if (!Array.isArray(body.errors) || body.errors.length === 0) return `errors is not a non-empty list: ${show()}`;
    for (const error of body.errors) {
      const code = error.extensions?.code;
      if (typeof error.message !== 'string' || error.message === '') return `an error without a message: ${show()}`;
      if (typeof code !== 'string' || !CLIENT_ERROR_CODES.has(code)) return `error code ${String(code)} is not a client error code: ${show()}`;
      const extra = Object.keys(error.extensions ?? {}).filter((key) => key !== 'code');
      if (extra.length > 0) return `error extensions carry more than the code (${extra.join(', ')}): ${show()}`;
    }
    // A 200 with errors has data (null or partial), except Apollo's persisted-query protocol answer (the client resends the text).
    const persistedQueryMiss = body.errors.every((error) => error.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND');
    if (response.status === 200 && body.data === undefined && !persistedQueryMiss) return `errors in a 200 answer without data: ${show()}`;
  } else if (response.status === 200 && (body.data === null || typeof body.data !== 'object')) {
    return `a 200 answer with neither data nor errors: ${show()}`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Arbitraries

const SPECIAL_STRINGS = [
  '',
  ' ',
  '\t\n\r',
  '\0',
  'a\0b',
  '\u202e\u200b\ufeff',
  '\ud800', // lone surrogate
  '\udfff\ud800',
  '😀👩‍👩‍👧‍👦🏳️‍🌈',
  'ｆｕｌｌ ｗｉｄｔｈ',
  '\u0301\u0301\u0301',
  '%00%2e%2e%2f',
  '../../../../etc/passwd',
  '..',
  '.',
  '/',
  '//',
  '~',
  '$HOME',
  '${7*7}',
  '{{constructor.constructor("return process")()}}',
  '__proto__',
  'constructor',
  '<script>alert(1)</script>',
  "'; DROP TABLE images; --",
  'NaN',
  '-0',
  '1e309',
  '0x10',
  'Infinity',
  '9007199254740993',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
];

/** Strings a hostile client might send: control characters, any unicode, long and very long, special values. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 60 }) },
  { weight: 2, arbitrary: fc.constantFrom(...SPECIAL_STRINGS) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('\0', '\u0001', '\u001b', '\u007f', '\u0085', '\u2028', '\ud800', '\udc00', 'a', ' ', '/'), maxLength: 30 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('a', 'é', '😀', '\0', ' ', '/'), fc.integer({ min: 900, max: 20_000 })).map(([unit, n]) => unit.repeat(n)) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 8 }), fc.integer({ min: 50_000, max: 300_000 })).map(([unit, n]) => (unit || 'x').repeat(Math.ceil(n / (unit.length || 1))).slice(0, n)) },
);

/** Numbers and number-like values of every JSON type: huge, tiny, negative, fractional, and strings that look numeric. */
export const hostileNumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.integer({ min: -5, max: 1100 }),
  fc.constantFrom(0, -0, 1, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, Number.MAX_SAFE_INTEGER + 2, Number.MAX_VALUE, Number.MIN_VALUE, 1e21, -1e21, 0.5, 1.0000001),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.double({ min: -2, max: 2, noNaN: true }),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e309', '12', '0x1f', '1_000', ' 3 ', '', '٣'),
);

/** Any JSON value, including nested and huge ones. */
export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: hostileString },
  { weight: 2, arbitrary: hostileNumber },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}, [null], { query: 'x' }) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 3000 }).map((depth) => JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as unknown) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 20_000 }).map((n) => Array.from({ length: n }, (_, i) => i)) },
);

/** A value for an argument of the given GraphQL type name: mostly plausible, often hostile. */
export function valueFor(typeName: string): fc.Arbitrary<unknown> {
  const plausible: Record<string, fc.Arbitrary<unknown>> = {
    String: fc.oneof(fc.constantFrom('a dog', '.', 'sub'), fc.string({ maxLength: 20 })),
    ID: fc.oneof(fc.integer({ min: -2, max: 12 }).map(String), fc.uuid(), fc.constantFrom('1', '01', '1.0', ' 1 ', '1e3', '0x1')),
    Int: fc.integer({ min: -3, max: 1100 }),
    Float: fc.double({ min: -1.5, max: 1.5, noNaN: true }),
    Boolean: fc.boolean(),
  };
  return fc.oneof({ weight: 2, arbitrary: plausible[typeName] ?? hostileJson }, { weight: 2, arbitrary: typeName === 'Int' || typeName === 'Float' ? hostileNumber : hostileString }, { weight: 1, arbitrary: hostileJson });
}

/** A GraphQL literal (inline in the document) of any kind, valid or not for the argument it lands on. */
export const graphqlLiteral: fc.Arbitrary<string> = fc.oneof(
  hostileString.filter((s) => s.length < 5000).map((s) => JSON.stringify(s)),
  fc.string({ maxLength: 30 }).map((s) => `"""${s.replace(/"""/g, '')}"""`),
  fc.integer().map(String),
  fc.constantFrom('0', '-0', '2147483648', '-2147483649', '99999999999999999999999', '1e309', '-1e309', '1.5', '.5', '5.', '1e', '0x10', 'NaN', 'Infinity', 'null', 'true', 'false', 'FOO', '[]', '[1, "a", null]', '{}', '{ a: 1 }', '$undefined', '"\\u0000"', '"\\ud800"', '"\\x41"', '"unterminated'),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => String(n)),
);

// Random documents built from the schema ------------------------------------------------------------------------

const NAMES = ['a', 'b', 'x1', '_', 'hits', 'search', 'id', '__typename', 'Query'];

function argumentsFor(field: GraphQLField<unknown, unknown>, variables: string[]): fc.Arbitrary<string> {
  const known = field.args.map((arg) => arg.name);
  const argument = fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...(known.length > 0 ? known : ['x'])) }, { weight: 1, arbitrary: fc.constantFrom(...NAMES) }), fc.oneof(graphqlLiteral, fc.constantFrom(...variables.map((v) => `$${v}`), '$nope')));
  return fc.array(argument, { maxLength: known.length + 1 }).map((args) => (args.length === 0 ? '' : `(${args.map(([name, value]) => `${name}: ${value}`).join(', ')})`));
}

const directive = fc.oneof(
  { weight: 6, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.constantFrom(' @include(if: true)', ' @skip(if: false)', ' @skip(if: $flag)', ' @include(if: "yes")', ' @deprecated', ' @nope', ' @include', ' @skip(if: true) @skip(if: true)') },
);

/**
 * A selection set for an object type, up to `depth` levels of fields: real fields with random arguments, aliases,
 * __typename, unknown fields, inline fragments (on the right or a wrong type), spreads of the document's fragments,
 * directives, missing or superfluous sub-selections.
 */
export function selectionSet(schema: GraphQLSchema, type: GraphQLObjectType, depth: number, variables: string[], fragments: string[], memo = new Map<string, fc.Arbitrary<string>>()): fc.Arbitrary<string> {
  const key = `${type.name}/${depth}`;
  const cached = memo.get(key);
  if (cached) return cached;
  const typeNames = Object.keys(schema.getTypeMap()).filter((name) => !name.startsWith('__'));
  const fields = Object.values(type.getFields());
  const fieldSelection = fc.constantFrom(...fields).chain((field) => {
    const named = getNamedType(field.type);
    const sub: fc.Arbitrary<string> =
      isObjectType(named) && depth > 1
        ? fc.oneof({ weight: 5, arbitrary: selectionSet(schema, named, depth - 1, variables, fragments, memo).map((s) => ` ${s}`) }, { weight: 1, arbitrary: fc.constant('') })
        : isLeafType(named)
          ? fc.oneof({ weight: 8, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constant(' { id }') })
          : fc.constant('');
    const alias = fc.oneof({ weight: 3, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('a: ', 'b: ', 'id: ', 'search: ', '__typename: ') });
    return fc.tuple(alias, argumentsFor(field, variables), directive, sub).map(([a, args, dir, s]) => `${a}${field.name}${args}${dir}${s}`);
  });
  const selection = fc.oneof(
    { weight: 8, arbitrary: fieldSelection },
    { weight: 1, arbitrary: fc.constantFrom('__typename', 'nope', '__schema { queryType { name } }', '__type(name: "Stats") { name }') },
    { weight: 1, arbitrary: fragments.length > 0 ? fc.constantFrom(...fragments.map((f) => `...${f}`), '...Missing') : fc.constant('...Missing') },
    {
      weight: depth > 1 ? 1 : 0,
      arbitrary: fc
        .constantFrom(type.name, ...typeNames)
        .chain((on) => selectionSet(schema, type, depth - 1, variables, fragments, memo).map((s) => `... on ${on} ${s}`)),
    },
  );
  const set = fc.array(selection, { minLength: 0, maxLength: 4 }).map((items) => `{ ${items.join(' ')} }`);
  memo.set(key, set);
  return set;
}

export interface GeneratedDocument {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: unknown;
}

const VARIABLE_TYPES = ['String', 'String!', 'Int', 'Int!', 'Float', 'ID!', 'Boolean', '[String]', '[[Int!]!]', 'Nope', 'Stats', 'SearchResult!'];

/** Chaotic documents: one or two operations of any kind, variables and fragments, mostly invalid somewhere. */
function chaoticDocument(schema: GraphQLSchema): fc.Arbitrary<GeneratedDocument> {
  const variables = ['q', 'k', 'min', 'id', 'dir', 'img', 'flag'];
  const fragments = ['F', 'G'];
  const query = schema.getQueryType()!;
  const mutation = schema.getMutationType()!;
  const memo = new Map<string, fc.Arbitrary<string>>();
  const mutationMemo = new Map<string, fc.Arbitrary<string>>();
  const depth = fc.integer({ min: 1, max: 5 });
  const operation = fc.tuple(fc.constantFrom('query', 'query', 'mutation', '', 'subscription'), fc.constantFrom('', ' A', ' B'), fc.array(fc.tuple(fc.constantFrom(...variables), fc.constantFrom(...VARIABLE_TYPES)), { maxLength: 4 }), depth).chain(([kind, name, vars, d]) => {
    const root = kind === 'mutation' ? mutation : query;
    const definitions = vars.length > 0 && kind !== '' ? `(${vars.map(([v, t]) => `$${v}: ${t}`).join(', ')})` : '';
    return selectionSet(schema, root, d, variables, fragments, kind === 'mutation' ? mutationMemo : memo).map((set) => (kind === '' ? set : `${kind}${name}${definitions} ${set}`));
  });
  const fragment = fc.tuple(fc.constantFrom(...fragments), fc.constantFrom('Query', 'SearchResult', 'Stats', 'Nope', 'Mutation')).chain(([name, on]) => {
    const type = schema.getType(on);
    const set = isObjectType(type) ? selectionSet(schema, type, 3, variables, fragments, new Map()) : fc.constant('{ id }');
    return set.map((s) => `fragment ${name} on ${on} ${s}`);
  });
  const values = fc.dictionary(fc.constantFrom(...variables), fc.oneof(valueFor('String'), valueFor('Int'), valueFor('Float'), valueFor('ID'), hostileJson), { maxKeys: 5 });
  return fc
    .record({
      operations: fc.array(operation, { minLength: 1, maxLength: 2 }),
      fragments: fc.array(fragment, { maxLength: 2 }),
      variables: values,
      operationName: fc.option(fc.oneof(fc.constantFrom('A', 'B', 'C'), hostileJson), { freq: 3 }),
    })
    .map(({ operations, fragments: defs, variables: vars, operationName }) => ({
      query: [...operations, ...defs].join('\n'),
      variables: vars,
      ...(operationName !== null && { operationName }),
    }));
}

/** Strings that a GraphQL string literal can hold (no lone surrogates: \\ud800 is a syntax error, tested elsewhere). */
const wellFormed = (text: string) => text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '?');

/** A literal of the right GraphQL type for an argument, with a hostile value: it passes validation and reaches the resolver. */
function validLiteral(type: GraphQLInputType): fc.Arbitrary<string> {
  if (isNonNullType(type)) return validLiteral(type.ofType);
  if (isListType(type)) return fc.array(validLiteral(type.ofType), { maxLength: 3 }).map((items) => `[${items.join(', ')}]`);
  const named = getNamedType(type);
  if (isEnumType(named)) return fc.constantFrom(...named.getValues().map((v) => v.name));
  const text = hostileString.filter((s) => s.length < 5000).map((s) => JSON.stringify(wellFormed(s)));
  switch (named.name) {
    case 'String':
      return fc.oneof(text, fc.constantFrom('"a dog"', '"."', '""'));
    case 'ID':
      return fc.oneof(text, fc.integer({ min: -3, max: 12 }).map(String), fc.integer().map(String), fc.constantFrom('"1"', '"9"', '"01"', '" 2 "'));
    case 'Int':
      return fc.oneof(fc.integer({ min: -3, max: 1100 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })).map(String);
    case 'Float':
      return fc.oneof(fc.double({ min: -1.5, max: 1.5, noNaN: true }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer()).map((n) => (Object.is(n, -0) ? '-0.0' : String(n)));
    case 'Boolean':
      return fc.constantFrom('true', 'false');
    default:
      return text;
  }
}

/**
 * A valid selection set for an object type: real fields (each with a unique alias when it takes arguments), every
 * required argument and some optional ones as well-typed hostile literals, sub-selections where needed, now and
 * then __typename, an inline fragment on the same type, or an @include/@skip directive.
 */
function validSelectionSet(type: GraphQLObjectType, memo: Map<string, fc.Arbitrary<string>>): fc.Arbitrary<string> {
  const cached = memo.get(type.name);
  if (cached) return cached;
  const fields = Object.values(type.getFields());
  const fieldArbitraries = fields.map((field) => {
    const args = fc.tuple(...field.args.map((arg) => (isNonNullType(arg.type) ? validLiteral(arg.type).map((v) => `${arg.name}: ${v}`) : fc.option(validLiteral(arg.type).map((v) => `${arg.name}: ${v}`), { freq: 2 }))));
    const named = getNamedType(field.type);
    const sub = isObjectType(named) ? fc.constant(null).chain(() => validSelectionSet(named, memo)).map((s) => ` ${s}`) : fc.constant('');
    return fc.tuple(args, sub, fc.constantFrom('', '', '', ' @include(if: true)', ' @skip(if: false)', ' @skip(if: true)')).map(([values, s, dir]) => {
      const list = values.filter((v): v is string => v !== null);
      return (alias: string) => `${field.args.length > 0 ? `${alias}: ` : ''}${field.name}${list.length > 0 ? `(${list.join(', ')})` : ''}${dir}${s}`;
    });
  });
  const set = fc
    .tuple(fc.array(fc.integer({ min: 0, max: fields.length - 1 }), { minLength: 1, maxLength: 3 }), fc.constantFrom('', '', '__typename ', 'TYPED'))
    .chain(([indexes, extra]) =>
      fc.tuple(...indexes.map((i) => fieldArbitraries[i]!)).map((makers) => {
        const inner = makers.map((make, i) => make(`f${i}`)).join(' ');
        return extra === 'TYPED' ? `{ ... on ${type.name} { ${inner} } }` : `{ ${extra}${inner} }`;
      }),
    );
  memo.set(type.name, set);
  return set;
}

/** Valid documents (a query or a mutation, sometimes as a subscription): they reach the resolvers with hostile values. */
function validDocument(schema: GraphQLSchema): fc.Arbitrary<GeneratedDocument> {
  const queryMemo = new Map<string, fc.Arbitrary<string>>();
  const mutationMemo = new Map<string, fc.Arbitrary<string>>();
  return fc.constantFrom('query', 'query', 'query', 'mutation', 'subscription').chain((kind) => {
    const root = kind === 'mutation' ? schema.getMutationType()! : schema.getQueryType()!;
    return validSelectionSet(root, kind === 'mutation' ? mutationMemo : queryMemo).map((set) => ({ query: `${kind} ${set}` }));
  });
}

/** Random documents: valid ones whose argument values are hostile, and chaotic ones that are mostly invalid. */
export function documentArbitrary(schema: GraphQLSchema): fc.Arbitrary<GeneratedDocument> {
  return fc.oneof({ weight: 3, arbitrary: validDocument(schema) }, { weight: 2, arbitrary: chaoticDocument(schema) });
}
