/**
 * Memory under concurrent big uploads (a benchmark, not a jest test; issue 10, finding 6): starts `sis serve`
 * (tiny test model, empty index) in its own process, sends N searchByImage requests at once, each a 9500x9500 PNG
 * (small on the wire, 90 Mpixel to decode), and prints the server's resident memory before and its peak after
 * (VmRSS / VmHWM from /proc), with how many requests were answered, refused BUSY, or failed otherwise.
 *
 *   node dist/bench/uploadMemory.js [--cli <path to cli.js>] [--requests 6] [--side 9500]
 *
 * --cli runs another build (e.g. main's) for a before/after comparison.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const repoRoot = path.resolve(__dirname, '../../../..');
const sharedDir = process.env.SIS_SHARED_DIR ?? path.resolve(repoRoot, '../shared');
const sharp = createRequire(require.resolve('@sis/core'))('sharp') as (input: {
  create: { width: number; height: number; channels: 3; background: { r: number; g: number; b: number } };
}) => { png(): { toBuffer(): Promise<Buffer> } };

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
}

function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 'NaN') / 1024;
  return { rssMb: Math.round(field('VmRSS')), peakMb: Math.round(field('VmHWM')) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

async function main(): Promise<void> {
  const cli = path.resolve(option('cli', path.resolve(__dirname, '../cli.js')));
  const requests = Number(option('requests', '6'));
  const side = Number(option('side', '9500'));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-upload-bench-'));
  const port = await freePort();
  const child = spawn(process.execPath, [cli, 'serve'], {
    env: { ...process.env, SIS_DATA_DIR: path.join(work, 'data'), SIS_IMAGE_DIR: work, SIS_MODEL: path.join(sharedDir, 'models/clip-tiny-random'), SIS_OFFLINE: '1', SIS_PORT: String(port), SIS_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      if ((await fetch(`${url}/healthz`).catch(() => undefined))?.ok) break;
      if (i > 600) throw new Error('the server did not start');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const png = (await sharp({ create: { width: side, height: side, channels: 3, background: { r: 40, g: 90, b: 160 } } }).png().toBuffer()).toString('base64');
    const before = memoryOf(child.pid!);
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: requests }, () =>
        fetch(`${url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: 'query Q($img: String!) { searchByImage(imageBase64: $img, k: 1) { totalImages } }', variables: { img: png } }),
        }).then((response) => response.json() as Promise<{ data?: unknown; errors?: { extensions?: { code?: string } }[] }>),
      ),
    );
    const elapsedMs = Math.round(performance.now() - started);
    const after = memoryOf(child.pid!);
    const busy = answers.filter((answer) => answer.errors?.[0]?.extensions?.code === 'BUSY').length;
    const answered = answers.filter((answer) => answer.data && !answer.errors).length;
    console.log(
      JSON.stringify({ cli, requests, side, pngBytes: Math.round((png.length * 3) / 4), rssBeforeMb: before.rssMb, peakBeforeMb: before.peakMb, rssAfterMb: after.rssMb, peakAfterMb: after.peakMb, answered, busy, otherErrors: requests - answered - busy, elapsedMs }),
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
