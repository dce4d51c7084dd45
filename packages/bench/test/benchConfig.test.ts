import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadBenchConfig } from '../src/config';

describe('loadBenchConfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-bench-config-'));
  });
  afterEach(() => {
    jest.restoreAllMocks();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("reads the engine's settings from a config file made for `sis serve`, naming the keys it does not read", () => {
    const file = path.join(dir, 'sis.config.json');
    fs.writeFileSync(file, JSON.stringify({ batchSize: 3, port: 8080, host: '0.0.0.0' }));
    const notes: string[] = [];
    jest.spyOn(console, 'error').mockImplementation((text: string) => void notes.push(text));
    const config = loadBenchConfig({ config: file, model: '/models/any' }, { INIT_CWD: dir });
    expect(config.batchSize).toBe(3);
    expect(config.model).toBe('/models/any');
    expect(notes).toEqual([expect.stringMatching(/sis\.config\.json sets port, host, which the benchmarks do not read/)]);
  });

  it('still fails on a bad value of an engine setting in the file', () => {
    const file = path.join(dir, 'sis.config.json');
    fs.writeFileSync(file, JSON.stringify({ batchSize: 0 }));
    expect(() => loadBenchConfig({ config: file }, { INIT_CWD: dir })).toThrow(/"batchSize" in .*sis\.config\.json must be at least 1/);
  });
});
