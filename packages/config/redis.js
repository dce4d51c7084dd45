const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { freePort } = require('./postgres');

/**
 * A throwaway Redis server (tests and benchmarks): Debian's redis-server (scripts/setup.sh) on a free loopback
 * port, its data (the append-only file) in a temporary folder, AOF on so that a restart keeps the queue.
 * Call stop() at the end (it also removes the folder). See redis.d.ts.
 */

/** Resolves once the server answers PING on the port, rejects after `timeoutMs`. */
function waitForPong(host, port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = net.connect({ host, port });
      let answer = '';
      const retry = (error) => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`redis-server on ${host}:${port} did not answer within ${timeoutMs} ms: ${error}`));
        else setTimeout(attempt, 50);
      };
      socket.setTimeout(1000, () => retry('timeout'));
      socket.once('error', (error) => retry(error.message));
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.on('data', (chunk) => {
        answer += chunk.toString('utf8');
        // "-LOADING ..." while the AOF is replayed: ask again.
        if (answer.includes('\r\n')) {
          if (answer.startsWith('+PONG')) {
            socket.destroy();
            resolve();
          } else retry(answer.trim());
        }
      });
    };
    attempt();
  });
}

async function startTestRedis(options = {}) {
  const root = fs.mkdtempSync(path.join(options.parentDir ?? os.tmpdir(), 'sis-redis-'));
  const host = options.bind ?? '127.0.0.1';
  const port = await freePort();
  const args = [
    '--port', String(port),
    '--bind', ...host.split(' '),
    '--dir', root,
    '--appendonly', 'yes',
    '--appendfsync', options.fsync ?? 'everysec',
    '--save', '',
    '--daemonize', 'no',
    '--protected-mode', 'no',
    // BullMQ's requirement: Redis must never evict its keys.
    '--maxmemory-policy', 'noeviction',
    '--logfile', path.join(root, 'server.log'),
  ];
  let child;
  const start = async () => {
    child = spawn('redis-server', args, { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.exited = exited;
    await Promise.race([
      waitForPong(host.split(' ')[0], port, 30_000),
      exited.then((code) => {
        const log = fs.existsSync(path.join(root, 'server.log')) ? fs.readFileSync(path.join(root, 'server.log'), 'utf8').slice(-2000) : '';
        throw new Error(`redis-server exited (${code}) while starting: ${log}`);
      }),
    ]);
  };
  const halt = async (signal) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await child.exited;
  };
  await start();
  return {
    url: `redis://${host.split(' ')[0]}:${port}`,
    port,
    dir: root,
    /** SIGKILL: the server dies as in a crash (writes not yet fsynced to the AOF are lost). */
    crash: () => halt('SIGKILL'),
    /** SIGTERM: Redis flushes its AOF and exits. */
    shutdown: () => halt('SIGTERM'),
    start,
    async stop() {
      await halt('SIGTERM');
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

module.exports = { startTestRedis };
