import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { openEngine, type Engine } from '@sis/core';
import { createLogger, createServer, defaultServerConfig, type ApiServer, type ServerConfig, type ServerOptions } from '../../src/server';
import { copyPhotos, tinyModelDir } from '../helpers/cli';

/** The subset of sharp the tests use (sharp is core's dependency, not this package's: loaded through core). */
export interface SharpLike {
  metadata(): Promise<{ width: number; height: number; format: string; orientation?: number }>;
  jpeg(options?: { quality?: number }): SharpLike;
  withMetadata(options: { orientation: number }): SharpLike;
  resize(width: number, height: number): SharpLike;
  toFile(file: string): Promise<unknown>;
  toBuffer(): Promise<Buffer>;
}
export const sharp = createRequire(require.resolve('@sis/core'))('sharp') as (
  input: Buffer | string | { create: { width: number; height: number; channels: 3; background: { r: number; g: number; b: number } } },
) => SharpLike;

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
  raw: string;
}

export interface TestServer {
  url: string;
  work: string;
  photos: string;
  config: ServerConfig;
  engine: Engine;
  server: ApiServer;
  /** pino lines the server logged, parsed. */
  logs: Record<string, unknown>[];
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  photoCount?: number;
  config?: Partial<ServerConfig>;
  server?: ServerOptions;
  /** Replace parts of the engine (fault injection). */
  wrapEngine?: (engine: Engine) => Engine;
}

/** Writes the first half of a real JPEG: a truncated, corrupt image. */
export function writeCorruptJpeg(file: string, source: string): void {
  const bytes = fs.readFileSync(source);
  fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
}

/**
 * A real server on an ephemeral port on 127.0.0.1: the tiny model, a temporary data directory, and a temporary
 * photo folder (the only allowed root unless config says otherwise) holding real photos and one corrupt file.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sis-server-')));
  const photos = path.join(work, 'photos');
  const copied = copyPhotos(photos, options.photoCount ?? 8);
  writeCorruptJpeg(path.join(photos, 'corrupt.jpg'), copied[0]!);
  const config: ServerConfig = {
    ...defaultServerConfig,
    dataDir: path.join(work, 'data'),
    model: tinyModelDir,
    offline: true,
    imageDir: photos,
    batchSize: 4,
    checkpointImages: 4,
    logLevel: 'info',
    ...options.config,
  };
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const engine = await openEngine(config, { writable: true });
  const served = options.wrapEngine ? options.wrapEngine(engine) : engine;
  const server = await createServer(served, config, { logger: createLogger('debug', sink), ...options.server });
  const { url } = await server.listen(0, '127.0.0.1');
  return {
    url,
    work,
    photos,
    config,
    engine,
    server,
    logs,
    async gql<T>(query: string, variables?: Record<string, unknown>) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      const raw = await response.text();
      const body = JSON.parse(raw) as Omit<GraphQLResponse<T>, 'status' | 'raw'>;
      return { status: response.status, ...body, raw };
    },
    async close() {
      await server.close();
      engine.close();
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}

/** A raw HTTP GET that sends the path exactly as given (fetch would normalise "..") and any Host header. */
export function rawGet(url: string, requestPath: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const request = http.request({ hostname, port, path: requestPath, method: 'GET', headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
    });
    request.on('error', reject);
    request.end();
  });
}

interface JobFields {
  id: string;
  state: string;
  [key: string]: unknown;
}

export const JOB_FIELDS = `id dir state phase seen toEmbed embedded skipped removed unchanged imagesPerSecond etaSeconds
  createdAt startedAt finishedAt elapsedMs error skippedFiles { path reason message }`;

/** Polls reindexJob(id) until it leaves QUEUED/RUNNING. */
export async function waitForJob(server: TestServer, id: string, timeoutMs = 60_000): Promise<JobFields> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await server.gql<{ reindexJob: JobFields }>(`query Poll($id: ID!) { reindexJob(id: $id) { ${JOB_FIELDS} } }`, { id });
    const job = response.data?.reindexJob;
    if (!job) throw new Error(`reindexJob(${id}) answered ${response.raw}`);
    if (job.state !== 'QUEUED' && job.state !== 'RUNNING') return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.state} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts a reindex through the API and waits for it to finish. */
export async function reindexAndWait(server: TestServer, dir: string): Promise<JobFields> {
  const started = await server.gql<{ reindex: JobFields }>(`mutation Reindex($dir: String!) { reindex(dir: $dir) { id state } }`, { dir });
  if (!started.data?.reindex) throw new Error(`reindex(${dir}) answered ${started.raw}`);
  return waitForJob(server, started.data.reindex.id);
}

export function errorCodes(response: GraphQLResponse): unknown[] {
  return (response.errors ?? []).map((error) => error.extensions?.code);
}
