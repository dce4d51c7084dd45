import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, defaultConfig, loadConfig, type ConfigSection } from '../../src/config';

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

describe('loadConfig: a program\'s own section', () => {
  let cwd: string;
  beforeEach(() => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-config-'));
  });
  afterEach(() => fs.rmSync(cwd, { recursive: true, force: true }));

  // A stand-in for apps/api's server section: a number and a path, with a finish step.
  const section: ConfigSection<{ widgets: number; widgetDir: string }> = {
    schema: z.object({ widgets: z.coerce.number().int().min(1, { error: 'must be at least 1' }), widgetDir: z.string() }),
    defaults: { widgets: 3, widgetDir: 'w' },
    envNames: { widgets: 'SIS_WIDGETS', widgetDir: 'SIS_WIDGET_DIR' },
    finish: (values, { cwd: dir, isSet }) => ({ ...values, widgetDir: path.resolve(dir, values.widgetDir), ...(isSet('widgets') && { widgets: values.widgets * 10 }) }),
  };

  it('reads the section from the same file and environment, layered the same way, next to the engine\'s settings', () => {
    expect(loadConfig({ cwd, env: {}, extend: section })).toMatchObject({ widgets: 3, widgetDir: path.join(cwd, 'w'), batchSize: defaultConfig.batchSize });
    fs.writeFileSync(path.join(cwd, 'sis.config.json'), JSON.stringify({ widgets: 2, batchSize: 4 }));
    expect(loadConfig({ cwd, env: {}, extend: section })).toMatchObject({ widgets: 20, batchSize: 4 });
    expect(loadConfig({ cwd, env: { SIS_WIDGETS: '5', SIS_WIDGET_DIR: '/abs' }, extend: section })).toMatchObject({ widgets: 50, widgetDir: '/abs', batchSize: 4 });
  });

  it("rejects a file key no section knows, and without the section its keys too; a caller may report them instead", () => {
    fs.writeFileSync(path.join(cwd, 'sis.config.json'), JSON.stringify({ widgets: 2, widgts: 1 }));
    expect(() => loadConfig({ cwd, env: {}, extend: section })).toThrow(/unknown setting\(s\) widgts; known: .*widgets, widgetDir$/);
    expect(() => loadConfig({ cwd, env: {} })).toThrow(/unknown setting\(s\) widgets, widgts;/);
    const reported: string[][] = [];
    expect(loadConfig({ cwd, env: {}, onUnknownKeys: (keys) => reported.push(keys) }).batchSize).toBe(defaultConfig.batchSize);
    expect(reported).toEqual([['widgets', 'widgts']]);
  });

  it('lists every bad value of both sections in one error, each with where it came from', () => {
    fs.writeFileSync(path.join(cwd, 'sis.config.json'), JSON.stringify({ widgets: 0 }));
    expect(() => loadConfig({ cwd, env: { SIS_BATCH_SIZE: '0' }, extend: section })).toThrow(
      /SIS_BATCH_SIZE must be at least 1 \(got "0"\); "widgets" in .*sis\.config\.json must be at least 1 \(got 0\)/,
    );
  });

  it('refuses a section that redefines an engine setting', () => {
    const clash: ConfigSection<{ batchSize: number }> = { schema: z.object({ batchSize: z.number() }), defaults: { batchSize: 1 }, envNames: { batchSize: 'SIS_OTHER' } };
    expect(() => loadConfig({ cwd, env: {}, extend: clash })).toThrow(/Two config sections define the setting "batchSize"/);
  });
});
