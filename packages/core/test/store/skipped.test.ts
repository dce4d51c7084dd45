import { expectConsistent, makeImage, makeTempDir, openLibrary, removeTempDirs, seededRandom } from './helpers';

afterAll(removeTempDirs);

const D = 16;

describe('skipped files and file states', () => {
  test('skipped rows round-trip and survive a reopen', () => {
    const dataDir = makeTempDir();
    const writer = openLibrary(dataDir, D, true);
    const skipped = [
      { path: '/photos/b.png', size: 10, mtimeMs: 1_700_000_000_123.5, reason: 'corrupt', message: 'PNG: bad IHDR' },
      { path: '/photos/a.tif', size: 20, mtimeMs: 1_700_000_000_456, reason: 'too-large', message: '120 MP is over the 100 MP limit' },
    ];
    writer.apply({ upsertIndexed: [], upsertSkipped: skipped, removePaths: [] });
    writer.close();

    const reader = openLibrary(dataDir, D, false);
    const stored = reader.skipped();
    expect(stored.map(({ path, size, mtimeMs, reason, message }) => ({ path, size, mtimeMs, reason, message }))).toEqual([skipped[1], skipped[0]]);
    for (const file of stored) {
      expect(file.id).toEqual(expect.any(Number));
      expect(file.skippedAt).toEqual(expect.any(Number));
    }
    expect(reader.count()).toBe(0);
    expect(reader.getByPath('/photos/b.png')).toBeUndefined();
    reader.close();
  });

  test('fileStates lists every indexed and skipped file with size, exact mtime and status', () => {
    const random = seededRandom(50);
    const library = openLibrary(makeTempDir(), D, true);
    const images = Array.from({ length: 5 }, () => makeImage('/photos', D, random));
    const bad = { path: '/photos/bad.jpg', size: 7, mtimeMs: 1_700_000_000_000.123, reason: 'corrupt', message: 'x' };
    library.apply({ upsertIndexed: images, upsertSkipped: [bad], removePaths: [] });

    const states = library.fileStates();
    expect(states.size).toBe(6);
    for (const image of images) expect(states.get(image.path)).toEqual({ size: image.size, mtimeMs: image.mtimeMs, status: 'indexed' });
    expect(states.get(bad.path)).toEqual({ size: bad.size, mtimeMs: bad.mtimeMs, status: 'skipped' });

    library.apply({ upsertIndexed: [], upsertSkipped: [], removePaths: [images[0]!.path, bad.path] });
    expect(library.fileStates().has(images[0]!.path)).toBe(false);
    expect(library.fileStates().has(bad.path)).toBe(false);
    expect(library.fileStates().size).toBe(4);
    library.close();
  });

  test('an indexed file that turns bad loses its vector; a skipped file that is fixed gains one', () => {
    const random = seededRandom(51);
    const library = openLibrary(makeTempDir(), D, true);
    const images = Array.from({ length: 6 }, () => makeImage('/photos', D, random));
    library.apply({ upsertIndexed: images, upsertSkipped: [], removePaths: [] });

    const broken = images[2]!;
    library.apply({
      upsertIndexed: [],
      upsertSkipped: [{ path: broken.path, size: broken.size + 1, mtimeMs: broken.mtimeMs + 1, reason: 'corrupt', message: 'truncated' }],
      removePaths: [],
    });
    expect(library.fileStates().get(broken.path)?.status).toBe('skipped');
    expect(library.getByPath(broken.path)).toBeUndefined();
    const expected = new Map(images.filter((image) => image !== broken).map((image) => [image.path, image.embedding]));
    expectConsistent(library, expected);

    const fixed = makeImage('/photos', D, random, broken.path.slice('/photos/'.length));
    library.apply({ upsertIndexed: [fixed], upsertSkipped: [], removePaths: [] });
    expect(library.fileStates().get(broken.path)?.status).toBe('indexed');
    expect(library.skipped()).toEqual([]);
    expected.set(fixed.path, fixed.embedding);
    expectConsistent(library, expected);
    library.close();
  });
});
