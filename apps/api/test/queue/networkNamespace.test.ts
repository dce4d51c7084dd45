import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectRedis, QueueRuns } from '@sis/core';
import { startTestPostgres, type TestPostgres } from '@sis/config/postgres';
import { startTestRedis, type TestRedis } from '@sis/config/redis';
import { cliPath, copyPhotos, runCli, tinyModelEnv } from '../helpers/cli';

/**
 * A `sis worker` in its own network namespace (a veth pair: 10.x.y.1 on this side, 10.x.y.2 in there, no other
 * route out) reaches Redis and PostgreSQL over the veth address and embeds its share beside a worker on loopback:
 * the same code works across hosts. Needs root and `ip netns` (CI runs as root); elsewhere it says why it skipped.
 */
const suffix = crypto.randomBytes(3).toString('hex');
const namespace = `sis-${suffix}`;
const [hostIf, nsIf] = [`sish${suffix}`, `sisn${suffix}`];
const octet = 16 + (parseInt(suffix, 16) % 200);
const [hostAddress, nsAddress] = [`10.213.${octet}.1`, `10.213.${octet}.2`];

function ip(...args: string[]): void {
  const result = spawnSync('ip', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ip ${args.join(' ')}: ${result.stderr || result.error}`);
}

function makeNamespace(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  try {
    ip('netns', 'add', namespace);
  } catch (error) {
    return (error as Error).message;
  }
  ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf);
  ip('link', 'set', nsIf, 'netns', namespace);
  ip('addr', 'add', `${hostAddress}/30`, 'dev', hostIf);
  ip('link', 'set', hostIf, 'up');
  ip('netns', 'exec', namespace, 'ip', 'addr', 'add', `${nsAddress}/30`, 'dev', nsIf);
  ip('netns', 'exec', namespace, 'ip', 'link', 'set', nsIf, 'up');
  ip('netns', 'exec', namespace, 'ip', 'link', 'set', 'lo', 'up');
  return undefined;
}

const unavailable = makeNamespace();
if (unavailable) process.stderr.write(`networkNamespace.test.ts skipped: no network namespace (${unavailable})\n`);
const describeWithNamespace = unavailable ? describe.skip : describe;

describeWithNamespace('a worker in another network namespace (real Redis + PostgreSQL over a veth)', () => {
  let redis: TestRedis;
  let postgres: TestPostgres;
  let work: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    [redis, postgres] = await Promise.all([
      startTestRedis({ bind: `127.0.0.1 ${hostAddress}` }),
      startTestPostgres({ listenAddresses: [hostAddress], clientNetwork: `${nsAddress}/32` }),
    ]);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-netns-'));
  }, 120_000);

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await redis?.stop();
    postgres?.stop();
    spawnSync('ip', ['netns', 'del', namespace]); // takes its end of the veth, and so the pair, with it
    spawnSync('ip', ['link', 'del', hostIf]);
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  function startWorker(env: NodeJS.ProcessEnv, name: string, inNamespace: boolean): Promise<void> {
    const argv = [cliPath, 'worker', '--id', name];
    const child = inNamespace
      ? spawn('ip', ['netns', 'exec', namespace, process.execPath, ...argv], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn(process.execPath, argv, { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    return new Promise((resolve, reject) => {
      let err = '';
      child.stderr!.on('data', (chunk: Buffer) => {
        err += chunk.toString();
        if (err.includes('taking batches')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`worker ${name} exited (${code}): ${err}`)));
    });
  }

  test('the namespaced worker reaches both services over the veth address and embeds its share', async () => {
    const folder = path.join(work, 'photos');
    copyPhotos(folder, 120);
    const database = 'netns';
    const localUrl = postgres.createDatabase(database);
    const base = tinyModelEnv(path.join(work, 'data'), { SIS_QUEUE_BATCH_IMAGES: '4', SIS_BATCH_SIZE: '2', SIS_THREADS: '1', SIS_DECODE_THREADS: '1' });
    const local = { ...base, SIS_CATALOGUE_URL: localUrl, SIS_QUEUE_URL: redis.url };
    const remote = {
      ...base,
      SIS_DATA_DIR: path.join(work, 'remote-data'),
      SIS_CATALOGUE_URL: `postgres://postgres@${hostAddress}:${postgres.port}/${database}`,
      SIS_QUEUE_URL: `redis://${hostAddress}:${redis.port}`,
    };
    // Inside the namespace loopback is its own: the services are reachable only over the veth.
    const probe = spawnSync('ip', ['netns', 'exec', namespace, process.execPath, '-e', `require('net').connect(${redis.port}, '127.0.0.1').on('error', () => process.exit(3)).on('connect', () => process.exit(0))`]);
    expect(probe.status).toBe(3);

    await Promise.all([startWorker(remote, 'netns', true), startWorker(local, 'loopback', false)]);
    const result = await runCli(['reindex', folder], local);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/embedded: {2}120 /);

    const redisClient = connectRedis(redis.url, 'test');
    try {
      const workers = await new QueueRuns(redisClient).liveWorkers();
      const byId = new Map(workers.map((w) => [w.id, w]));
      expect(byId.get('netns')?.batches).toBeGreaterThan(0);
      expect(byId.get('loopback')?.batches).toBeGreaterThan(0);
      expect(byId.get('netns')!.batches + byId.get('loopback')!.batches).toBe(30);
    } finally {
      redisClient.disconnect();
    }
  }, 300_000);
});
