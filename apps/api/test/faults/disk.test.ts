import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { copyPhotos, runCli, tinyModelEnv } from '../helpers/cli';

/** A small tmpfs we can fill up and remount read-only: needs root (CI and these machines run as root). */
function mountTmpfs(dir: string, sizeMb: number): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function fingerprint(dir: string): Record<string, string> {
  return Object.fromEntries(
    fs.readdirSync(dir).map((name) => [name, crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, name))).digest('hex')]),
  );
}

const canMount = process.getuid?.() === 0;
const describeWithMount = canMount ? describe : describe.skip;

describeWithMount('a data directory that fills up or turns read-only', () => {
  let work: string;
  let dataDir: string;
  let folder: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-disk-'));
    dataDir = path.join(work, 'data');
    folder = path.join(work, 'photos');
    fs.mkdirSync(dataDir);
    if (!mountTmpfs(dataDir, 20)) throw new Error('mount -t tmpfs failed although running as root');
    copyPhotos(folder, 8);
    env = tinyModelEnv(dataDir, { SIS_CHECKPOINT_IMAGES: '8' });
  });

  afterEach(() => {
    execFileSync('umount', [dataDir]);
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('read-only: reindex fails clearly and changes nothing; search keeps working', async () => {
    expect((await runCli(['reindex', folder], env)).code).toBe(0);
    const before = fingerprint(dataDir);
    execFileSync('mount', ['-o', 'remount,ro', dataDir]);
    copyPhotos(folder, 4, 8);

    const reindex = await runCli(['reindex', folder], env);
    expect(reindex.code).toBe(1);
    expect(reindex.stderr).toMatch(/data directory .* is not writable .*read-only file system.*searching it still works/);
    expect(reindex.stderr).not.toMatch(/\n\s+at /);

    const search = await runCli(['search', '--json', '-k', '20', 'a dog'], env);
    expect(search.code).toBe(0);
    expect(JSON.parse(search.stdout)).toHaveLength(8);
    expect(fingerprint(dataDir)).toEqual(before);
  }, 60_000);

  it('full disk: the failing batch is rolled back with a clear message, the index stays searchable, and a later run finishes the job', async () => {
    expect((await runCli(['reindex', folder], env)).code).toBe(0);
    // Leave ~100 KiB free: too little for the next checkpoint of 8 images.
    const { bavail, bsize } = fs.statfsSync(dataDir);
    fs.writeFileSync(path.join(dataDir, 'filler'), Buffer.alloc(Math.max(0, bavail * bsize - 100 * 1024)));
    const added = copyPhotos(folder, 24, 8);

    const reindex = await runCli(['reindex', folder], env);
    expect(reindex.code).toBe(1);
    expect(reindex.stderr).toMatch(/(disk is full|Not enough free disk space)/);
    expect(reindex.stderr).not.toMatch(/\n\s+at /);

    const search = await runCli(['search', '--json', '-k', '100', 'a dog'], env);
    expect(search.code).toBe(0);
    const found = (JSON.parse(search.stdout) as { path: string }[]).map((hit) => hit.path);
    expect(found.length).toBeGreaterThanOrEqual(8);

    fs.rmSync(path.join(dataDir, 'filler'));
    const resumed = await runCli(['reindex', folder], env);
    expect(resumed.code).toBe(0);
    const total = await runCli(['search', '--json', '-k', '100', 'a dog'], env);
    expect(JSON.parse(total.stdout)).toHaveLength(8 + added.length);
  }, 60_000);
});

describe('two reindex processes on one data directory', () => {
  it('the second refuses with a message naming the first', async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-lock-'));
    try {
      const folder = path.join(work, 'photos');
      copyPhotos(folder, 60);
      const env = tinyModelEnv(path.join(work, 'data'), { SIS_BATCH_SIZE: '1' });
      const first = runCli(['reindex', folder], env);
      // Wait until the first holds the lock.
      const lockFile = path.join(work, 'data', 'writer.lock');
      for (let waited = 0; !fs.existsSync(lockFile) && waited < 20_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      const holder = JSON.parse(fs.readFileSync(lockFile, 'utf8')) as { pid: number };
      const second = await runCli(['reindex', folder], env);
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(`Another indexer is already writing to ${path.join(work, 'data')}: process ${holder.pid}`);
      expect((await first).code).toBe(0);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }, 60_000);
});
