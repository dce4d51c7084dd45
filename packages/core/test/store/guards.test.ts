import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LOCK_FILE_NAME, ModelMismatchError, StoreError, WriterLockError } from '../../src/store';
import { WriterLock } from '../../src/store/lock';
import { compileStoreTo, startNodeScript } from './childProcess';
import { deadPid, expectConsistent, makeImage, makeTempDir, MODEL, openLibrary, removeTempDirs, seededRandom } from './helpers';

afterAll(removeTempDirs);

const D = 16;

function writeLockFile(dataDir: string, holder: { pid: number; hostname: string }): void {
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(path.join(dataDir, LOCK_FILE_NAME), JSON.stringify({ ...holder, startedAt: '2024-01-01T00:00:00.000Z', token: 'old' }));
}

describe('model guard', () => {
  test('opening with another model name is refused, naming both models and the way out', () => {
    const dataDir = makeTempDir();
    openLibrary(dataDir, D, true).close();
    for (const writable of [true, false]) {
      let error: unknown;
      try {
        openLibrary(dataDir, D, writable, 'other/model');
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ModelMismatchError);
      expect(error).toBeInstanceOf(StoreError);
      const mismatch = error as ModelMismatchError;
      expect(mismatch.recorded).toEqual({ modelName: MODEL, dimension: D });
      expect(mismatch.requested).toEqual({ modelName: 'other/model', dimension: D });
      expect(mismatch.message).toContain(`"${MODEL}"`);
      expect(mismatch.message).toContain('"other/model"');
      expect(mismatch.message).toMatch(/another data directory/);
      expect(mismatch.message).toContain('`sis reindex --model other/model <folder>`');
      expect(mismatch.message).toContain(`SIS_MODEL="${MODEL}"`);
    }
    // The refused writer released its lock: the right model still opens.
    openLibrary(dataDir, D, true).close();
  });

  test('opening with another dimension is refused', () => {
    const dataDir = makeTempDir();
    openLibrary(dataDir, D, true).close();
    expect(() => openLibrary(dataDir, 32, true)).toThrow(ModelMismatchError);
    expect(() => openLibrary(dataDir, 32, false)).toThrow(/dimension 16.*dimension 32/);
  });
});

