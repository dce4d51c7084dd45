import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, defaultConfig, loadConfig } from '@sis/core';
import { effectiveAllowedRoots, loadServerConfig } from '../../src/server/config';

describe('loadServerConfig: the API server settings beside the engine settings', () => {
  let cwd: string;
  beforeEach(() => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-config-'));
  });
  afterEach(() => fs.rmSync(cwd, { recursive: true, force: true }));

  it('defaults to loopback, port 4000, the image folder as the only allowed root, and the Vite dev origin', () => {
    const config = loadServerConfig({ env: {}, cwd });
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 4000,
      imageDir: path.join(cwd, 'images'),
      allowedRoots: [],
      corsOrigins: ['http://localhost:5173'],
      maxUploadBytes: 10 * 1024 * 1024,
      webDir: '',
      logLevel: 'info',
      // ...and the engine's, resolved as core resolves them.
      dataDir: path.join(cwd, 'data'),
      batchSize: defaultConfig.batchSize,
      modelDefaulted: true,
    });
    expect(effectiveAllowedRoots(config)).toEqual([path.join(cwd, 'images')]);
  });

  it('reads SIS_HOST, SIS_PORT, SIS_IMAGE_DIR, SIS_ALLOWED_ROOTS (comma-separated, resolved) and SIS_CORS_ORIGINS', () => {
    const config = loadServerConfig({
      cwd,
      env: {
        SIS_HOST: '0.0.0.0',
        SIS_PORT: '8080',
        SIS_IMAGE_DIR: 'pics',
        SIS_ALLOWED_ROOTS: '/srv/photos, more ,',
        SIS_CORS_ORIGINS: 'http://localhost:5173,https://photos.example.com',
        SIS_MAX_UPLOAD_BYTES: '1000',
        SIS_WEB_DIR: 'web',
        SIS_LOG_LEVEL: 'warn',
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
      logLevel: 'warn',
    });
    expect(effectiveAllowedRoots(config)).toEqual(['/srv/photos', path.join(cwd, 'more')]);
  });

  it('reads one sis.config.json holding both, under the same keys; the environment wins', () => {
    fs.writeFileSync(path.join(cwd, 'sis.config.json'), JSON.stringify({ port: 8081, allowedRoots: ['lib'], batchSize: 4, dataDir: 'store' }));
    expect(loadServerConfig({ cwd, env: {} })).toMatchObject({ port: 8081, allowedRoots: [path.join(cwd, 'lib')], batchSize: 4, dataDir: path.join(cwd, 'store') });
    expect(loadServerConfig({ cwd, env: { SIS_PORT: '9000', SIS_BATCH_SIZE: '2' } })).toMatchObject({ port: 9000, batchSize: 2 });
    // The engine alone does not know the server's keys: a program reading only the engine's settings says so.
    expect(() => loadConfig({ cwd, env: {} })).toThrow(/unknown setting\(s\) port, allowedRoots/);
  });

  it('still rejects a misspelt key, listing the server keys among the known ones', () => {
    fs.writeFileSync(path.join(cwd, 'sis.config.json'), JSON.stringify({ prot: 8081 }));
    expect(() => loadServerConfig({ cwd, env: {} })).toThrow(ConfigError);
    expect(() => loadServerConfig({ cwd, env: {} })).toThrow(/unknown setting\(s\) prot; known: .*maxResults.*host, port, imageDir/);
  });

  it.each([
    [{ SIS_PORT: '70000' }, /SIS_PORT must be from 0 to 65535/],
    [{ SIS_PORT: 'http' }, /SIS_PORT must be a whole number/],
    [{ SIS_HOST: ' ' }, /SIS_HOST must not be empty/],
    [{ SIS_CORS_ORIGINS: 'http://localhost:5173/' }, /SIS_CORS_ORIGINS each origin must look like/],
    [{ SIS_MAX_UPLOAD_BYTES: '0' }, /SIS_MAX_UPLOAD_BYTES must be at least 1/],
    [{ SIS_LOG_LEVEL: 'loud' }, /SIS_LOG_LEVEL must be one of/],
  ])('rejects %j with a message naming the setting', (env, message) => {
    expect(() => loadServerConfig({ cwd, env })).toThrow(ConfigError);
    expect(() => loadServerConfig({ cwd, env })).toThrow(message);
  });

  it('names the file and key of a bad server value in the file', () => {
    fs.writeFileSync(path.join(cwd, 'sis.config.json'), JSON.stringify({ maxUploadBytes: -1 }));
    expect(() => loadServerConfig({ cwd, env: {} })).toThrow(/"maxUploadBytes" in .*sis\.config\.json must be at least 1 \(got -1\)/);
    fs.writeFileSync(path.join(cwd, 'sis.config.json'), JSON.stringify({ allowedRoots: ['/srv/photos', ''] }));
    expect(() => loadServerConfig({ cwd, env: {} })).toThrow(/"allowedRoots" in .*sis\.config\.json must not contain empty paths/);
  });
});
