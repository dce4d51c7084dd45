import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliPath, copyPhotos, runCli, tinyModelEnv } from './helpers/cli';
import { crashAtEnv } from './helpers/crashAt';

/** Ctrl-C (SIGINT) and SIGTERM on `sis reindex`: stop after the current batch, commit it, print the summary, exit 130. */
describe('sis reindex interrupted', () => {
  let work: string;
  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-interrupt-'));
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it.each(['SIGINT', 'SIGTERM'] as const)('%s: stops after the current batch, keeps every image it reports, exits 130', async (signal) => {
    const dir = path.join(work, signal);
    fs.mkdirSync(dir);
    const folder = path.join(dir, 'photos');
    const photos = copyPhotos(folder, 80);
    const env = tinyModelEnv(path.join(dir, 'data'), { SIS_BATCH_SIZE: '1', SIS_CHECKPOINT_IMAGES: '4' });
    // The test hook only reports commits here (it kills nothing): the signal is sent once the run is under way.
    const hook = crashAtEnv('none', 0, dir);
    const child = spawn(process.execPath, [cliPath, 'reindex', folder], { env: { PATH: process.env.PATH, ...env, ...hook.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, sig) => resolve({ code, signal: sig })));
    for (let waited = 0; !fs.existsSync(hook.commitsFile); waited += 10) {
      if (waited > 60_000) throw new Error('no commit within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    child.kill(signal);
    expect(await exited).toEqual({ code: 130, signal: null });

    const embedded = Number(/embedded: +(\d+)/.exec(stdout)?.[1]);
    expect(embedded).toBeGreaterThanOrEqual(4);
    expect(embedded).toBeLessThan(photos.length);
    // Everything the summary reports was committed (the last, partial checkpoint included), and the lock released.
    const stats = await runCli(['stats'], env);
    expect(stats.code).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({ indexedImages: embedded });
    expect(fs.existsSync(path.join(dir, 'data', 'writer.lock'))).toBe(false);
    // The next run does only the rest.
    const rest = await runCli(['reindex', folder], env);
    expect(rest.code).toBe(0);
    expect(rest.stdout).toMatch(new RegExp(`embedded: +${photos.length - embedded}\\b`));
  }, 120_000);
});
