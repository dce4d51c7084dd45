import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { copyPhotos, runCli, tinyModelEnv } from '../helpers/cli';
import { crashAtEnv } from '../helpers/crashAt';

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

  it('full disk: the failing checkpoint is rolled back with a clear message, every earlier one is kept whole, and a later run finishes the job', async () => {
    expect((await runCli(['reindex', folder], env)).code).toBe(0);
    // Leave 300 KiB free: room for SQLite's WAL and a few checkpoints of 4 images, not for all 30 (each commit
    // appends about 8 pages of 16 KiB to the WAL: rows, embeddings, their indexes, the change log, meta).
    const { bavail, bsize } = fs.statfsSync(dataDir);
    fs.writeFileSync(path.join(dataDir, 'filler'), Buffer.alloc(Math.max(0, bavail * bsize - 300 * 1024)));
    const added = copyPhotos(folder, 120, 8);

    // The test hook (helpers/crashAt.ts, kills nothing here) records each checkpoint that committed.
    const hook = crashAtEnv('none', 0, work);
    const reindex = await runCli(['reindex', folder], { ...env, ...hook.env, SIS_BATCH_SIZE: '4', SIS_CHECKPOINT_IMAGES: '4' });
    expect(reindex.code).toBe(1);
    // SQLite's commit failed: the batch was rolled back, and the message says so. Saving the index on close then
    // fails too (no room for it): that comes as a note, it does not replace the rollback message.
    expect(reindex.stderr).toMatch(/^error: Could not write to the catalogue in .* \(database or disk is full\)\. The last batch was rolled back; everything indexed before it is intact and searchable\./m);
    expect(reindex.stderr).toMatch(/^note: Not enough free disk space in .* to save the index/m);
    expect(reindex.stderr).not.toMatch(/\n\s+at /);
    const checkpoints = fs.existsSync(hook.commitsFile) ? fs.readFileSync(hook.commitsFile, 'utf8').trim().split('\n').filter(Boolean).map(Number) : [];
    expect(checkpoints.every((images) => images === 4)).toBe(true);
    expect(checkpoints.length).toBeLessThan(added.length / 4); // it did fail before the end

    // Exactly the whole checkpoints that committed, on top of the first run's 8: nothing of the failed one.
    const search = await runCli(['search', '--json', '-k', '200', 'a dog'], env);
    expect(search.code).toBe(0);
    expect(JSON.parse(search.stdout)).toHaveLength(8 + 4 * checkpoints.length);
    console.log(`full disk: ${checkpoints.length} checkpoints of 4 images committed before the disk filled`);

    fs.rmSync(path.join(dataDir, 'filler'));
    const resumed = await runCli(['reindex', folder], env);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`embedded: +${added.length - 4 * checkpoints.length}\\b`));
    const total = await runCli(['search', '--json', '-k', '200', 'a dog'], env);
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
      // Paused while it holds the lock, so it cannot finish before the second starts (60 photos take about a second now).
      process.kill(holder.pid, 'SIGSTOP');
      let second: Awaited<ReturnType<typeof runCli>>;
      try {
        second = await runCli(['reindex', folder], env);
      } finally {
        process.kill(holder.pid, 'SIGCONT');
      }
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(`Another indexer is already writing to ${path.join(work, 'data')}: process ${holder.pid}`);
      expect((await first).code).toBe(0);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }, 60_000);
});
