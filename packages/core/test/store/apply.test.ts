import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { CATALOGUE_FILE_NAME, InvalidInputError, ReadOnlyLibraryError, type IndexedImageInput } from '../../src/store';
import {
  bruteForceTopK,
  expectConsistent,
  expectSameRanking,
  makeImage,
  makeTempDir,
  openLibrary,
  randomUnitVector,
  removeTempDirs,
  seededRandom,
} from './helpers';

afterAll(removeTempDirs);

const D = 16;
const noChanges = { upsertIndexed: [], upsertSkipped: [], removePaths: [] };

describe('ImageLibrary.apply', () => {
  test('upserting a known path replaces its vector and keeps its id', () => {
    const random = seededRandom(10);
    const library = openLibrary(makeTempDir(), D, true);
    const images = Array.from({ length: 20 }, () => makeImage('/photos', D, random));
    library.apply({ ...noChanges, upsertIndexed: images });
    const target = images[7]!;
    const before = library.getByPath(target.path)!;

    const replacement: IndexedImageInput = { ...target, size: target.size + 1, embedding: randomUnitVector(D, random) };
    library.apply({ ...noChanges, upsertIndexed: [replacement] });

    const after = library.getByPath(target.path)!;
    expect(after.id).toBe(before.id);
    expect(after.size).toBe(target.size + 1);
    expect(Array.from(after.embedding)).toEqual(Array.from(replacement.embedding));
    const [best] = library.search(replacement.embedding, 1);
    expect(best?.image.path).toBe(target.path);
    expect(best?.score).toBeCloseTo(1, 5);
    // The old vector is gone: searching it no longer finds the image at score 1.
    const oldHit = library.search(target.embedding, 20).find((hit) => hit.image.path === target.path);
    expect(oldHit?.score).toBeLessThan(0.99);

    const expected = new Map(images.map((image) => [image.path, image.embedding]));
    expected.set(target.path, replacement.embedding);
    expectConsistent(library, expected);
    library.close();
  });

  test('removing keeps the survivors\' ids; removed ids are gone for good', () => {
    const random = seededRandom(11);
    const dataDir = makeTempDir();
    const library = openLibrary(dataDir, D, true);
    const images = Array.from({ length: 10 }, (_, i) => makeImage('/photos', D, random, `p${i}.jpg`));
    library.apply({ ...noChanges, upsertIndexed: images });
    const idsBefore = new Map(images.map((image) => [image.path, library.getByPath(image.path)!.id]));
    library.apply({ ...noChanges, removePaths: [images[0]!.path, images[4]!.path, images[5]!.path, '/photos/never-indexed.jpg'] });

    const survivors = images.filter((_, i) => ![0, 4, 5].includes(i));
    expect(survivors.map((image) => library.getByPath(image.path)?.id)).toEqual(survivors.map((image) => idsBefore.get(image.path)));
    for (const i of [0, 4, 5]) expect(library.getById(idsBefore.get(images[i]!.path)!)).toBeUndefined();
    // A new image never takes a removed id.
    library.apply({ ...noChanges, upsertIndexed: [images[0]!] });
    expect(library.getByPath(images[0]!.path)!.id).toBeGreaterThan(Math.max(...idsBefore.values()));
    expectConsistent(library, new Map([...survivors, images[0]!].map((image) => [image.path, image.embedding])));
    library.close();
  });

  test('many random rounds of add / replace / remove / skip stay exact against brute force', () => {
    const random = seededRandom(12);
    const dataDir = makeTempDir();
    const library = openLibrary(dataDir, D, true);
    // A reader that follows the writer by the change log (refresh() after each commit) must stay exact too.
    const follower = openLibrary(dataDir, D, false);
    const expected = new Map<string, Float32Array>();
    const known = new Set<string>();
    let nextName = 0;
    const pick = (from: readonly string[], count: number): string[] => {
      const pool = [...from];
      const chosen: string[] = [];
      while (chosen.length < count && pool.length > 0) chosen.push(pool.splice(Math.floor(random() * pool.length), 1)[0]!);
      return chosen;
    };

    for (let round = 0; round < 60; round++) {
      const paths = [...known];
      const removePaths = pick(paths, Math.floor(random() * 6));
      const rest = paths.filter((p) => !removePaths.includes(p));
      const replacePaths = pick(rest, Math.floor(random() * 4));
      const skipPaths = pick(rest.filter((p) => !replacePaths.includes(p)), Math.floor(random() * 2));
      const newImages = Array.from({ length: Math.floor(random() * 12) }, () => makeImage('/photos', D, random, `r${nextName++}.jpg`));
      const replacements = replacePaths.map((p) => makeImage('/photos', D, random, path.basename(p)));
      const upsertIndexed = [...replacements, ...newImages].sort(() => random() - 0.5);
      const upsertSkipped = skipPaths.map((p) => ({ path: p, size: 1, mtimeMs: 2, reason: 'corrupt', message: 'bad header' }));

      library.apply({ upsertIndexed, upsertSkipped, removePaths });

      for (const p of [...removePaths, ...skipPaths]) expected.delete(p);
      for (const p of removePaths) known.delete(p);
      for (const image of upsertIndexed) {
        expected.set(image.path, image.embedding);
        known.add(image.path);
      }
      const query = randomUnitVector(D, random);
      expectSameRanking(library.search(query, 15), bruteForceTopK(query, expected, 15));
      const behind = library.stats().generation !== follower.stats().indexGeneration;
      expect(follower.refresh()).toBe(behind);
      expect(follower.stats().indexGeneration).toBe(library.stats().generation);
      expectSameRanking(follower.search(query, 15), bruteForceTopK(query, expected, 15));
    }
    expectConsistent(library, expected);
    expectConsistent(follower, expected);
    follower.close();

    // And the same after a reopen (from the saved file) and after a rebuild from the catalogue.
    library.close();
    const reopened = openLibrary(dataDir, D, false);
    expect(reopened.stats().index.loadedFrom).toBe('file');
    expectConsistent(reopened, expected);
    reopened.close();
    fs.rmSync(path.join(dataDir, 'image_index.json'));
    const rebuilt = openLibrary(dataDir, D, false);
    expect(rebuilt.stats().index.loadedFrom).toBe('catalogue');
    expectConsistent(rebuilt, expected);
    rebuilt.close();
  });

  test('a batch that touches only skipped files does not change the generation', () => {
    const random = seededRandom(13);
    const library = openLibrary(makeTempDir(), D, true);
    library.apply({ ...noChanges, upsertIndexed: [makeImage('/photos', D, random)] });
    const generation = library.stats().generation;
    library.apply({ ...noChanges, upsertSkipped: [{ path: '/photos/bad.png', size: 5, mtimeMs: 6, reason: 'corrupt', message: 'x' }] });
    expect(library.stats().generation).toBe(generation);
    library.apply({ ...noChanges, removePaths: ['/photos/bad.png'] });
    expect(library.stats().generation).toBe(generation);
    library.close();
  });

  test('invalid batches are rejected whole, leaving catalogue and index untouched', () => {
    const random = seededRandom(14);
    const library = openLibrary(makeTempDir(), D, true);
    const good = makeImage('/photos', D, random);
    library.apply({ ...noChanges, upsertIndexed: [good] });
    const statsBefore = library.stats();

    const other = makeImage('/photos', D, random);
    const invalid: [string, Parameters<typeof library.apply>[0]][] = [
      ['wrong dimension', { ...noChanges, upsertIndexed: [other, { ...makeImage('/photos', D, random), embedding: randomUnitVector(D + 1, random) }] }],
      ['not normalised', { ...noChanges, upsertIndexed: [other, { ...makeImage('/photos', D, random), embedding: new Float32Array(D).fill(1) }] }],
      ['NaN', { ...noChanges, upsertIndexed: [other, { ...makeImage('/photos', D, random), embedding: new Float32Array(D).fill(Number.NaN) }] }],
      ['relative path', { ...noChanges, upsertIndexed: [other, { ...makeImage('/photos', D, random), path: 'photos/a.jpg' }] }],
      ['duplicate path', { ...noChanges, upsertIndexed: [other], removePaths: [other.path] }],
      ['bad size', { ...noChanges, upsertIndexed: [other, { ...makeImage('/photos', D, random), size: -1 }] }],
      ['no skip reason', { ...noChanges, upsertIndexed: [other], upsertSkipped: [{ path: '/photos/x.png', size: 1, mtimeMs: 1, reason: '', message: '' }] }],
    ];
    for (const [what, changes] of invalid) {
      expect(() => library.apply(changes)).toThrow(InvalidInputError);
      expect(library.stats()).toEqual(statsBefore);
      expect(library.count()).toBe(1);
      expect(library.getByPath(other.path)).toBeUndefined();
      void what;
    }
    expectConsistent(library, new Map([[good.path, good.embedding]]));
    library.close();
  });

  test('a failure inside the transaction, after some of its rows were written, rolls the whole checkpoint back', () => {
    const random = seededRandom(16);
    const dataDir = makeTempDir();
    const library = openLibrary(dataDir, D, true);
    const kept = [makeImage('/photos', D, random), makeImage('/photos', D, random)];
    library.apply({ ...noChanges, upsertIndexed: kept });
    const statsBefore = library.stats();
    // A trigger fails the 3rd insert of the next batch: SQLite has already removed a row and inserted two.
    const poison = { ...makeImage('/photos', D, random), path: '/photos/poison.jpg' };
    const db = new Database(path.join(dataDir, CATALOGUE_FILE_NAME));
    db.exec(`CREATE TRIGGER fail_poison BEFORE INSERT ON images WHEN NEW.path = '/photos/poison.jpg' BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
    const batch = [makeImage('/photos', D, random), makeImage('/photos', D, random), poison, makeImage('/photos', D, random)];
    db.close();
    expect(() =>
      library.apply({
        ...noChanges,
        upsertIndexed: batch,
        upsertSkipped: [{ path: '/photos/bad.png', size: 5, mtimeMs: 6, reason: 'corrupt', message: 'x' }],
        removePaths: [kept[0]!.path],
      }),
    ).toThrow('injected failure');
    // Nothing of the batch: the removed row is back, none of the inserts stayed, the generation did not move.
    const check = (reader: typeof library) => {
      expect(reader.count()).toBe(2);
      for (const image of batch) expect(reader.getByPath(image.path)).toBeUndefined();
      expect(reader.getByPath(kept[0]!.path)).toBeDefined();
      expect(reader.fileStates().has('/photos/bad.png')).toBe(false);
      expectConsistent(reader, new Map(kept.map((image) => [image.path, image.embedding])));
    };
    expect(library.stats()).toEqual(statsBefore);
    check(library);
    library.close();
    const reopened = openLibrary(dataDir, D, false);
    check(reopened);
    const db2 = new Database(path.join(dataDir, CATALOGUE_FILE_NAME), { readonly: true });
    expect(db2.prepare("SELECT COUNT(*) AS n FROM images WHERE status = 'indexed'").get()).toEqual({ n: 2 });
    db2.close();
    reopened.close();
  });

  test('readers cannot write', () => {
    const random = seededRandom(15);
    const dataDir = makeTempDir();
    openLibrary(dataDir, D, true).close();
    const reader = openLibrary(dataDir, D, false);
    expect(() => reader.apply({ ...noChanges, upsertIndexed: [makeImage('/photos', D, random)] })).toThrow(ReadOnlyLibraryError);
    expect(() => reader.checkpoint()).toThrow(ReadOnlyLibraryError);
    expect(() => reader.recordReindex()).toThrow(ReadOnlyLibraryError);
    reader.close();
  });

  test('a closed library refuses further use; close is idempotent', () => {
    const library = openLibrary(makeTempDir(), D, true);
    library.close();
    library.close();
    expect(() => library.count()).toThrow(/closed/);
  });
});
