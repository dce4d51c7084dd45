import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { copyPhotos, runCli, sharedDir, tinyModelDir } from './helpers/cli';

const siglipModelDir = path.join(sharedDir, 'models/siglip-tiny-random');

/** `sis reindex --model`: a CLIP library switched to SigLIP from the command line. */
describe('sis reindex --model', () => {
  let work: string;
  let clipEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-switch-cli-'));
    clipEnv = { SIS_DATA_DIR: path.join(work, 'data'), SIS_MODEL: tinyModelDir, SIS_OFFLINE: '1', INIT_CWD: work };
    copyPhotos(path.join(work, 'photos'), 6);
    expect((await runCli(['reindex', 'photos'], clipEnv)).code).toBe(0);
  }, 120_000);
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('refuses a model it cannot load, and leaves the library as it was', async () => {
    const run = await runCli(['reindex', 'photos', '--model', path.join(work, 'no-such-model')], clipEnv);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no-such-model/);
    expect(run.stderr).not.toMatch(/unexpected error/);
    const stats = JSON.parse((await runCli(['stats'], clipEnv)).stdout) as { modelName: string; modelSwitch: unknown };
    expect(stats).toMatchObject({ modelName: tinyModelDir, modelSwitch: null });
  }, 60_000);

  it('refuses to switch through the embedding queue, saying how to switch', async () => {
    const run = await runCli(['reindex', 'photos', '--model', siglipModelDir], { ...clipEnv, SIS_QUEUE_URL: 'redis://127.0.0.1:1' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/--model switches the library in this process, not through the queue/);
  }, 60_000);

  it('switches the library to the new model (a relative folder, as typed), then search works with it', async () => {
    fs.symlinkSync(siglipModelDir, path.join(work, 'siglip'));
    const run = await runCli(['reindex', 'photos', '--model', './siglip'], clipEnv);
    expect(run.stderr).not.toMatch(/unexpected error/);
    expect(run.code).toBe(0);
    const linked = path.join(work, 'siglip');
    expect(run.stdout).toContain(`Built the vectors of ${linked}`);
    expect(run.stdout).toContain(`Switched the library from ${tinyModelDir} to ${linked}`);
    expect(run.stdout).toMatch(/unchanged: 6/);
    const siglipEnv = { ...clipEnv, SIS_MODEL: linked };
    const stats = JSON.parse((await runCli(['stats'], siglipEnv)).stdout) as { modelName: string; dimension: number; indexedImages: number };
    expect(stats).toMatchObject({ modelName: linked, dimension: 64, indexedImages: 6 });
    const search = await runCli(['search', 'a dog in the snow', '--json', '-k', '3'], siglipEnv);
    expect(search.code).toBe(0);
    expect(JSON.parse(search.stdout)).toHaveLength(3);
    // Without SIS_MODEL, search and stats open the library with the model it records now: the same answers.
    const unsetEnv = { SIS_DATA_DIR: clipEnv.SIS_DATA_DIR, SIS_OFFLINE: '1', INIT_CWD: work };
    expect(JSON.parse((await runCli(['stats'], unsetEnv)).stdout)).toMatchObject({ modelName: linked, dimension: 64, indexedImages: 6 });
    const plain = await runCli(['search', 'a dog in the snow', '--json', '-k', '3'], unsetEnv);
    expect(plain.stderr).toBe('');
    expect(plain.code).toBe(0);
    expect(JSON.parse(plain.stdout)).toEqual(JSON.parse(search.stdout));
    // An explicitly set old model is refused now, saying how to go on.
    const old = await runCli(['search', 'a dog'], clipEnv);
    expect(old.code).toBe(1);
    expect(old.stderr).toContain(`SIS_MODEL="${linked}" (or leave it unset)`);
    expect(old.stderr).toContain(`sis reindex --model ${tinyModelDir} <folder>`);
    // Switching back starts from the recorded model even though SIS_MODEL names the target already.
    const back = await runCli(['reindex', 'photos', '--model', tinyModelDir], clipEnv);
    expect(back.code).toBe(0);
    expect(back.stdout).toContain(`Switched the library from ${linked} to ${tinyModelDir}`);
  }, 180_000);
});
