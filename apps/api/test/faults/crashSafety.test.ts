import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultConfig, ImageLibrary, openEngine } from '@sis/core';
import { copyPhotos, runCli, spawnCli, tinyModelDir, tinyModelEnv } from '../helpers/cli';
import { crashAtEnv, readCrashMarker, type CrashPoint } from '../helpers/crashAt';

interface LibraryCheck {
  indexed: number;
  paths: string[];
  /** Files on disk whose current size/mtime the catalogue does not have yet. */
  pending: string[];
}

/**
 * Opens the data directory as a reader and proves catalogue and index agree: every indexed row is
 * found by a search that asks for all vectors, each exactly once, and nothing else is.
 */
async function checkConsistent(dataDir: string, dimension: number, modelName: string, files: string[]): Promise<LibraryCheck> {
  const library = ImageLibrary.open(dataDir, { modelName, dimension, writable: false });
  try {
    const states = library.fileStates();
    const indexedPaths = [...states].filter(([, state]) => state.status === 'indexed').map(([file]) => file);
    const pending = files.filter((file) => {
      const known = states.get(file);
      const stats = fs.statSync(file, { bigint: true });
      return !known || known.size !== Number(stats.size) || known.mtimeMs !== Number(stats.mtimeNs / 1_000_000n);
    });
    const indexed = library.count();
    expect(indexedPaths).toHaveLength(indexed);
    if (indexed > 0) {
      const query = new Float32Array(dimension).fill(1 / Math.sqrt(dimension));
      const hits = library.search(query, indexed).map((hit) => hit.image.path);
      expect(new Set(hits).size).toBe(hits.length); // no duplicate vectors
      expect([...hits].sort()).toEqual([...indexedPaths].sort()); // no vector without a row, no row without a vector
    }
    return { indexed, paths: indexedPaths, pending };
  } finally {
    library.close();
  }
}

describe('a reindex killed with SIGKILL at random moments', () => {
  const kills = 12;
  let work: string;
  let folder: string;
  let env: NodeJS.ProcessEnv;
  let photos: string[];

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-crash-'));
    folder = path.join(work, 'photos');
    photos = copyPhotos(folder, 150);
    // Small batches and frequent checkpoints, so kills land between and inside commits.
    env = tinyModelEnv(path.join(work, 'data'), { SIS_BATCH_SIZE: '2', SIS_CHECKPOINT_IMAGES: '6' });
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it(`never leaves a broken or inconsistent library, and resumes without redoing committed work (${kills} kills)`, async () => {
    const engine = await openEngine({ ...defaultConfig, dataDir: path.join(work, 'probe'), model: tinyModelDir, offline: true }, { writable: false });
    const { dimension, modelName } = engine.embedder;
    engine.close();

    // A seeded generator: a failure is reproducible from the printed delays.
    let seed = 20241125;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const history: { delayMs: number; indexed: number; pending: number }[] = [];
    for (let kill = 0; kill < kills; kill++) {
      // Timed from the run's first commit (reported by the test hook), not from its start: model loading takes
      // longer on a loaded machine, and a kill before any commit proves little.
      const delayMs = Math.round(random() * 600);
      const hook = crashAtEnv('none', 0, work);
      const child = spawnCli(['reindex', folder], { ...env, ...hook.env });
      let done = false;
      const exited = new Promise((resolve) => child.once('exit', resolve)).then(() => (done = true));
      while (!done && !fs.existsSync(hook.commitsFile)) await new Promise((resolve) => setTimeout(resolve, 10));
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      child.kill('SIGKILL');
      await exited;
      // Killed, or finished before the kill came (nothing left to do): never failed.
      expect(child.signalCode === 'SIGKILL' || child.exitCode === 0).toBe(true);
      const check = await checkConsistent(path.join(work, 'data'), dimension, modelName, photos);
      history.push({ delayMs, indexed: check.indexed, pending: check.pending.length });
      // Committed work is never lost: the count only grows.
      if (kill > 0) expect(check.indexed).toBeGreaterThanOrEqual(history[kill - 1]!.indexed);
      if (check.pending.length === 0) {
        // All done: touch every photo, so the next kills land while vectors are being replaced.
        const when = new Date(Date.now() + (kill + 1) * 1000);
        for (const photo of photos) fs.utimesSync(photo, when, when);
      }
    }
    console.log(`kills (delay ms -> committed, pending): ${history.map((entry) => `${entry.delayMs}->${entry.indexed},${entry.pending}`).join(' ')}`);
    const { pending } = await checkConsistent(path.join(work, 'data'), dimension, modelName, photos);

    // The kills left a stale writer lock behind; the next run takes it over and does only what is left.
    const finish = await runCli(['reindex', folder], env);
    expect(finish.code).toBe(0);
    // Exactly the files not committed before the last kill are embedded: nothing committed is redone.
    expect(finish.stdout).toMatch(new RegExp(`embedded: +${pending.length}\\b`));
    expect(finish.stdout).toMatch(new RegExp(`unchanged: ${photos.length - pending.length}\\b`));
    const final = await checkConsistent(path.join(work, 'data'), dimension, modelName, photos);
    expect(final.indexed).toBe(photos.length);
    expect(final.pending).toEqual([]);
    expect(final.paths.sort()).toEqual([...photos].sort());
    // Most kills must have landed mid-run (some work committed, some pending) for this test to mean anything.
    expect(history.filter((entry) => entry.indexed > 0 && entry.pending > 0).length).toBeGreaterThanOrEqual(kills / 2);
  }, 180_000);
});

