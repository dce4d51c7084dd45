import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const cli = path.resolve(__dirname, '../dist/cli.js');
const shared = process.env.SIS_SHARED_DIR ?? path.resolve(__dirname, '../../../../shared');
const tinyModel = path.join(shared, 'models/clip-tiny-random');
const photosDir = path.join(shared, 'datasets/flickr8k-photos-500/images');

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function runCli(args: string[], env: NodeJS.ProcessEnv, cwd = os.tmpdir()): Promise<CliRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, ...args], { env: { PATH: process.env.PATH, ...env }, cwd });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('sis command line', () => {
  let work: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-cli-'));
    env = { SIS_DATA_DIR: path.join(work, 'data'), SIS_MODEL: tinyModel, SIS_OFFLINE: '1', INIT_CWD: work };
    const photos = path.join(work, 'photos');
    fs.mkdirSync(photos);
    for (const name of fs.readdirSync(photosDir).sort().slice(0, 6)) fs.copyFileSync(path.join(photosDir, name), path.join(photos, name));
    fs.writeFileSync(path.join(photos, 'not-an-image.jpg'), 'plain text');
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('answers an empty index with an empty JSON array and a hint on stderr', async () => {
    const run = await runCli(['search', '--json', 'a dog'], env);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([]);
    expect(run.stderr).toMatch(/index is empty/);
  }, 60_000);

  it('reindexes a folder given relative to where the user typed it, and prints a summary with skip reasons', async () => {
    const run = await runCli(['reindex', 'photos'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/embedded: +6/);
    expect(run.stdout).toMatch(/skipped: +1/);
    expect(run.stdout).toContain(`skipped ${path.join(work, 'photos', 'not-an-image.jpg')}:`);
    expect(run.stdout).toMatch(/\d+(\.\d)? images\/s/);
  }, 120_000);

  it('prints exactly one JSON array of {path, score, ...metadata} for search --json, best first', async () => {
    const run = await runCli(['search', 'a', 'dog', 'in', 'snow', '-k', '4', '--json'], env);
    expect(run.code).toBe(0);
    const results = JSON.parse(run.stdout) as { path: string; score: number }[];
    expect(results).toHaveLength(4);
    for (const result of results) {
      expect(Object.keys(result).sort()).toEqual(['cameraMake', 'cameraModel', 'fileType', 'height', 'latitude', 'longitude', 'path', 'score', 'takenAt', 'width']);
      expect(result).toMatchObject({ fileType: 'jpeg', width: expect.any(Number), height: expect.any(Number) });
      expect(path.isAbsolute(result.path)).toBe(true);
    }
    const scores = results.map((result) => result.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  }, 60_000);

  it('searches by an example image: the image itself comes first', async () => {
    const example = path.join(work, 'photos', fs.readdirSync(photosDir).sort()[2]!);
    const run = await runCli(['search', '--image', example, '--json', '-k', '2'], env);
    expect(run.code).toBe(0);
    const [best] = JSON.parse(run.stdout) as { path: string; score: number }[];
    expect(best!.path).toBe(example);
    expect(best!.score).toBeCloseTo(1, 4);
  }, 60_000);

  it('embeds nothing on a second reindex of the same folder', async () => {
    const run = await runCli(['reindex', path.join(work, 'photos')], env);
    expect(run.stdout).toMatch(/embedded: +0/);
    expect(run.stdout).toMatch(/unchanged: 6/);
    expect(run.stdout).toMatch(/\+1 skipped before and unchanged/);
  }, 60_000);

  it.each([
    [['reindex', 'no-such-folder'], 1, /error: Folder not found: .*no-such-folder/],
    [['reindex'], 2, /missing required argument 'dir'/],
    [['search', 'cats', '-k', 'ten'], 2, /k must be a whole number/],
    [['search', 'cats', '-k', '0'], 2, /k must be a whole number/],
    [['search', 'cats', '-k', '100000'], 1, /k must be a whole number from 1 to 1000/],
    [['search'], 1, /Nothing to search for/],
    [['search', '--image', 'missing.jpg'], 1, /Image not found: .*missing\.jpg/],
    [['frobnicate'], 2, /unknown command 'frobnicate'/],
  ])('rejects %j with exit code %i and a clear message', async (args, code, message) => {
    const run = await runCli(args, env);
    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  }, 60_000);

  it('explains how to get a hub model that is not cached when offline', async () => {
    const run = await runCli(['search', 'cats'], { ...env, SIS_MODEL: 'Xenova/clip-vit-base-patch32', SIS_DATA_DIR: path.join(work, 'empty') });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Model Xenova\/clip-vit-base-patch32 is not in the local cache .*empty\/models and SIS_OFFLINE=1 forbids downloading it/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects an invalid setting at start, naming it', async () => {
    const run = await runCli(['search', 'cats'], { ...env, SIS_DEVICE: 'tpu' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/SIS_DEVICE must be one of auto, cpu, cuda/);
  });

  it('reads one config file with the engine\'s and the server\'s keys in every command, and names a key neither knows', async () => {
    const file = path.join(work, 'both.json');
    fs.writeFileSync(file, JSON.stringify({ port: 4123, corsOrigins: ['http://localhost:5173'], maxResults: 5, dataDir: path.join(work, 'data') }));
    const ok = await runCli(['--config', file, 'search', '--json', '-k', '6', 'a dog'], env);
    expect(ok.stderr).toMatch(/k must be a whole number from 1 to 5 \(got 6\)/); // the file's engine setting applied
    fs.writeFileSync(file, JSON.stringify({ port: 4123, corsOrigns: [] }));
    const typo = await runCli(['--config', file, 'search', 'cats'], env);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/both\.json: unknown setting\(s\) corsOrigns; known: .*corsOrigins/);
    fs.writeFileSync(file, JSON.stringify({ port: 99999 }));
    const bad = await runCli(['--config', file, 'search', 'cats'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/"port" in .*both\.json must be from 0 to 65535 \(got 99999\)/);
  });
});
