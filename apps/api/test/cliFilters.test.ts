import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { copyPhotos, runCli, tinyModelEnv } from './helpers/cli';

const sharp = createRequire(require.resolve('@sis/core'))('sharp') as (input: { create: { width: number; height: number; channels: 3; background: string } }) => {
  withExif(exif: Record<string, Record<string, string>>): { jpeg(): { toFile(file: string): Promise<unknown> } };
};

/** `sis search` filter and sort flags, on real photos plus camera JPEGs with known EXIF. */
describe('sis search filter flags', () => {
  let work: string;
  let env: NodeJS.ProcessEnv;
  let photos: string;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-cli-filters-'));
    env = tinyModelEnv(path.join(work, 'data'), { INIT_CWD: work });
    photos = path.join(work, 'photos');
    copyPhotos(photos, 3);
    const camera = async (name: string, width: number, height: number, make: string, taken: string) => {
      fs.mkdirSync(path.join(photos, 'cam'), { recursive: true });
      await sharp({ create: { width, height, channels: 3, background: '#884422' } })
        .withExif({ IFD0: { Make: make, Model: `${make} X1` }, IFD2: { DateTimeOriginal: taken } })
        .jpeg()
        .toFile(path.join(photos, 'cam', name));
    };
    await camera('a.jpg', 80, 60, 'Canon', '2016:01:01 12:00:00');
    await camera('b.jpg', 60, 80, 'Fujifilm', '2021:01:01 12:00:00');
    await camera('c.jpg', 70, 50, 'Canon', '2019:01:01 12:00:00');
    const run = await runCli(['reindex', photos], env);
    expect(run.code).toBe(0);
  }, 120_000);
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  const search = async (...flags: string[]) => {
    const run = await runCli(['search', 'a photo', '--json', ...flags], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    return (JSON.parse(run.stdout) as { path: string }[]).map((hit) => path.relative(photos, hit.path));
  };

  it('filters by folder, camera, date, type, orientation and size; sorts by date', async () => {
    expect((await search('--folder', 'cam')).sort()).toEqual(['cam/a.jpg', 'cam/b.jpg', 'cam/c.jpg']);
    expect((await search('--camera', 'canon')).sort()).toEqual(['cam/a.jpg', 'cam/c.jpg']);
    expect((await search('--folder', 'cam', '--from', '2018-06-01', '--to', '2022-01-01')).sort()).toEqual(['cam/b.jpg', 'cam/c.jpg']);
    expect(await search('--folder', 'cam', '--orientation', 'portrait', '--type', 'jpg,png')).toEqual(['cam/b.jpg']);
    expect(await search('--folder', 'cam', '--min-width', '75')).toEqual(['cam/a.jpg']);
    expect(await search('--folder', 'cam', '--sort', 'newest')).toEqual(['cam/b.jpg', 'cam/c.jpg', 'cam/a.jpg']);
    expect(await search('--folder', 'cam', '--sort', 'oldest', '--min-score', '-1', '-k', '2')).toEqual(['cam/a.jpg', 'cam/c.jpg']);
  }, 60_000);

  it.each([
    [['--from', 'last week'], /ISO 8601 date/],
    [['--near', '48.8,2.3'], /LAT,LON,KM/],
    [['--sort', 'random'], /score, newest or oldest/],
    [['--orientation', 'diagonal'], /landscape, portrait or square/],
    [['--from', '2022-01-01', '--to', '2021-01-01'], /--from must be before --to/],
    [['--min-width', '900', '--max-width', '100'], /--min-width is above --max-width/],
  ])('refuses %j with a message', async (flags, message) => {
    const run = await runCli(['search', 'a photo', ...flags], env);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(message);
  });
});
