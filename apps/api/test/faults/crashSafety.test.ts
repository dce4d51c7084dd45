import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultConfig, ImageLibrary, openEngine } from '@sis/core';
import { copyPhotos, runCli, spawnCli, tinyModelDir, tinyModelEnv } from '../helpers/cli';

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
      const delayMs = Math.round(250 + random() * 900);
      const child = spawnCli(['reindex', folder], env);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      child.kill('SIGKILL');
      await exited;
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
