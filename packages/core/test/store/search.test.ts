import path from 'node:path';
import { InvalidInputError, type ImageLibrary } from '../../src/store';
import { bruteForceTopK, expectSameRanking, makeImage, makeTempDir, openLibrary, randomUnitVector, removeTempDirs, seededRandom } from './helpers';

afterAll(removeTempDirs);

function buildLibrary(dimension: number, count: number, seed: number): { library: ImageLibrary; vectors: Map<string, Float32Array>; random: () => number } {
  const random = seededRandom(seed);
  const library = openLibrary(makeTempDir(), dimension, true);
  const images = Array.from({ length: count }, () => makeImage('/photos', dimension, random));
  // Several batches, as the indexer commits them.
  for (let start = 0; start < images.length; start += 64) {
    library.apply({ upsertIndexed: images.slice(start, start + 64), upsertSkipped: [], removePaths: [] });
  }
  return { library, vectors: new Map(images.map((image) => [image.path, image.embedding])), random };
}

describe('ImageLibrary.search', () => {
  test('returns the exact top-k by cosine, best first (D=16)', () => {
    const { library, vectors, random } = buildLibrary(16, 300, 1);
    for (let q = 0; q < 20; q++) {
      const query = randomUnitVector(16, random);
      for (const k of [1, 5, 37]) expectSameRanking(library.search(query, k), bruteForceTopK(query, vectors, k));
    }
    library.close();
  });

  test('returns the exact top-k at the real CLIP dimension (D=512)', () => {
    const { library, vectors, random } = buildLibrary(512, 500, 2);
    for (let q = 0; q < 10; q++) {
      const query = randomUnitVector(512, random);
      expectSameRanking(library.search(query, 10), bruteForceTopK(query, vectors, 10));
    }
    library.close();
  });

  test('scores are cosines even for a query that is not unit length', () => {
    const { library, vectors, random } = buildLibrary(16, 50, 3);
    const query = randomUnitVector(16, random).map((value) => value * 7.5);
    const hits = library.search(query, 50);
    expectSameRanking(hits, bruteForceTopK(query, vectors, 50));
    for (const hit of hits) {
      expect(hit.score).toBeGreaterThanOrEqual(-1.00001);
      expect(hit.score).toBeLessThanOrEqual(1.00001);
    }
    library.close();
  });

  test('k is clamped to the number of images; k < 1 gives nothing', () => {
    const { library, vectors, random } = buildLibrary(16, 12, 4);
    const query = randomUnitVector(16, random);
    expectSameRanking(library.search(query, 1000), bruteForceTopK(query, vectors, 12));
    expect(library.search(query, 12)).toHaveLength(12);
    expect(library.search(query, 0)).toEqual([]);
    expect(library.search(query, -3)).toEqual([]);
    expect(library.search(query, 2.9)).toHaveLength(2);
    library.close();
  });

  test('an empty library returns [] (writer, and reader of a directory never indexed)', () => {
    const random = seededRandom(5);
    const writer = openLibrary(makeTempDir(), 16, true);
    expect(writer.count()).toBe(0);
    expect(writer.search(randomUnitVector(16, random), 10)).toEqual([]);
    writer.close();

    const neverIndexed = path.join(makeTempDir(), 'not-created-yet');
    const reader = openLibrary(neverIndexed, 16, false);
    expect(reader.count()).toBe(0);
    expect(reader.search(randomUnitVector(16, random), 10)).toEqual([]);
    expect(reader.fileStates().size).toBe(0);
    reader.close();
  });

  test('results carry the catalogue row', () => {
    const random = seededRandom(6);
    const library = openLibrary(makeTempDir(), 16, true);
    const image = makeImage('/photos', 16, random, 'cat.jpg');
    library.apply({ upsertIndexed: [image], upsertSkipped: [], removePaths: [] });
    const [hit] = library.search(image.embedding, 1);
    expect(hit?.image).toEqual({
      id: expect.any(Number),
      path: image.path,
      size: image.size,
      mtimeMs: image.mtimeMs,
      width: image.width,
      height: image.height,
      indexedAt: expect.any(Number),
    });
    expect(library.getById(hit!.image.id)?.path).toBe(image.path);
    library.close();
  });

  test('rejects queries of the wrong dimension, non-finite or all-zero', () => {
    const { library } = buildLibrary(16, 5, 7);
    expect(() => library.search(new Float32Array(15).fill(0.2), 3)).toThrow(InvalidInputError);
    expect(() => library.search(new Float32Array(16).fill(Number.NaN), 3)).toThrow(InvalidInputError);
    expect(() => library.search(new Float32Array(16), 3)).toThrow(/all zeros/);
    library.close();
  });
});
