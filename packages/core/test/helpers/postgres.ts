import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SyncPostgres } from '../../src/store/syncPostgres';

/**
 * A throwaway PostgreSQL cluster for one test file: initdb + pg_ctl in a temporary folder, listening on a free
 * loopback port only (and a socket in that folder). initdb refuses to run as root: as root, the cluster
 * runs as the `postgres` user (runuser). Stop it in afterAll; stop() also removes the folder.
 */
export interface TestPostgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  /** A new, empty database; returns its URL. */
  createDatabase(name: string): string;
  /** `pg_ctl stop -m immediate`: the server dies as in a crash (no checkpoint, connections cut). */
  crash(): void;
  start(): void;
  stop(): void;
}

const BIN_DIRS = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'];

function binary(name: string): string {
  for (const dir of BIN_DIRS) if (fs.existsSync(path.join(dir, name))) return path.join(dir, name);
  return name; // on PATH
}

const isRoot = process.getuid?.() === 0;

function run(command: string, args: string[]): SpawnSyncReturns<string> {
  const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  const result = spawnSync(file, argv, { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr || result.stdout}`);
  return result;
}

/** A port nothing listens on right now (the kernel's choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-pg-'));
  fs.chmodSync(root, 0o755);
  if (isRoot) spawnSync('chown', ['postgres', root]);
  const dataDir = path.join(root, 'data');
  const port = await freePort();
  run(binary('initdb'), ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '--no-instructions', '-E', 'UTF8', '--locale=C']);
  // Loopback only; fsync off: the data dies with the test anyway, and a killed server (not host) keeps its writes.
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=on -c full_page_writes=off -c max_connections=50`;
  const start = () => run(binary('pg_ctl'), ['-D', dataDir, '-o', options, '-l', path.join(root, 'server.log'), '-w', '-t', '60', 'start']);
  start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let running = true;
  return {
    url,
    port,
    createDatabase(name) {
      const admin = new SyncPostgres({ connectionString: url });
      try {
        admin.query(`CREATE DATABASE "${name}"`);
      } finally {
        admin.close();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    crash() {
      run(binary('pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      running = false;
    },
    start() {
      start();
      running = true;
    },
    stop() {
      if (running) run(binary('pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
      running = false;
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
