import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { withLibraryModel } from '../../src/store';
import { ImageLibrary } from '../../src/store';

/** Without SIS_MODEL an existing library opens with the model it records; a new one with the default. */
describe('withLibraryModel', () => {
  let cwd: string;
  beforeEach(() => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-library-model-'));
  });
  afterEach(() => fs.rmSync(cwd, { recursive: true, force: true }));

  const recordModel = (modelName: string) => ImageLibrary.open(path.join(cwd, 'data'), { modelName, dimension: 4, writable: true }).close();

  it('takes the recorded model when SIS_MODEL is not set', () => {
    recordModel('/models/siglip-tiny-random');
    expect(withLibraryModel(loadConfig({ cwd, env: {} })).model).toBe('/models/siglip-tiny-random');
  });

  it('keeps the default for a new, empty library', () => {
    const config = loadConfig({ cwd, env: {} });
    expect(withLibraryModel(config)).toBe(config);
    expect(fs.existsSync(path.join(cwd, 'data'))).toBe(false);
  });

  it('keeps an explicitly set model, even when the library records another (openStore refuses it then)', () => {
    recordModel('/models/siglip-tiny-random');
    expect(withLibraryModel(loadConfig({ cwd, env: { SIS_MODEL: 'other/model' } })).model).toBe('other/model');
    fs.writeFileSync(path.join(cwd, 'sis.config.json'), JSON.stringify({ model: 'other/model' }));
    expect(withLibraryModel(loadConfig({ cwd, env: {} })).model).toBe('other/model');
  });
});
