import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultConfig, ImageLibrary, openEngine, PostgresCatalogue, SyncPostgres } from '@sis/core';
import { startTestPostgres, type TestPostgres } from '@sis/config/postgres';
import { cliPath, copyPhotos, runCli, tinyModelDir, tinyModelEnv } from '../helpers/cli';

/**
 * `sis reindex` into PostgreSQL, killed (SIGKILL) at random moments, and PostgreSQL itself stopped as in a
 * crash (`pg_ctl -m immediate`) mid-run: afterwards every photo is in the catalogue at most once, rows, vectors
 * and change log agree, and the next run finishes exactly what is left.
 */
describe('reindex into PostgreSQL: killed, and PostgreSQL crashing, mid-run', () => {
  let server: TestPostgres;
  let url: string;
  let work: string;
  let folder: string;
  let photos: string[];
  let env: NodeJS.ProcessEnv;
  let model: { modelName: string; dimension: number };

  beforeAll(async () => {
    server = await startTestPostgres();
    url = server.createDatabase('crash');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-pg-crash-'));
    folder = path.join(work, 'photos');
    photos = copyPhotos(folder, 300);
    env = tinyModelEnv(path.join(work, 'data'), { SIS_CATALOGUE_URL: url, SIS_BATCH_SIZE: '2', SIS_CHECKPOINT_IMAGES: '6' });
    const probe = await openEngine({ ...defaultConfig, dataDir: path.join(work, 'probe'), model: tinyModelDir, offline: true }, { writable: false });
    model = { modelName: probe.embedder.modelName, dimension: probe.embedder.dimension };
    probe.close();
  }, 120_000);

  afterAll(() => {
    server?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  /** Exactly-once in SQL terms, then the same through a library: search over everything finds each row once. */
  function checkConsistent(): { indexed: number; pending: number } {
    const pg = new SyncPostgres({ connectionString: url });
    try {
      const [counts] = pg.query<{ rows: number; paths: number; indexed: number; vectors: number; orphans: number; unlogged: number }>(
        `SELECT (SELECT COUNT(*) FROM sis.images)::bigint AS rows, (SELECT COUNT(DISTINCT path) FROM sis.images)::bigint AS paths,
                (SELECT COUNT(*) FROM sis.images WHERE status = 'indexed')::bigint AS indexed, (SELECT COUNT(*) FROM sis.embeddings)::bigint AS vectors,
                (SELECT COUNT(*) FROM sis.embeddings e LEFT JOIN sis.images i ON i.id = e.image_id WHERE i.status IS DISTINCT FROM 'indexed')::bigint AS orphans,
                (SELECT COUNT(*) FROM sis.images i LEFT JOIN sis.changes c ON c.image_id = i.id WHERE i.status = 'indexed' AND c.image_id IS NULL)::bigint AS unlogged`,
      ).rows;
      expect(counts!.paths).toBe(counts!.rows);
      expect(counts!.vectors).toBe(counts!.indexed);
      expect(counts!.orphans).toBe(0);
      expect(counts!.unlogged).toBe(0);
    } finally {
      pg.close();
    }
    const library = ImageLibrary.openCatalogue(PostgresCatalogue.connect(url, { writable: false }), fs.mkdtempSync(path.join(work, 'check-')), { ...model, writable: false });
    try {
      const indexed = library.count();
      expect(library.stats().indexedImages).toBe(indexed);
      const states = library.fileStates();
      // Files on disk whose current size/mtime the catalogue does not have yet.
      const pending = photos.filter((file) => {
        const known = states.get(file);
        const stats = fs.statSync(file, { bigint: true });
        return !known || known.size !== Number(stats.size) || known.mtimeMs !== Number(stats.mtimeNs / 1_000_000n);
      }).length;
      if (indexed > 0) {
        const hits = library.search(new Float32Array(model.dimension).fill(1 / Math.sqrt(model.dimension)), indexed).map((hit) => hit.image.path);
        expect(new Set(hits).size).toBe(indexed);
        for (const hit of hits) expect(photos).toContain(hit);
      }
      return { indexed, pending };
    } finally {
      library.close();
    }
  }

  function startReindex(): { exited: Promise<{ code: number | null; stderr: string }>; kill(): void } {
    const child = spawn(process.execPath, [cliPath, 'reindex', folder], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => child.once('close', (code) => resolve({ code, stderr })));
    return { exited, kill: () => child.kill('SIGKILL') };
  }

  test('SIGKILL at random moments, then PostgreSQL stopped immediately mid-run: exactly-once rows, and the next run finishes the rest', async () => {
    let seed = 20261201;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const history: { what: string; pending: number }[] = [];
    let last = 0;
    /** After each interruption: nothing committed is lost; once all is done, every photo is touched so the next runs re-embed. */
    const afterInterruption = (what: string, round: number) => {
      const { indexed, pending } = checkConsistent();
      expect(indexed).toBeGreaterThanOrEqual(last);
      last = indexed;
      history.push({ what: `${what}->${indexed},${pending}`, pending });
      if (pending === 0) {
        const when = new Date(Date.now() + (round + 1) * 1000);
        for (const photo of photos) fs.utimesSync(photo, when, when);
      }
    };
    for (let kill = 0; kill < 5; kill++) {
      const delayMs = Math.round(1200 + random() * 2300);
      const run = startReindex();
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      run.kill();
      await run.exited;
      afterInterruption(`kill@${delayMs}ms`, kill);
    }
    for (let crash = 0; crash < 2; crash++) {
      const delayMs = Math.round(1200 + random() * 2300);
      const run = startReindex();
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      server.crash();
      const { code, stderr } = await run.exited;
      // Resumed (finished before the crash) or failed with a clear message; never a hang, never a half-written batch.
      if (code !== 0) expect(stderr).toMatch(/PostgreSQL at postgres:\/\/.* is unreachable or went away .*every committed batch is kept/);
      server.start();
      afterInterruption(`pg-crash@${delayMs}ms (exit ${code})`, 5 + crash);
    }
    console.log(`interruption -> committed, pending: ${history.map((entry) => entry.what).join(' ')}`);
    const { pending } = checkConsistent();
    // The killed runs' reindex claims died with their connections: the next run is not refused.
    const finish = await runCli(['reindex', folder], env);
    expect(finish.code).toBe(0);
    expect(finish.stdout).toMatch(new RegExp(`embedded: +${pending}\\b`));
    expect(checkConsistent()).toEqual({ indexed: photos.length, pending: 0 });
    // Most interruptions landed mid-run (some work committed, some pending), or this test proves nothing.
    expect(history.filter((entry) => entry.pending > 0 && entry.pending < photos.length).length).toBeGreaterThanOrEqual(3);
  }, 300_000);
});