describe('writer lock', () => {
  test('a second writer is refused, naming the holder; readers are allowed; closing releases', () => {
    const random = seededRandom(40);
    const dataDir = makeTempDir();
    const writer = openLibrary(dataDir, D, true);
    const image = makeImage('/photos', D, random);
    writer.apply({ upsertIndexed: [image], upsertSkipped: [], removePaths: [] });

    let error: unknown;
    try {
      openLibrary(dataDir, D, true);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(WriterLockError);
    const lockError = error as WriterLockError;
    expect(lockError.holder).toMatchObject({ pid: process.pid, hostname: os.hostname() });
    expect(lockError.message).toContain(`process ${process.pid}`);
    expect(lockError.lockPath).toBe(path.join(dataDir, LOCK_FILE_NAME));

    const reader = openLibrary(dataDir, D, false);
    expectConsistent(reader, new Map([[image.path, image.embedding]]));
    reader.close();

    writer.close();
    expect(fs.existsSync(path.join(dataDir, LOCK_FILE_NAME))).toBe(false);
    openLibrary(dataDir, D, true).close();
  });

  test('the lock file records pid, hostname and start time', () => {
    const dataDir = makeTempDir();
    const writer = openLibrary(dataDir, D, true);
    const record = JSON.parse(fs.readFileSync(path.join(dataDir, LOCK_FILE_NAME), 'utf8')) as Record<string, unknown>;
    expect(record).toMatchObject({ pid: process.pid, hostname: os.hostname(), startedAt: expect.any(String) });
    expect(Number.isNaN(Date.parse(record.startedAt as string))).toBe(false);
    writer.close();
  });

  test('a stale lock (its process is gone) is taken over', () => {
    const random = seededRandom(41);
    const dataDir = makeTempDir();
    const pid = deadPid();
    writeLockFile(dataDir, { pid, hostname: os.hostname() });
    const writer = openLibrary(dataDir, D, true);
    const image = makeImage('/photos', D, random);
    writer.apply({ upsertIndexed: [image], upsertSkipped: [], removePaths: [] });
    const record = JSON.parse(fs.readFileSync(path.join(dataDir, LOCK_FILE_NAME), 'utf8')) as { pid: number };
    expect(record.pid).toBe(process.pid);
    writer.close();
  });

  test('a lock naming this process\'s pid but not taken by it (pid reused after a restart) is stale', () => {
    const dataDir = makeTempDir();
    writeLockFile(dataDir, { pid: process.pid, hostname: os.hostname() });
    openLibrary(dataDir, D, true).close();
  });

  test('a lock held by a live process is respected', () => {
    const dataDir = makeTempDir();
    // Our parent (the jest worker's parent or the shell) is alive and is not us.
    writeLockFile(dataDir, { pid: process.ppid, hostname: os.hostname() });
    expect(() => openLibrary(dataDir, D, true)).toThrow(WriterLockError);
    expect(() => openLibrary(dataDir, D, false)).not.toThrow();
  });

  test('a lock from another host is respected (its process cannot be checked); the message says how to clear it', () => {
    const dataDir = makeTempDir();
    writeLockFile(dataDir, { pid: 12345, hostname: `${os.hostname()}-elsewhere` });
    expect(() => openLibrary(dataDir, D, true)).toThrow(/delete .*writer\.lock/);
  });

  test('a damaged lock file counts as stale', () => {
    const dataDir = makeTempDir();
    fs.writeFileSync(path.join(dataDir, LOCK_FILE_NAME), '');
    openLibrary(dataDir, D, true).close();
  });

  test('processes racing to take over the same stale lock: exactly one wins', async () => {
    const work = makeTempDir();
    const dataDir = path.join(work, 'data');
    const storeModule = compileStoreTo(work);
    openLibrary(dataDir, D, true).close();
    writeLockFile(dataDir, { pid: deadPid(), hostname: os.hostname() });
    const script = `
      const [storeModule, dataDir, model, dimension, startAt] = process.argv.slice(1);
      const { ImageLibrary } = require(storeModule);
      // Start together, then hold the lock long enough for every other process to try.
      while (Date.now() < Number(startAt)) {}
      try {
        const library = ImageLibrary.open(dataDir, { modelName: model, dimension: Number(dimension), writable: true });
        process.stdout.write('won');
        setTimeout(() => library.close(), 6000); // longer than any loser can lag behind, even on a loaded machine
      } catch (error) {
        process.stdout.write(error.name);
      }
    `;
    const startAt = String(Date.now() + 3000); // every process has started by then
    const results = await Promise.all(Array.from({ length: 6 }, () => startNodeScript(script, [storeModule, dataDir, MODEL, String(D), startAt])));
    expect(results.map((result) => result.stderr)).toEqual(Array(6).fill(''));
    const outcomes = results.map((result) => result.stdout).sort();
    expect(outcomes).toEqual(['WriterLockError', 'WriterLockError', 'WriterLockError', 'WriterLockError', 'WriterLockError', 'won']);
    expect(fs.existsSync(path.join(dataDir, LOCK_FILE_NAME))).toBe(false);
  }, 30_000);

  test('taking over a stale lock re-checks it under exclusive access: a writer that got in first is not robbed', () => {
    const dataDir = makeTempDir();
    writeLockFile(dataDir, { pid: deadPid(), hostname: os.hostname() });
    let first: WriterLock | undefined;
    // B saw the stale lock; while B waits for exclusive access, A takes the lock over.
    const attemptB = () =>
      WriterLock.acquire(dataDir, {
        withExclusiveAccess: (fn) => {
          first = WriterLock.acquire(dataDir);
          return fn();
        },
      });
    expect(attemptB).toThrow(WriterLockError);
    expect(first).toBeDefined();
    const record = JSON.parse(fs.readFileSync(path.join(dataDir, LOCK_FILE_NAME), 'utf8')) as { pid: number };
    expect(record.pid).toBe(process.pid);
    first!.release();
    expect(fs.existsSync(path.join(dataDir, LOCK_FILE_NAME))).toBe(false);
  });
});
