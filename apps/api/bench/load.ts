/**
 * Load test of the GraphQL API (a benchmark, not a jest test), three phases against a real `sis serve` process
 * holding a 500-photo index: 20 concurrent clients send `search` queries for 30 s; then reindexes run alone for
 * 30 s (every indexed file is touched and re-embedded, over and over); then both at once for 30 s. It reports
 * requests/s, latency percentiles and errors of the searches, the indexing rate (images/s) alone and under load,
 * and the share of its solo rate the indexer kept (the server's SIS_INDEXING_SHARE guarantees it a share of model
 * time while searches compete). Zero errors is the bar: the exit code is 1 when there was any (non-2xx, GraphQL error in a 200 response,
 * timeout, connection error, failed reindex job, error logged by the server, server not healthy or not stopping
 * cleanly).
 *
 *   pnpm --filter api load                       # full run: 500 photos, 3 x 30 s, tiny test model
 *   pnpm --filter api load -- --quick            # CI: 100 photos, 3 x 5 s
 *   pnpm --filter api load -- --model full       # the full-size CLIP ViT-B/32 (.cache/models/clip-vit-b32-random)
 *
 * The server is the built CLI (dist/cli.js serve) in its own process, on a free port of 127.0.0.1, with a
 * temporary data directory and a temporary copy of the photos as its image folder (removed at the end unless
 * --keep). The client (autocannon) runs in this process: on a small machine the two share the CPU.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import autocannon from 'autocannon';
import { seededRandom } from '@sis/core';

const repoRoot = path.resolve(__dirname, '../../../..');
const cliPath = path.resolve(__dirname, '../cli.js');
const sharedDir = process.env.SIS_SHARED_DIR ?? path.resolve(repoRoot, '../shared');
const MODELS: Record<string, string> = {
  tiny: path.join(sharedDir, 'models/clip-tiny-random'),
  full: path.join(repoRoot, '.cache/models/clip-vit-b32-random'),
};
const DEFAULT_DATASET = path.join(sharedDir, 'datasets/flickr8k-photos-500');

const USAGE = `usage: pnpm --filter api load -- [options]

  --quick               CI mode: 100 photos, 5 s per phase (same as --photos-count 100 --duration 5)
  --model <m>           tiny (default: ${MODELS.tiny}), full (${MODELS.full}) or a model folder
  --dataset <dir>       folder with images/ (and captions.csv for the queries); default ${DEFAULT_DATASET}
  --photos-count <n>    photos to index (default 500)
  --duration <s>        seconds per phase (default 30)
  --connections <n>     concurrent clients (default 20)
  --timeout <s>         a request with no answer after this long counts as a timeout (default 10)
  --checkpoint-images <n>  the server commits every n images (SIS_CHECKPOINT_IMAGES; default 32 here, so that
                        commits land while the searches run: the product's default is 256)
  --seed <n>            seed of the query generator (default 1)
  --json <file>         also write the results as JSON
  --keep                keep the temporary folder (data directory, photos, server log)

Other SIS_* variables of the environment (SIS_THREADS, SIS_BATCH_SIZE, SIS_MAX_RESULTS, ...) reach the server.
Exit code: 0 when there were no errors at all, 1 otherwise, 2 for a usage mistake.
`;

interface Options {
  model: string;
  dataset: string;
  photosCount: number;
  duration: number;
  connections: number;
  timeout: number;
  seed: number;
  checkpointImages: number;
  json?: string;
  keep: boolean;
  quick: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { model: MODELS.tiny!, dataset: DEFAULT_DATASET, photosCount: 500, duration: 30, connections: 20, timeout: 10, seed: 1, checkpointImages: 32, keep: false, quick: false };
  let photosCount: number | undefined;
  let duration: number | undefined;
  const positiveInt = (name: string, value: string | undefined): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) usage(`${name} must be a whole number of at least 1 (got ${value})`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) usage(`${arg} needs a value`);
      return next;
    };
    switch (arg) {
      case '--': // pnpm passes it through
        break;
      case '--quick':
        options.quick = true;
        break;
      case '--model': {
        const model = value();
        options.model = MODELS[model] ?? path.resolve(model);
        break;
      }
      case '--dataset':
        options.dataset = path.resolve(value());
        break;
      case '--photos-count':
        photosCount = positiveInt(arg, value());
        break;
      case '--duration':
        duration = positiveInt(arg, value());
        break;
      case '--connections':
        options.connections = positiveInt(arg, value());
        break;
      case '--timeout':
        options.timeout = positiveInt(arg, value());
        break;
      case '--checkpoint-images':
        options.checkpointImages = positiveInt(arg, value());
        break;
      case '--seed':
        options.seed = positiveInt(arg, value());
        break;
      case '--json':
        options.json = path.resolve(value());
        break;
      case '--keep':
        options.keep = true;
        break;
      case '-h':
      case '--help':
        process.stdout.write(USAGE);
        process.exit(0);
        break;
      default:
        usage(`unknown option ${arg}`);
    }
  }
  options.photosCount = photosCount ?? (options.quick ? 100 : 500);
  options.duration = duration ?? (options.quick ? 5 : 30);
  return options;
}

function usage(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}`);
  process.exit(2);
}

function log(message: string): void {
  process.stderr.write(`[load] ${message}\n`);
}


const FALLBACK_QUERIES = [
  'a dog running in snow',
  'a sunny beach scene',
  'two children playing in a fountain',
  'a man riding a bicycle on a mountain trail',
  'people walking down a busy city street',
  'a black and white dog jumps over a log',
];

/** The dataset's captions (one per line after the header: image,caption), else a few fixed texts. */
function loadQueries(dataset: string): string[] {
  const file = path.join(dataset, 'captions.csv');
  if (!fs.existsSync(file)) return FALLBACK_QUERIES;
  const captions = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.slice(line.indexOf(',') + 1).trim().replace(/^"|"$/g, ''))
    .filter((caption) => caption.length > 0 && caption.length <= 1000);
  return captions.length > 0 ? captions : FALLBACK_QUERIES;
}

