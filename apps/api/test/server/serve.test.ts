import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { cliPath, copyPhotos, runCli, tinyModelEnv } from '../helpers/cli';

interface Served {
  child: ChildProcess;
  url: string;
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

/** Runs the built `sis serve` and waits for its "server listening" log line. */
function serve(env: NodeJS.ProcessEnv): Promise<Served> {
  const child = spawn(process.execPath, [cliPath, 'serve'], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffer.slice(0, newline)) as Record<string, unknown>;
        buffer = buffer.slice(newline + 1);
        lines.push(line);
        if (line.msg === 'server listening') resolve({ child, url: line.url as string, lines, exited });
      }
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code} before listening: ${stderr}`)));
  });
}

async function gql<T>(url: string, query: string): Promise<T> {
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  const body = (await response.json()) as { data: T; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** Resolves when the server has logged a line with this msg. */
async function waitForLine(served: Served, msg: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
  for (let waited = 0; waited < timeoutMs; waited += 20) {
    const line = served.lines.find((candidate) => candidate.msg === msg);
    if (line) return line;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no "${msg}" log line within ${timeoutMs} ms`);
}

/** A search POST whose headers and first half of the body go out now, the rest when finish() is called. */
function slowSearch(url: string): { headersSent: Promise<void>; finish(): Promise<{ status: number; body: string }>; abort(): void } {
  const body = Buffer.from(JSON.stringify({ query: '{ search(query: "a dog", k: 3) { hits { id } } }' }));
  const { hostname, port } = new URL(url);
  let answer: (value: { status: number; body: string }) => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
    answer = resolve;
    fail = reject;
  });
  const request = http.request(
    { hostname, port, path: '/graphql', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } },
    (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => answer({ status: response.statusCode ?? 0, body: text }));
    },
  );
  request.on('error', (error) => fail(error));
  answered.catch(() => undefined); // a caller that abort()s never awaits it
  const half = Math.floor(body.length / 2);
  const headersSent = new Promise<void>((resolve) => request.write(body.subarray(0, half), () => resolve()));
  return {
    headersSent: headersSent.then(() => new Promise((resolve) => setTimeout(resolve, 100))),
    finish: () => {
      request.end(body.subarray(half));
      return answered;
    },
    abort: () => request.destroy(),
  };
}

describe('sis serve', () => {
  let work: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-serve-'));
    copyPhotos(path.join(work, 'images'), 200);
    // The image folder defaults to ./images (resolved against the working directory given by INIT_CWD / cwd).
    env = tinyModelEnv(path.join(work, 'data'), { SIS_PORT: '0', SIS_IMAGE_DIR: path.join(work, 'images'), SIS_BATCH_SIZE: '2', SIS_CHECKPOINT_IMAGES: '4' });
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('starts with one command, and on SIGTERM stops the running reindex at its next batch, keeps what it committed and exits 0', async () => {
    const served = await serve(env);
    expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const lockFile = path.join(work, 'data', 'writer.lock');
    expect(fs.existsSync(lockFile)).toBe(true);
    const { reindex } = await gql<{ reindex: { id: string } }>(served.url, 'mutation { reindex(dir: ".") { id } }');
    for (;;) {
      const { reindexJob } = await gql<{ reindexJob: { state: string; embedded: number } }>(served.url, `{ reindexJob(id: "${reindex.id}") { state embedded } }`);
      if (reindexJob.embedded >= 8) break;
      expect(reindexJob.state).not.toBe('SUCCEEDED'); // 200 photos at batch 2 must take longer than this
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // A request whose body is still arriving when the signal comes: it must be answered, not cut off.
    const slow = slowSearch(served.url);
    await slow.headersSent;
    served.child.kill('SIGTERM');
    await waitForLine(served, 'shutting down (stopping the reindex at its next batch)');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(served.child.exitCode).toBeNull(); // still waiting for the slow request
    const answer = await slow.finish();
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ data: { search: { hits: expect.any(Array) } } });
    expect(await served.exited).toBe(0);

    const finished = served.lines.find((line) => line.msg === 'reindex job finished');
    expect(finished).toMatchObject({ jobId: reindex.id, state: 'cancelled' });
    const embedded = finished!.embedded as number;
    expect(embedded).toBeGreaterThanOrEqual(8);
    expect(embedded).toBeLessThan(200);
    expect(served.lines.at(-1)).toMatchObject({ msg: 'server stopped' });
    // The lock file is gone, and the index file was saved for exactly what was committed: the next open loads it
    // as it is (a stale or missing file would be rebuilt from the catalogue, loadedFrom "catalogue").
    expect(fs.existsSync(lockFile)).toBe(false);
    const sidecar = JSON.parse(fs.readFileSync(path.join(work, 'data', 'image_index.json'), 'utf8')) as { ntotal: number };
    expect(sidecar.ntotal).toBe(embedded);
    const stats = await runCli(['stats'], env);
    expect(stats.code).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({ indexedImages: embedded, index: { loadedFrom: 'file', rebuildReason: null } });
  }, 120_000);

  it('stops the same way on SIGINT (Ctrl-C), and a second signal exits at once with code 1', async () => {
    const lockFile = path.join(work, 'data', 'writer.lock');
    const first = await serve(env);
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(first.lines.find((line) => line.msg === 'shutting down (stopping the reindex at its next batch)')).toMatchObject({ signal: 'SIGINT' });
    expect(first.lines.at(-1)).toMatchObject({ msg: 'server stopped' });
    expect(fs.existsSync(lockFile)).toBe(false);

    // A slow request keeps the first stop waiting; the second signal does not wait for it.
    const second = await serve(env);
    const slow = slowSearch(second.url);
    await slow.headersSent;
    second.child.kill('SIGTERM');
    await waitForLine(second, 'shutting down (stopping the reindex at its next batch)');
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(1);
    expect(second.lines.at(-1)).toMatchObject({ msg: 'second signal: exiting now', signal: 'SIGINT' });
    slow.abort();
  }, 120_000);

  it('refuses to start a second writer on the same data directory, with a clear message', async () => {
    const served = await serve(env);
    try {
      const second = await runCli(['serve'], env);
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/^error: Another indexer is already writing to/);
    } finally {
      served.child.kill('SIGTERM');
      await served.exited;
    }
  }, 120_000);

  it('says clearly when the port is taken', async () => {
    const served = await serve(env);
    try {
      const port = new URL(served.url).port;
      const other = await runCli(['serve'], { ...env, SIS_DATA_DIR: path.join(work, 'data2'), SIS_PORT: port });
      expect(other.code).toBe(1);
      expect(other.stderr).toMatch(`error: Port ${port} on 127.0.0.1 is already in use`);
    } finally {
      served.child.kill('SIGTERM');
      await served.exited;
    }
  }, 120_000);
});
