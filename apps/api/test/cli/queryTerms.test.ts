import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { describeTerms, parseWeighted, toQueryTerms } from '../../src/cli/queryTerms';
import { copyPhotos, runCli, tinyModelEnv } from '../helpers/cli';

describe('search term flags: [WEIGHT:]VALUE', () => {
  it.each<[string, number, string]>([
    ['snow', 1, 'snow'],
    ['2:snow', 2, 'snow'],
    ['0.5:a dog: running', 0.5, 'a dog: running'],
    ['-1.5:people', -1.5, 'people'],
    ['1e-1:x', 0.1, 'x'],
    ['.25:x', 0.25, 'x'],
    ['time: 10:30', 1, 'time: 10:30'],
    ['1:2:30 pm', 1, '2:30 pm'],
  ])('%p is weight %p of %p', (raw, weight, value) => {
    expect(parseWeighted(raw, 'text', 1)).toEqual({ kind: 'text', weight, value });
    expect(parseWeighted(raw, 'text', -1).weight).toBe(-weight);
  });

  it.each([
    ['0:snow', /finite number other than 0 \(got 0\)/],
    ['2:', /nothing after the weight: write WEIGHT:TEXT/],
    ['1e999:x', /finite number other than 0/],
  ])('refuses %p', (raw, message) => {
    expect(() => parseWeighted(raw, 'text', 1)).toThrow(InvalidArgumentError);
    expect(() => parseWeighted(raw, 'text', 1)).toThrow(message);
  });

  it('describes the query for the results header', () => {
    const flags = [parseWeighted('2:snow', 'text', 1), parseWeighted('people', 'text', -1), parseWeighted('0.5:./pool.jpg', 'image', -1)];
    expect(describeTerms('golden retriever', flags)).toBe('"golden retriever" + 2 × "snow" − "people" − 0.5 × ./pool.jpg');
    expect(describeTerms('', [parseWeighted('people', 'text', -1)])).toBe('− "people"');
  });

  it('takes an indexed file as that indexed image, any other file as an image to embed, a missing one as an error', () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-terms-'));
    try {
      const [indexed, other] = copyPhotos(work, 2);
      const terms = toQueryTerms('a dog', [parseWeighted(indexed!, 'image', 1), parseWeighted(`2:${other!}`, 'image', -1)], (file) => (file === fs.realpathSync(indexed!) ? 7 : undefined));
      expect(terms).toEqual([
        { kind: 'text', text: 'a dog', weight: 1 },
        { kind: 'indexed', id: 7, weight: 1 },
        { kind: 'image', image: other, name: other, weight: -2 },
      ]);
      expect(() => toQueryTerms('', [parseWeighted(path.join(work, 'nope.jpg'), 'image', 1)], () => undefined)).toThrow(/Image not found: .*nope\.jpg/);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('sis search with term flags', () => {
  let work: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-cli-terms-'));
    env = tinyModelEnv(path.join(work, 'data'), { INIT_CWD: work });
    copyPhotos(path.join(work, 'photos'), 5);
    expect((await runCli(['reindex', 'photos'], env)).code).toBe(0);
  }, 120_000);
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('prints the composite query and its results', async () => {
    const photo = fs.readdirSync(path.join(work, 'photos')).sort()[0]!;
    const run = await runCli(['search', 'golden retriever', '--add', '2:snow', '--subtract', 'people', '--add-image', `photos/${photo}`, '-k', '3'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^3 results for "golden retriever" \\+ 2 × "snow" − "people" \\+ photos/${photo} in \\d+ ms \\(of 5 images\\)`));
    expect(run.stdout).not.toContain(`/${photo}\n`);
  }, 60_000);

  it.each<[string[], RegExp]>([
    [['search', '--add', '0:snow'], /argument '0:snow' is invalid\. the weight must be a finite number other than 0/],
    [['search', 'snow', '--subtract', 'snow'], /^error: The terms cancel out/],
    [['search', 'a dog', '--add-image', 'missing.jpg'], /Image not found: .*missing\.jpg/],
    [['search', '--image', 'photos', '--add', 'snow'], /--image searches by one example image alone/],
    [['search', '--subtract-image', 'photos/../data'], /^error: term 1 \(image photos\/\.\.\/data\): /],
  ])('%j fails with a one-line error', async (args, message) => {
    const run = await runCli(args, env);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  }, 60_000);
});
