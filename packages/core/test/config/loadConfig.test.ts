import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, defaultConfig, loadConfig } from '../../src/config';

describe('loadConfig', () => {
  let cwd: string;
  beforeEach(() => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-config-'));
  });
  afterEach(() => fs.rmSync(cwd, { recursive: true, force: true }));

  it('uses the documented defaults, with the data directory resolved against cwd', () => {
    const config = loadConfig({ env: {}, cwd });
    expect(config.dataDir).toBe(path.join(cwd, 'data'));
    expect(config.model).toBe('Xenova/clip-vit-base-patch32');
    expect(config.offline).toBe(false);
    expect(config.device).toBe('auto');
    expect(config.imageExtensions).toEqual(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.bmp', '.tif', '.tiff']);
    expect(config.batchSize).toBe(defaultConfig.batchSize);
  });

  it('reads SIS_* variables, normalising extensions to lower case with a dot', () => {
    const config = loadConfig({
      cwd,
      env: { SIS_DATA_DIR: '/srv/sis', SIS_OFFLINE: '1', SIS_DEVICE: 'cpu', SIS_IMAGE_EXTENSIONS: 'JPG, .Png ,webp', SIS_BATCH_SIZE: '16' },
    });
    expect(config.dataDir).toBe('/srv/sis');
    expect(config.offline).toBe(true);
    expect(config.device).toBe('cpu');
    expect(config.imageExtensions).toEqual(['.jpg', '.png', '.webp']);
    expect(config.batchSize).toBe(16);
  });

  it('layers defaults < config file < environment', () => {
    fs.writeFileSync(path.join(cwd, 'sis.config.json'), JSON.stringify({ batchSize: 4, device: 'cpu', dataDir: 'lib' }));
    const fromFile = loadConfig({ cwd, env: {} });
    expect(fromFile).toMatchObject({ batchSize: 4, device: 'cpu', dataDir: path.join(cwd, 'lib') });
    const overridden = loadConfig({ cwd, env: { SIS_BATCH_SIZE: '32' } });
    expect(overridden).toMatchObject({ batchSize: 32, device: 'cpu' });
  });

  it('resolves an existing local model folder to an absolute path and keeps hub ids as they are', () => {
    fs.mkdirSync(path.join(cwd, 'my-model'));
    expect(loadConfig({ cwd, env: { SIS_MODEL: 'my-model' } }).model).toBe(path.join(cwd, 'my-model'));
    expect(loadConfig({ cwd, env: { SIS_MODEL: 'openai/clip-vit-base-patch16' } }).model).toBe('openai/clip-vit-base-patch16');
  });

  it.each([
    [{ SIS_DEVICE: 'gpu' }, /SIS_DEVICE must be one of auto, cpu, cuda \(got "gpu"\)/],
    [{ SIS_OFFLINE: 'maybe' }, /SIS_OFFLINE must be 1\/0/],
    [{ SIS_BATCH_SIZE: '0' }, /SIS_BATCH_SIZE must be at least 1/],
    [{ SIS_BATCH_SIZE: 'eight' }, /SIS_BATCH_SIZE must be a whole number/],
    [{ SIS_IMAGE_EXTENSIONS: ',' }, /SIS_IMAGE_EXTENSIONS must list at least one extension/],
    [{ SIS_IMAGE_EXTENSIONS: '.jp g' }, /SIS_IMAGE_EXTENSIONS each extension must look like \.jpg/],
  ])('rejects %j with a message naming the setting', (env, message) => {
    expect(() => loadConfig({ cwd, env })).toThrow(ConfigError);
    expect(() => loadConfig({ cwd, env })).toThrow(message);
  });

  it('names the config file and key for a bad value in the file, and rejects unknown keys', () => {
    const file = path.join(cwd, 'custom.json');
    fs.writeFileSync(file, JSON.stringify({ maxResults: -3 }));
    expect(() => loadConfig({ cwd, env: { SIS_CONFIG: file } })).toThrow(/"maxResults" in .*custom\.json must be at least 1/);
    fs.writeFileSync(file, JSON.stringify({ modle: 'typo' }));
    expect(() => loadConfig({ cwd, env: {}, configFile: file })).toThrow(/unknown setting\(s\) modle/);
    fs.writeFileSync(file, '{ not json');
    expect(() => loadConfig({ cwd, env: {}, configFile: file })).toThrow(/not valid JSON/);
  });

  it('fails clearly when an explicitly named config file is missing', () => {
    expect(() => loadConfig({ cwd, env: { SIS_CONFIG: 'nope.json' } })).toThrow(/Cannot read config file .*nope\.json/);
  });
});