const SEARCH = 'query Search($q: String!, $k: Int, $min: Float) { search(query: $q, k: $k, minScore: $min) { totalImages tookMs hits { id path score thumbnailUrl } } }';
const K_CHOICES = [1, 5, 12, 12, 12, 24, 50];

/** Request bodies: a caption, a k, and now and then a minScore (varied, reproducible from the seed). */
function queryBodies(queries: string[], seed: number): () => string {
  const next = seededRandom(seed);
  return () => {
    const q = queries[Math.floor(next() * queries.length)]!;
    const k = K_CHOICES[Math.floor(next() * K_CHOICES.length)]!;
    const variables: Record<string, unknown> = { q, k };
    if (next() < 0.2) variables.min = Math.round((next() * 0.2 - 0.1) * 1000) / 1000;
    return JSON.stringify({ operationName: 'Search', query: SEARCH, variables });
  };
}

interface Server {
  url: string;
  child: ChildProcess;
  logFile: string;
  /** Error-level (>= 50) lines the server logged, and the first few of them. */
  errorLogs: { count: number; samples: string[] };
  /** The exit code, or the signal that killed it. */
  exited: Promise<number | string | null>;
}

/** Starts `sis serve` on a free port and resolves once it logs "server listening". */
async function startServer(work: string, photos: string, options: Options): Promise<Server> {
  const logFile = path.join(work, 'server.log');
  const logStream = fs.createWriteStream(logFile);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SIS_DATA_DIR: path.join(work, 'data'),
    SIS_MODEL: options.model,
    SIS_OFFLINE: '1',
    SIS_IMAGE_DIR: photos,
    SIS_LOG_LEVEL: 'info',
    SIS_CHECKPOINT_IMAGES: String(options.checkpointImages),
  };
  // The photo folder is the one allowed root; no configuration file.
  delete env.SIS_ALLOWED_ROOTS;
  delete env.SIS_CONFIG;
  // cwd = the work folder: no sis.config.json from the repository is picked up.
  const child = spawn(process.execPath, [cliPath, 'serve', '--port', '0', '--host', '127.0.0.1'], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const errorLogs = { count: 0, samples: [] as string[] };
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    logStream.write(chunk);
  });
  const url = await new Promise<string>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      logStream.write(`${line}\n`);
      // Cheap checks: this runs for every request the server logs.
      const level = /"level":(\d+)/.exec(line);
      if (level && Number(level[1]) >= 50) {
        errorLogs.count++;
        if (errorLogs.samples.length < 5) errorLogs.samples.push(line.slice(0, 2000));
      }
      if (line.includes('"msg":"server listening"')) resolve((JSON.parse(line) as { url: string }).url);
    });
    void exited.then((code) => reject(new Error(`sis serve exited with code ${code} before listening:\n${stderr}`)));
  });
  return { url, child, logFile, errorLogs, exited };
}

