import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { copyPhotos, runCli, tinyModelEnv } from './helpers/cli';

/** The random-weight tiny CLIP's documented duplicates threshold (README, "Near-duplicates"). */
const THRESHOLD = '0.987';

describe('sis duplicates', () => {
  let work: string;
  let env: NodeJS.ProcessEnv;
  let original: string;
  let copy: string;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-dups-cli-'));
    env = tinyModelEnv(path.join(work, 'data'), { INIT_CWD: work });
    const photos = copyPhotos(path.join(work, 'photos'), 4);
    original = photos[0]!;
    // A byte-identical copy (core's tests cover re-encoded, resized and cropped ones): a tie broken by catalogue order.
    copy = path.join(work, 'photos', 'zz copy.jpg');
    fs.copyFileSync(original, copy);
    expect((await runCli(['reindex', 'photos'], env)).code).toBe(0);
  }, 120_000);
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('prints the groups with the keeper first and leaves every file in place', async () => {
    const run = await runCli(['duplicates', '--threshold', THRESHOLD], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^1 groups of near-duplicates \(2 of 5 images\) at cosine >= 0.987/);
    const rows = run.stdout.split('\n').filter((line) => line.startsWith('  '));
    expect(rows[0]).toMatch(/^ {2}keep .*1000268201_693b08cb0e\.jpg$/);
    expect(rows[1]).toMatch(/^ {2}1\.0000 .*zz copy\.jpg$/);
    expect(run.stdout).toContain('keep: all alike: the first indexed');
    expect(fs.existsSync(original) && fs.existsSync(copy)).toBe(true);
  }, 60_000);

  it('exports JSON and CSV (to stdout or a file)', async () => {
    const json = await runCli(['duplicates', '--threshold', THRESHOLD, '--json'], env);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { threshold: number; groups: { keeper: string; images: { path: string; keep: boolean }[] }[] };
    expect(parsed.threshold).toBe(0.987);
    expect(parsed.groups).toHaveLength(1);
    expect(parsed.groups[0]!.keeper).toBe(original);
    expect(parsed.groups[0]!.images.map((image) => [image.path, image.keep])).toEqual([[original, true], [copy, false]]);

    const csv = await runCli(['duplicates', '--threshold', THRESHOLD, '--csv', '-o', 'dups.csv'], env);
    expect(csv.code).toBe(0);
    expect(csv.stderr).toMatch(/1 groups written to .*dups\.csv/);
    const lines = fs.readFileSync(path.join(work, 'dups.csv'), 'utf8').trimEnd().split('\r\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(new RegExp(`^\\d+,yes,${original.replace(/[.]/g, '\\.')},`));
    expect(lines[2]).toContain(',no,');
  }, 60_000);

  it('refuses a bad threshold or two export formats with a clear message', async () => {
    const bad = await runCli(['duplicates', '--threshold', '1.5'], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/threshold is a cosine similarity above 0 and at most 1/);
    const both = await runCli(['duplicates', '--json', '--csv'], env);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/--json or --csv, not both/);
  }, 60_000);
});