/**
 * Kills at fixed points, by a test hook preloaded into the `sis reindex` child (apps/api/test/helpers/crashAt.ts:
 * NODE_OPTIONS=--require, no hook in the product). 30 photos, batches of 2, a checkpoint every 6 images.
 */
describe('a reindex killed at fixed points: before a commit, after a commit before the index save, mid-save', () => {
  let work: string;
  let dimension: number;
  let modelName: string;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-crash-at-'));
    const engine = await openEngine({ ...defaultConfig, dataDir: path.join(work, 'probe'), model: tinyModelDir, offline: true }, { writable: false });
    ({ dimension, modelName } = engine.embedder);
    engine.close();
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  /** A fresh data directory and photo folder for one scenario. */
  function scenario(name: string, count: number) {
    const dir = path.join(work, name);
    const folder = path.join(dir, 'photos');
    const photos = copyPhotos(folder, count);
    const dataDir = path.join(dir, 'data');
    const env = tinyModelEnv(dataDir, { SIS_BATCH_SIZE: '2', SIS_CHECKPOINT_IMAGES: '6' });
    return { dir, folder, photos, dataDir, env };
  }

  async function killedAt(point: CrashPoint, nth: number, s: ReturnType<typeof scenario>) {
    const { env, markerFile } = crashAtEnv(point, nth, s.dir);
    const child = spawnCli(['reindex', s.folder], { ...s.env, ...env });
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, sig) => resolve(sig)));
    const marker = readCrashMarker(markerFile);
    // The kill happened, where it was meant to.
    expect({ signal, marker: marker && { point: marker.point, nth: marker.nth } }).toEqual({ signal: 'SIGKILL', marker: { point, nth } });
    return marker!;
  }

  const readerIndexState = (dataDir: string) => {
    const library = ImageLibrary.open(dataDir, { modelName, dimension, writable: false });
    try {
      const { loadedFrom, rebuildReason } = library.stats().index;
      return { loadedFrom, rebuildReason };
    } finally {
      library.close();
    }
  };

  it('before the 3rd commit: exactly the 2 earlier checkpoints (12 images) are kept; the next run embeds the other 18', async () => {
    const s = scenario('before-commit', 30);
    const marker = await killedAt('before-commit', 3, s);
    expect(marker.committedImages).toBe(12);
    const check = await checkConsistent(s.dataDir, dimension, modelName, s.photos);
    expect(check.indexed).toBe(12);
    expect(check.pending).toHaveLength(18);
    const finish = await runCli(['reindex', s.folder], s.env);
    expect(finish.code).toBe(0);
    expect(finish.stdout).toMatch(/embedded: +18\b/);
    expect((await checkConsistent(s.dataDir, dimension, modelName, s.photos)).indexed).toBe(30);
  }, 120_000);

  it('after the 2nd commit of a re-embedding run, before the index is saved: the commits are kept and the stale index file is rebuilt', async () => {
    const s = scenario('after-commit', 30);
    expect((await runCli(['reindex', s.folder], s.env)).code).toBe(0);
    expect(readerIndexState(s.dataDir)).toEqual({ loadedFrom: 'file', rebuildReason: null });
    // Every vector is replaced now, and 6 new photos are added.
    const when = new Date(Date.now() + 5000);
    for (const photo of s.photos) fs.utimesSync(photo, when, when);
    const added = copyPhotos(s.folder, 6, 30);
    const marker = await killedAt('after-commit', 2, s);
    expect(marker.committedImages).toBe(12);
    const check = await checkConsistent(s.dataDir, dimension, modelName, [...s.photos, ...added]);
    // 12 re-embedded or new images committed (still 30 old rows at most, each with one vector), 24 pending.
    expect(check.pending).toHaveLength(24);
    expect(check.indexed).toBeGreaterThanOrEqual(30);
    expect(readerIndexState(s.dataDir)).toMatchObject({ loadedFrom: 'catalogue', rebuildReason: expect.stringMatching(/generation/) });
    const finish = await runCli(['reindex', s.folder], s.env);
    expect(finish.code).toBe(0);
    expect(finish.stdout).toMatch(/embedded: +24\b/);
    expect((await checkConsistent(s.dataDir, dimension, modelName, [...s.photos, ...added])).indexed).toBe(36);
    expect(readerIndexState(s.dataDir)).toEqual({ loadedFrom: 'file', rebuildReason: null });
  }, 120_000);

  it('mid-save of the index file: the old file survives byte for byte, every commit is kept, and the next run redoes nothing', async () => {
    const s = scenario('mid-save', 12);
    expect((await runCli(['reindex', s.folder], s.env)).code).toBe(0);
    const indexFile = path.join(s.dataDir, 'image_index.faiss');
    const before = fs.readFileSync(indexFile);
    const added = copyPhotos(s.folder, 6, 12);
    const marker = await killedAt('mid-save', 1, s);
    expect(marker.committedImages).toBe(6);
    expect(fs.readFileSync(indexFile).equals(before)).toBe(true);
    expect(fs.readdirSync(s.dataDir).filter((name) => name.startsWith('image_index.faiss.tmp-'))).toHaveLength(1);
    const check = await checkConsistent(s.dataDir, dimension, modelName, [...s.photos, ...added]);
    expect({ indexed: check.indexed, pending: check.pending }).toEqual({ indexed: 18, pending: [] });
    const finish = await runCli(['reindex', s.folder], s.env);
    expect(finish.code).toBe(0);
    expect(finish.stdout).toMatch(/embedded: +0\b/);
    expect(fs.readdirSync(s.dataDir).filter((name) => name.includes('.tmp-'))).toEqual([]);
    expect(readerIndexState(s.dataDir)).toEqual({ loadedFrom: 'file', rebuildReason: null });
  }, 120_000);
});
