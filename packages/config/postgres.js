const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

/**
 * A throwaway PostgreSQL cluster (tests and benchmarks): initdb + pg_ctl in a temporary folder, listening on a
 * free loopback port only (and a socket in that folder), from Debian's postgresql-15 (scripts/setup.sh).
 * initdb refuses to run as root: as root, the cluster runs as the `postgres` user (runuser). Call stop() at
 * the end (it also removes the folder). See postgres.d.ts.
 */

const BIN_DIRS = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'];
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function binary(name) {
  for (const dir of BIN_DIRS) if (fs.existsSync(path.join(dir, name))) return path.join(dir, name);
  return name; // on PATH
}

function run(command, args, { asServerUser = true } = {}) {
  const [file, argv] = isRoot && asServerUser ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  const result = spawnSync(file, argv, { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr || result.stdout || result.error}`);
  return result;
}

/** A port nothing listens on right now (the kernel's choice). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startTestPostgres(options = {}) {
  const root = fs.mkdtempSync(path.join(options.parentDir ?? os.tmpdir(), 'sis-pg-'));
  fs.chmodSync(root, 0o755);
  if (isRoot) spawnSync('chown', ['postgres', root]);
  const dataDir = path.join(root, 'data');
  const port = await freePort();
  run(binary('initdb'), ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '--no-instructions', '-E', 'UTF8', '--locale=C']);
  // Loopback only. Tests turn fsync off (their data dies with them; a killed server, not host, keeps its writes);
  // benchmarks keep PostgreSQL's durable defaults.
  const durability = options.durable ? '' : ' -c fsync=off -c full_page_writes=off';
  // Extra addresses (a veth into a network namespace the test made); their clients are trusted like loopback's.
  const extra = options.listenAddresses ?? [];
  const trusted = options.clientNetwork ? [options.clientNetwork] : extra.map((address) => `${address}/32`);
  for (const network of extra.length > 0 ? trusted : []) fs.appendFileSync(path.join(dataDir, 'pg_hba.conf'), `host all all ${network} trust\n`);
  const serverOptions = `-p ${port} -k ${root} -c listen_addresses=${['127.0.0.1', ...extra].join(',')} -c max_connections=50${durability}`;
  const start = () => run(binary('pg_ctl'), ['-D', dataDir, '-o', serverOptions, '-l', path.join(root, 'server.log'), '-w', '-t', '60', 'start']);
  start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let running = true;
  return {
    url,
    port,
    createDatabase(name) {
      run(binary('psql'), ['-X', '-q', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-c', `CREATE DATABASE "${name}"`], { asServerUser: false });
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

module.exports = { startTestPostgres, freePort };
