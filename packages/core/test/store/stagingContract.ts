import type { Catalogue } from '../../src/store/catalogue';
import { ImageLibrary, ModelSwitchedError, NoStagedModelError } from '../../src/store';
import { makeImage, makeTempDir, randomUnitVector, seededRandom } from './helpers';

/**
 * The model switch (catalogue migration 4), part of the catalogue contract: another model's vectors are staged
 * beside the library's, searched by no one, and swapped in by one commit.
 */
const D = 8;
const NEW_D = 5;
const MODEL = { modelName: 'test/contract', dimension: D };
const NEXT = { modelName: 'test/next-model', dimension: NEW_D, precision: 'fp32' };

export function describeModelStagingContract(setUp: () => { open(writable: boolean): Catalogue }): void {
  test('a staged model: built beside the library, resumed, and swapped in by one commit; changed files are forgotten', () => {
    const store = setUp();
    const catalogue = store.open(true);
    catalogue.initialise(MODEL);
    const random = seededRandom(11);
    const images = Array.from({ length: 6 }, () => makeImage('/photos', D, random));
    const ids = catalogue.apply({ upsertIndexed: images, upsertSkipped: [{ path: '/photos/bad.jpg', size: 1, mtimeMs: 1, reason: 'corrupt', message: 'no' }], removePaths: [] }, 1).appendedIds;
    const staging = catalogue.staging;
    expect(staging.stagedModel()).toBeUndefined();
    expect(() => staging.completeStaging()).toThrow(NoStagedModelError);

    expect(staging.beginStaging(NEXT, 100)).toEqual({ ...NEXT, startedAt: 100, staged: 0, remaining: 6 });
    const targets = staging.unstagedImages(-1, 4);
    expect(targets).toEqual(images.slice(0, 4).map((image, i) => ({ id: ids[i], path: image.path, size: image.size, mtimeMs: image.mtimeMs })));
    const vectorOf = new Map<number, Float32Array>();
    const stage = (rows: typeof targets) => {
      const vectors = rows.map((row) => ({ ...row, embedding: randomUnitVector(NEW_D, random) }));
      for (const v of vectors) vectorOf.set(v.id, v.embedding);
      staging.stageVectors(vectors);
    };
    stage(targets);
    expect(() => staging.stageVectors([{ ...targets[0]!, embedding: randomUnitVector(D, random) }])).toThrow(/5/);
    // Beginning the same model again resumes; the old vectors are untouched meanwhile.
    expect(store.open(true).staging.beginStaging(NEXT, 200)).toMatchObject({ startedAt: 100, staged: 4, remaining: 2 });
    expect(staging.unstagedImages(-1, 10).map((t) => t.id)).toEqual(ids.slice(4));
    expect(Array.from(catalogue.getStoredImage({ id: ids[0]! }, D)!.embedding)).toEqual(Array.from(images[0]!.embedding));
    expect(catalogue.readMeta()).toMatchObject(MODEL);

    // A file re-embedded by the old model meanwhile is staged again; a removed one leaves the staging too.
    catalogue.apply({ upsertIndexed: [{ ...makeImage('/photos', D, random), path: images[1]!.path, size: 999 }], upsertSkipped: [], removePaths: [images[2]!.path] }, 2);
    expect(staging.stagedModel()).toMatchObject({ staged: 2, remaining: 3 });
    expect(staging.unstagedImages(-1, 10).map((t) => t.id)).toEqual([ids[1], ids[4], ids[5]]);
    stage(staging.unstagedImages(-1, 10).filter((t) => t.id !== ids[5]));

    const generation = catalogue.readMeta()!.generation;
    const completed = staging.completeStaging();
    expect(completed).toEqual({
      previous: { ...MODEL, precision: 'fp32' },
      model: NEXT,
      generation: generation + 1,
      indexedCount: 4,
      forgotten: [images[5]!.path],
    });
    const reader = store.open(false);
    expect(reader.readMeta()).toMatchObject({ ...NEXT, generation: generation + 1 });
    expect(reader.staging.stagedModel()).toBeUndefined();
    expect(reader.indexedIds()).toEqual([ids[0], ids[1], ids[3], ids[4]]);
    for (const id of reader.indexedIds()) expect(Array.from(reader.getStoredImage({ id }, NEW_D)!.embedding)).toEqual(Array.from(vectorOf.get(id)!));
    // Skipped files stay; the change log starts again (a follower rebuilds).
    expect(reader.skippedCountsByReason()).toEqual({ corrupt: 1 });
    expect(reader.changesSince(generation, NEW_D)).toBeUndefined();
    expect(reader.changesSince(generation + 1, NEW_D)).toMatchObject({ removedIds: [], upserted: { ids: [] } });
  });

  test('a switch to another model discards the staged one; discardStaging leaves the library as it was', () => {
    const catalogue = setUp().open(true);
    catalogue.initialise(MODEL);
    const random = seededRandom(12);
    catalogue.apply({ upsertIndexed: [makeImage('/p', D, random)], upsertSkipped: [], removePaths: [] }, 1);
    const [target] = catalogue.staging.unstagedImages(-1, 1);
    catalogue.staging.beginStaging(NEXT, 1);
    catalogue.staging.stageVectors([{ ...target!, embedding: randomUnitVector(NEW_D, random) }]);
    expect(catalogue.staging.beginStaging({ ...NEXT, precision: 'int8' }, 2)).toMatchObject({ precision: 'int8', startedAt: 2, staged: 0, remaining: 1 });
    catalogue.staging.discardStaging();
    expect(catalogue.staging.stagedModel()).toBeUndefined();
    expect(catalogue.readMeta()).toMatchObject(MODEL);
  });

  test('ImageLibrary: searches answer with the old vectors until the switch completes, then with the new; a follower is told', () => {
    const store = setUp();
    const library = ImageLibrary.openCatalogue(store.open(true), makeTempDir(), { ...MODEL, writable: true });
    const follower = ImageLibrary.openCatalogue(store.open(false), makeTempDir(), { ...MODEL, writable: false });
    try {
      const random = seededRandom(13);
      const images = Array.from({ length: 5 }, () => makeImage('/p', D, random));
      library.apply({ upsertIndexed: images, upsertSkipped: [], removePaths: [] });
      library.beginModelSwitch(NEXT);
      const staged = library.unstagedImages(-1, 10).map((row) => ({ ...row, embedding: randomUnitVector(NEW_D, random) }));
      library.stageVectors(staged);
      expect(library.stats().modelSwitch).toMatchObject({ modelName: NEXT.modelName, staged: 5, remaining: 0 });
      expect(library.search(images[3]!.embedding, 1)[0]).toMatchObject({ image: { path: images[3]!.path } });
      follower.refresh();
      expect(follower.search(images[3]!.embedding, 1)[0]?.image.path).toBe(images[3]!.path);

      library.completeModelSwitch();
      expect(library.modelName).toBe(NEXT.modelName);
      expect(library.dimension).toBe(NEW_D);
      expect(library.count()).toBe(5);
      const hit = library.search(staged[2]!.embedding, 1)[0]!;
      expect(hit.image.path).toBe(staged[2]!.path);
      expect(hit.score).toBeCloseTo(1, 5);
      expect(() => library.search(images[0]!.embedding, 1)).toThrow(/dimension/);
      expect(library.stats()).toMatchObject({ modelName: NEXT.modelName, dimension: NEW_D, modelSwitch: null, indexedImages: 5 });
      expect(() => follower.refresh()).toThrow(ModelSwitchedError);
    } finally {
      library.close();
      follower.close();
    }
  });
}