async function gql<T>(url: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
  if (response.status !== 200 || body.errors || !body.data) throw new Error(`GraphQL answered ${response.status}: ${JSON.stringify(body)}`);
  return body.data;
}

interface Job {
  id: string;
  state: string;
  seen: number;
  embedded: number;
  skipped: number;
  unchanged: number;
  imagesPerSecond: number;
  elapsedMs: number;
  error: string | null;
}
const JOB = 'id state seen embedded skipped unchanged imagesPerSecond elapsedMs error';

async function reindex(url: string): Promise<Job> {
  return (await gql<{ reindex: Job }>(url, `mutation { reindex(dir: ".") { ${JOB} } }`)).reindex;
}

async function waitForJob(url: string, id: string, intervalMs = 250): Promise<Job> {
  for (;;) {
    const job = (await gql<{ reindexJob: Job | null }>(url, `query($id: ID!) { reindexJob(id: $id) { ${JOB} } }`, { id })).reindexJob;
    if (!job) throw new Error(`reindex job ${id} is unknown to the server`);
    if (job.state !== 'QUEUED' && job.state !== 'RUNNING') return job;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

async function health(url: string): Promise<{ status: string; images: number; reindexing: boolean }> {
  const response = await fetch(`${url}/healthz`);
  if (response.status !== 200) throw new Error(`/healthz answered ${response.status}`);
  return (await response.json()) as { status: string; images: number; reindexing: boolean };
}

interface PhaseResult {
  phase: string;
  durationS: number;
  requests: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  non2xx: number;
  graphqlErrors: number;
  timeouts: number;
  connectionErrors: number;
  errors: number;
  /** totalImages values seen in answers, with counts (a consistent index answers with one value throughout). */
  totalImagesSeen: Record<string, number>;
  errorSamples: string[];
  loadAverage: [number, number, number];
}

async function runPhase(phase: string, url: string, options: Options, nextBody: () => string): Promise<PhaseResult> {
  let graphqlErrors = 0;
  const errorSamples: string[] = [];
  const totalImagesSeen: Record<string, number> = {};
  /** Every answer's body, with its status: a 200 must hold a search result and no GraphQL error. */
  const onResponse = (status: number, body: string): void => {
    const ok = body.startsWith('{"data":{"search":{') && !body.includes('"errors":');
    if (ok) {
      const total = /"totalImages":(\d+)/.exec(body)?.[1] ?? 'none';
      totalImagesSeen[total] = (totalImagesSeen[total] ?? 0) + 1;
    }
    if (status >= 200 && status < 300 && !ok) graphqlErrors++;
    if ((status < 200 || status >= 300 || !ok) && errorSamples.length < 5) errorSamples.push(`${status} ${body.trim().slice(0, 500)}`);
  };
  const result = await autocannon({
    url: `${url}/graphql`,
    connections: options.connections,
    duration: options.duration,
    timeout: options.timeout,
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    requests: [{ setupRequest: (request) => ({ ...request, body: nextBody() }), onResponse }],
  });
  const non2xx = result.non2xx;
  const timeouts = result.timeouts;
  // autocannon's errors include its timeouts.
  const connectionErrors = result.errors - result.timeouts;
  return {
    phase,
    durationS: result.duration,
    requests: result.requests.total,
    requestsPerSecond: result.requests.total / result.duration,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: result.latency.average },
    non2xx,
    graphqlErrors,
    timeouts,
    connectionErrors,
    errors: non2xx + graphqlErrors + result.errors,
    totalImagesSeen,
    errorSamples,
    loadAverage: os.loadavg() as [number, number, number],
  };
}

interface ReindexLoop {
  jobs: Job[];
  failures: string[];
  embedded: number;
  /** Wall time from the first job's start to the last job's end, in seconds. */
  seconds: number;
  /** embedded / seconds */
  imagesPerSecond: number;
}

/**
 * Until `stopped()`: touches every photo (a new mtime makes the indexer re-embed it) and reindexes the folder
 * through the API, waiting for each job. When stopped, cancels the job in flight (exercising cancelReindex).
 */
async function reindexLoop(url: string, photos: string, stopped: () => boolean): Promise<ReindexLoop> {
  const loop: ReindexLoop = { jobs: [], failures: [], embedded: 0, seconds: 0, imagesPerSecond: 0 };
  const files = fs.readdirSync(photos).map((name) => path.join(photos, name));
  const startedAt = performance.now();
  try {
    for (let round = 1; !stopped(); round++) {
      const mtime = new Date(Date.now() + round * 1000);
      for (const file of files) fs.utimesSync(file, mtime, mtime);
      const started = await reindex(url);
      const cancelWhenStopped = setInterval(() => {
        if (!stopped()) return;
        clearInterval(cancelWhenStopped);
        gql(url, 'mutation($id: ID!) { cancelReindex(id: $id) { id state } }', { id: started.id }).catch((error: unknown) => loop.failures.push(`cancelReindex: ${String(error)}`));
      }, 100);
      const job = await waitForJob(url, started.id).finally(() => clearInterval(cancelWhenStopped));
      loop.jobs.push(job);
      loop.embedded += job.embedded;
      if (job.state === 'FAILED') loop.failures.push(`job ${job.id} failed: ${job.error}`);
      if (job.skipped > 0) loop.failures.push(`job ${job.id} skipped ${job.skipped} files`);
    }
  } catch (error) {
    // Recorded, never thrown: this promise is awaited only after the load phase.
    loop.failures.push(`reindex loop: ${error instanceof Error ? error.message : String(error)}`);
  }
  loop.seconds = (performance.now() - startedAt) / 1000;
  loop.imagesPerSecond = loop.seconds > 0 ? loop.embedded / loop.seconds : 0;
  return loop;
}

function copyPhotos(from: string, to: string, count: number): number {
  fs.mkdirSync(to, { recursive: true });
  const names = fs
    .readdirSync(from)
    .filter((name) => /\.(jpe?g|png|webp)$/i.test(name))
    .sort()
    .slice(0, count);
  for (const name of names) fs.copyFileSync(path.join(from, name), path.join(to, name));
  return names.length;
}

const fmt = (n: number, digits = 0) => n.toFixed(digits);

function table(results: PhaseResult[]): string {
  const header = ['phase', 'requests', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'non-2xx', 'GraphQL errors', 'timeouts', 'conn errors'];
  const rows = results.map((r) => [
    r.phase,
    String(r.requests),
    fmt(r.requestsPerSecond, 1),
    fmt(r.latencyMs.p50),
    fmt(r.latencyMs.p90),
    fmt(r.latencyMs.p99),
    fmt(r.latencyMs.max),
    String(r.non2xx),
    String(r.graphqlErrors),
    String(r.timeouts),
    String(r.connectionErrors),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i === 0 ? ` ${'-'.repeat(w)} ` : ` ${'-'.repeat(w - 1)}: `)).join('|')}|`, ...rows.map(line)].join('\n');
}

interface Summary {
  search: Record<'alone' | 'together', { p50: number; p99: number; requestsPerSecond: number }>;
  indexing: { alone: number; together: number; keptShare: number };
}

/** The figures the issue asks for: search p50/p99 and indexing images/s, each alone and together. */
function summaryOf(results: PhaseResult[], alone: ReindexLoop | undefined, together: ReindexLoop | undefined): Summary {
  const search = (phase: string) => {
    const r = results.find((result) => result.phase === phase);
    return { p50: r?.latencyMs.p50 ?? Number.NaN, p99: r?.latencyMs.p99 ?? Number.NaN, requestsPerSecond: r?.requestsPerSecond ?? Number.NaN };
  };
  const indexingAlone = alone?.imagesPerSecond ?? Number.NaN;
  const indexingTogether = together?.imagesPerSecond ?? Number.NaN;
  return {
    search: { alone: search('search'), together: search('search + reindex') },
    indexing: { alone: indexingAlone, together: indexingTogether, keptShare: indexingTogether / indexingAlone },
  };
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(cliPath)) throw new Error(`${cliPath} not found: build first (pnpm exec turbo run build)`);
  if (!fs.existsSync(path.join(options.model, 'config.json'))) throw new Error(`No model at ${options.model} (expected config.json there)`);
  const imagesDir = fs.existsSync(path.join(options.dataset, 'images')) ? path.join(options.dataset, 'images') : options.dataset;

  const work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sis-load-')));
  const photos = path.join(work, 'photos');
  const count = copyPhotos(imagesDir, photos, options.photosCount);
  log(`${count} photos copied to ${photos}; model ${options.model}; ${options.connections} clients, ${options.duration} s per phase`);

  const problems: string[] = [];
  let server: Server | undefined;
  const results: PhaseResult[] = [];
  let loop: ReindexLoop | undefined;
  let loopAlone: ReindexLoop | undefined;
  let initial: Job | undefined;
  let exitCode: number | string | null = null;
  const started = performance.now();
  try {
    server = await startServer(work, photos, options);
    log(`server ${server.url} (pid ${server.child.pid}), log ${server.logFile}`);

    const first = await reindex(server.url);
    initial = await waitForJob(server.url, first.id);
    if (initial.state !== 'SUCCEEDED' || initial.embedded !== count) throw new Error(`initial reindex: ${JSON.stringify(initial)}`);
    log(`indexed ${initial.embedded} photos in ${fmt(initial.elapsedMs / 1000, 1)} s (${fmt(initial.imagesPerSecond, 1)} images/s)`);

    const nextBody = queryBodies(loadQueries(options.dataset), options.seed);
    // Warm-up (not measured): first requests compile code paths and fill caches.
    try {
      for (let i = 0; i < 20; i++) await gql(server.url, SEARCH, JSON.parse(nextBody()).variables as Record<string, unknown>);
    } catch (error) {
      problems.push(`warm-up: ${error instanceof Error ? error.message : String(error)}`);
    }

    log(`phase 1: search only, ${options.duration} s`);
    results.push(await runPhase('search', server.url, options, nextBody));

    log(`phase 2: reindex alone (every photo touched and re-embedded, in a loop), ${options.duration} s`);
    let stopAlone = false;
    const alone = reindexLoop(server.url, photos, () => stopAlone);
    await new Promise((resolve) => setTimeout(resolve, options.duration * 1000));
    stopAlone = true;
    loopAlone = await alone;
    problems.push(...loopAlone.failures.map((failure) => `reindex alone: ${failure}`));
    log(`reindex alone: ${loopAlone.jobs.length} jobs, ${loopAlone.embedded} images re-embedded in ${fmt(loopAlone.seconds, 1)} s (${fmt(loopAlone.imagesPerSecond, 1)} images/s)`);

    log(`phase 3: search while reindexing, ${options.duration} s`);
    let stop = false;
    const reindexing = reindexLoop(server.url, photos, () => stop);
    // Let the first job start before measuring, so that the whole phase runs alongside a reindex.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const phase2 = runPhase('search + reindex', server.url, options, nextBody);
    const during = await phase2.finally(() => {
      stop = true;
    });
    results.push(during);
    loop = await reindexing;
    const finished = loop.jobs.filter((job) => job.state === 'SUCCEEDED').length;
    log(
      `reindex during phase 3: ${loop.jobs.length} jobs (${finished} succeeded, ${loop.jobs.filter((j) => j.state === 'CANCELLED').length} cancelled at the end), ` +
        `${loop.embedded} images re-embedded in ${fmt(loop.seconds, 1)} s (${fmt(loop.imagesPerSecond, 1)} images/s)`,
    );
    problems.push(...loop.failures);

    const healthz = await health(server.url);
    if (healthz.status !== 'ok' || healthz.images !== count) problems.push(`after the run /healthz answered ${JSON.stringify(healthz)} (expected ${count} images)`);
    for (const result of results) {
      const totals = Object.keys(result.totalImagesSeen);
      if (totals.length > 1 || (totals.length === 1 && totals[0] !== String(count))) problems.push(`${result.phase}: totalImages was not always ${count}: ${JSON.stringify(result.totalImagesSeen)}`);
    }
  } catch (error) {
    problems.push(`run aborted: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    if (server) {
      server.child.kill('SIGTERM');
      const timer = setTimeout(() => server?.child.kill('SIGKILL'), 30_000);
      exitCode = await server.exited;
      clearTimeout(timer);
      if (exitCode !== 0) problems.push(`the server exited with ${typeof exitCode === 'string' ? `signal ${exitCode}` : `code ${exitCode}`} after SIGTERM (expected code 0)`);
      if (server.errorLogs.count > 0) problems.push(`the server logged ${server.errorLogs.count} errors, e.g.\n  ${server.errorLogs.samples.join('\n  ')}`);
    }
  }

  const errors = results.reduce((sum, r) => sum + r.errors, 0);
  const report = {
    model: options.model,
    photos: count,
    connections: options.connections,
    checkpointImages: options.checkpointImages,
    durationPerPhaseS: options.duration,
    initialReindex: initial && { seconds: initial.elapsedMs / 1000, imagesPerSecond: initial.imagesPerSecond },
    phases: results,
    indexingShareSetting: process.env.SIS_INDEXING_SHARE ?? 'default',
    summary: summaryOf(results, loopAlone, loop),
    reindexAlone: loopAlone && { jobs: loopAlone.jobs.map(({ id, state, embedded, imagesPerSecond, elapsedMs }) => ({ id, state, embedded, imagesPerSecond, elapsedMs })), embedded: loopAlone.embedded, seconds: loopAlone.seconds, imagesPerSecond: loopAlone.imagesPerSecond },
    reindexDuringLoad: loop && { seconds: loop.seconds, imagesPerSecond: loop.imagesPerSecond, jobs: loop.jobs.map(({ id, state, embedded, imagesPerSecond, elapsedMs }) => ({ id, state, embedded, imagesPerSecond, elapsedMs })), embedded: loop.embedded },
    serverExitCode: exitCode,
    serverErrorLogs: server?.errorLogs.count ?? 0,
    problems,
    errors,
    passed: errors === 0 && problems.length === 0,
    machine: { cpus: os.cpus().length, loadAverage: os.loadavg() },
    totalSeconds: (performance.now() - started) / 1000,
  };
  if (options.json) fs.writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);

  const out: string[] = [];
  out.push(`\nsearch load: ${options.connections} clients, ${options.duration} s per phase, ${count} photos, model ${path.basename(options.model)}, checkpoint every ${options.checkpointImages} images, ${os.cpus().length} CPUs\n`);
  out.push(table(results));
  for (const r of results) {
    out.push(`${r.phase}: totalImages seen ${JSON.stringify(r.totalImagesSeen)}; load average after it ${r.loadAverage.map((n) => n.toFixed(2)).join(' ')}`);
    for (const sample of r.errorSamples) out.push(`  error sample: ${sample}`);
  }
  if (loop) {
    const jobs = loop.jobs.map((job) => `${job.state.toLowerCase()} ${job.embedded}${job.state === 'SUCCEEDED' ? ` at ${fmt(job.imagesPerSecond, 1)}/s` : ''}`);
    out.push(`reindex jobs during phase 3: ${jobs.join(', ')} (${loop.embedded} images re-embedded)`);
  }
  const summary = report.summary;
  out.push(
    `\nsearch p50/p99 ms: alone ${fmt(summary.search.alone.p50)}/${fmt(summary.search.alone.p99)}, while reindexing ${fmt(summary.search.together.p50)}/${fmt(summary.search.together.p99)}` +
      ` (req/s ${fmt(summary.search.alone.requestsPerSecond, 1)} -> ${fmt(summary.search.together.requestsPerSecond, 1)})`,
  );
  out.push(
    `indexing images/s: alone ${fmt(summary.indexing.alone, 1)}, while searching ${fmt(summary.indexing.together, 1)}` +
      ` (${fmt(summary.indexing.keptShare * 100)}% of its solo rate; SIS_INDEXING_SHARE ${report.indexingShareSetting})`,
  );
  for (const problem of problems) out.push(`PROBLEM: ${problem}`);
  out.push(report.passed ? `PASS: 0 errors in ${results.reduce((s, r) => s + r.requests, 0)} requests` : `FAIL: ${errors} request errors, ${problems.length} other problems`);
  process.stdout.write(`${out.join('\n')}\n`);

  if (!options.keep) fs.rmSync(work, { recursive: true, force: true });
  else log(`kept ${work}`);
  return report.passed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
