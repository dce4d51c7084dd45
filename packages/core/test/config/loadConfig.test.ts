import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, defaultConfig, effectiveAllowedRoots, loadConfig } from '../../src/config';

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

  it('marks the model as defaulted only when neither SIS_MODEL nor the config file sets it', () => {
    expect(loadConfig({ cwd, env: {} }).modelDefaulted).toBe(true);
    expect(loadConfig({ cwd, env: { SIS_MODEL: defaultConfig.model } }).modelDefaulted).toBeUndefined();
    fs.writeFileSync(path.join(cwd, 'sis.config.json'), JSON.stringify({ model: defaultConfig.model }));
    expect(loadConfig({ cwd, env: {} }).modelDefaulted).toBeUndefined();
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

describe('loadConfig: API server settings', () => {
  let cwd: string;
  beforeEach(() => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-config-'));
  });
  afterEach(() => fs.rmSync(cwd, { recursive: true, force: true }));

  it('defaults to loopback, port 4000, the image folder as the only allowed root, and the Vite dev origin', () => {
    const config = loadConfig({ env: {}, cwd });
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 4000,
      imageDir: path.join(cwd, 'images'),
      allowedRoots: [],
      corsOrigins: ['http://localhost:5173'],
      maxUploadBytes: 10 * 1024 * 1024,
      webDir: '',
      logLevel: 'info',
    });
    expect(effectiveAllowedRoots(config)).toEqual([path.join(cwd, 'images')]);
  });

  it('reads SIS_HOST, SIS_PORT, SIS_IMAGE_DIR, SIS_ALLOWED_ROOTS (comma-separated, resolved) and SIS_CORS_ORIGINS', () => {
    const config = loadConfig({
      cwd,
      env: {
        SIS_HOST: '0.0.0.0',
        SIS_PORT: '8080',
        SIS_IMAGE_DIR: 'pics',
        SIS_ALLOWED_ROOTS: '/srv/photos, more ,',
        SIS_CORS_ORIGINS: 'http://localhost:5173,https://photos.example.com',
        SIS_MAX_UPLOAD_BYTES: '1000',
        SIS_WEB_DIR: 'web',
      },
    });
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 8080,
      imageDir: path.join(cwd, 'pics'),
      allowedRoots: ['/srv/photos', path.join(cwd, 'more')],
      corsOrigins: ['http://localhost:5173', 'https://photos.example.com'],
      maxUploadBytes: 1000,
      webDir: path.join(cwd, 'web'),
    });
    expect(effectiveAllowedRoots(config)).toEqual(['/srv/photos', path.join(cwd, 'more')]);
  });

  it.each([
    [{ SIS_PORT: '70000' }, /SIS_PORT must be from 0 to 65535/],
    [{ SIS_PORT: 'http' }, /SIS_PORT must be a whole number/],
    [{ SIS_CORS_ORIGINS: 'http://localhost:5173/' }, /SIS_CORS_ORIGINS each origin must look like/],
    [{ SIS_MAX_UPLOAD_BYTES: '0' }, /SIS_MAX_UPLOAD_BYTES must be at least 1/],
    [{ SIS_LOG_LEVEL: 'loud' }, /SIS_LOG_LEVEL must be one of/],
  ])('rejects %j with a message naming the setting', (env, message) => {
    expect(() => loadConfig({ cwd, env })).toThrow(message);
  });
});
