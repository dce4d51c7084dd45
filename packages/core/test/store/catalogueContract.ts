import type { Catalogue, CatalogueChanges } from '../../src/store/catalogue';
import { ImageLibrary } from '../../src/store';
import { describeModelStagingContract } from './stagingContract';
import { bruteForceTopK, expectConsistent, expectSameRanking, makeImage, makeTempDir, randomUnitVector, seededRandom } from './helpers';

/**
 * One contract, every Catalogue implementation (SQLite, PostgreSQL): the same batches must give the same
 * rows, ids, generations and change log. Each backend's test file calls describeCatalogueContract with a
 * factory of fresh, empty catalogues.
 */
export interface CatalogueBackend {
  /** A new, empty catalogue store: opens it for writing, and can open more connections to the same one. */
  fresh(): { open(writable: boolean): Catalogue; makeSchemaNewer(): void };
}

const D = 8;
const MODEL = { modelName: 'test/contract', dimension: D };
const none: CatalogueChanges = { upsertIndexed: [], upsertSkipped: [], removePaths: [] };

export function describeCatalogueContract(name: string, backend: CatalogueBackend): void {
  describe(`Catalogue contract: ${name}`, () => {
    const opened: Catalogue[] = [];
    const setUp = () => {
      const store = backend.fresh();
      const open = (writable: boolean) => {
        const catalogue = store.open(writable);
        opened.push(catalogue);
        return catalogue;
      };
      return { ...store, open };
    };
    afterEach(() => {
      for (const catalogue of opened.splice(0)) catalogue.close();
    });

    test('initialise records the first writer\'s model once; readers see it', () => {
      const store = setUp();
      const writer = store.open(true);
      const meta = writer.initialise(MODEL);
      expect(meta).toMatchObject({ ...MODEL, precision: 'fp32', generation: 0, lastReindexAt: null, catalogueId: expect.any(String) });
      expect(writer.initialise({ modelName: 'other', dimension: 3 })).toEqual(meta);
      expect(store.open(false).readMeta()).toEqual(meta);
    });

    test('the precision of the first writer is recorded', () => {
      const writer = setUp().open(true);
      expect(writer.initialise({ ...MODEL, precision: 'vision=int8,text=fp32' }).precision).toBe('vision=int8,text=fp32');
      expect(writer.readMeta()?.precision).toBe('vision=int8,text=fp32');
    });

    test('a batch is stored whole: rows, exact vectors, ids, one generation', () => {
      const store = setUp();
      const catalogue = store.open(true);
      catalogue.initialise(MODEL);
      const random = seededRandom(1);
      const images = Array.from({ length: 30 }, () => makeImage('/photos', D, random));
      const committed = catalogue.apply({ ...none, upsertIndexed: images, upsertSkipped: [{ path: '/photos/bad.jpg', size: 3, mtimeMs: 4.5, reason: 'corrupt', message: 'no' }] }, 1234);
      expect(committed).toMatchObject({ previousGeneration: 0, generation: 1, removedIds: [], indexedCount: 30 });
      expect(new Set(committed.appendedIds).size).toBe(30);
      images.forEach((image, i) => {
        const stored = catalogue.getStoredImage({ path: image.path }, D)!;
        expect(stored).toMatchObject({ id: committed.appendedIds[i], path: image.path, size: image.size, mtimeMs: image.mtimeMs, width: image.width, height: image.height, indexedAt: 1234 });
        expect(Array.from(stored.embedding)).toEqual(Array.from(image.embedding));
        expect(catalogue.getStoredImage({ id: stored.id }, D)?.path).toBe(image.path);
      });
      expect(catalogue.countIndexed()).toBe(30);
      expect(catalogue.indexedIds()).toEqual([...committed.appendedIds].sort((a, b) => a - b));
      const chunk = catalogue.embeddingChunk(-1, 7, D);
      expect(chunk.ids).toEqual(catalogue.indexedIds().slice(0, 7));
      const wanted = [committed.appendedIds[5]!, 999_999, committed.appendedIds[2]!];
      const byIds = catalogue.embeddingsByIds(wanted, D);
      expect(byIds.ids).toEqual([committed.appendedIds[5], committed.appendedIds[2]]);
      expect(Array.from(byIds.vectors.subarray(D, 2 * D))).toEqual(Array.from(images[2]!.embedding));
      const rowChunk = catalogue.indexedImagesChunk(chunk.ids[2]!, 5);
      expect(rowChunk.map((row) => row.id)).toEqual(catalogue.indexedIds().slice(3, 8));
      expect(rowChunk[0]).toEqual(catalogue.getImagesByIds([chunk.ids[3]!]).get(chunk.ids[3]!));
      expect([...catalogue.getImagesByIds(wanted).keys()].sort()).toEqual([committed.appendedIds[2], committed.appendedIds[5]].sort());
      expect(catalogue.fileStates().get('/photos/bad.jpg')).toEqual({ size: 3, mtimeMs: 4.5, status: 'skipped' });
      expect(catalogue.fileStates().get(images[0]!.path)).toEqual({ size: images[0]!.size, mtimeMs: images[0]!.mtimeMs, status: 'indexed' });
      expect(catalogue.skipped()).toEqual([{ id: expect.any(Number), path: '/photos/bad.jpg', size: 3, mtimeMs: 4.5, reason: 'corrupt', message: 'no', skippedAt: 1234 }]);
      expect(catalogue.skippedCountsByReason()).toEqual({ corrupt: 1 });
      // Another connection sees the commit.
      expect(store.open(false).countIndexed()).toBe(30);
    });

    test('file identity (device, inode) is stored with indexed and skipped rows, and recorded for unchanged files without a new generation', () => {
      const catalogue = setUp().open(true);
      catalogue.initialise(MODEL);
      const random = seededRandom(7);
      const image = { ...makeImage('/p', D, random, 'a.jpg'), device: '2049', inode: '18446744073709551615' };
      const plain = makeImage('/p', D, random, 'b.jpg');
      catalogue.apply({ upsertIndexed: [image, plain], upsertSkipped: [{ path: '/p/bad.jpg', size: 1, mtimeMs: 1, reason: 'corrupt', message: 'x', device: '1', inode: '7' }], removePaths: [] }, 1);
      expect(catalogue.getStoredImage({ path: image.path }, D)).toMatchObject({ device: '2049', inode: '18446744073709551615' });
      expect(catalogue.fileStates().get('/p/bad.jpg')).toMatchObject({ status: 'skipped', device: '1', inode: '7' });
      expect(catalogue.fileStates().get(plain.path)).toEqual({ size: plain.size, mtimeMs: plain.mtimeMs, status: 'indexed' });
      catalogue.recordFileIdentities([{ path: plain.path, device: '3', inode: '4' }]);
      expect(catalogue.getStoredImage({ path: plain.path }, D)).toMatchObject({ device: '3', inode: '4', size: plain.size });
      expect(catalogue.readMeta()?.generation).toBe(1);
    });

    test('a retried batch never duplicates a row: same ids, same count', () => {
      const catalogue = setUp().open(true);
      catalogue.initialise(MODEL);
      const random = seededRandom(2);
      const batch = { ...none, upsertIndexed: Array.from({ length: 10 }, () => makeImage('/photos', D, random)) };
      const first = catalogue.apply(batch, 1);
      const again = catalogue.apply(batch, 2);
      expect(again.appendedIds).toEqual(first.appendedIds);
      expect(again.removedIds.sort()).toEqual([...first.appendedIds].sort());
      expect(catalogue.countIndexed()).toBe(10);
      expect(catalogue.fileStates().size).toBe(10);
    });

    test('replace keeps the id, skip and remove drop the vector, ids are never reused, skipped-only batches keep the generation', () => {
      const catalogue = setUp().open(true);
      catalogue.initialise(MODEL);
      const random = seededRandom(3);
      const [a, b, c] = [makeImage('/p', D, random, 'a.jpg'), makeImage('/p', D, random, 'b.jpg'), makeImage('/p', D, random, 'c.jpg')];
      const ids = catalogue.apply({ ...none, upsertIndexed: [a, b, c] }, 1).appendedIds;
      const replaced = { ...a, embedding: randomUnitVector(D, random) };
      const step = catalogue.apply(
        { upsertIndexed: [replaced], upsertSkipped: [{ path: b.path, size: 1, mtimeMs: 1, reason: 'too-large', message: 'big' }], removePaths: [c.path, '/p/unknown.jpg'] },
        2,
      );
      expect(step).toMatchObject({ previousGeneration: 1, generation: 2, appendedIds: [ids[0]], indexedCount: 1 });
      expect(step.removedIds.sort()).toEqual([...ids].sort());
      expect(Array.from(catalogue.getStoredImage({ id: ids[0]! }, D)!.embedding)).toEqual(Array.from(replaced.embedding));
      expect(catalogue.getStoredImage({ path: b.path }, D)).toBeUndefined();
      expect(catalogue.getStoredImage({ path: c.path }, D)).toBeUndefined();
      const readded = catalogue.apply({ ...none, upsertIndexed: [c] }, 3).appendedIds[0]!;
      expect(readded).toBeGreaterThan(Math.max(...ids));
      const skippedOnly = catalogue.apply({ ...none, upsertSkipped: [{ path: '/p/new-bad.jpg', size: 1, mtimeMs: 1, reason: 'corrupt', message: 'x' }] }, 4);
      expect(skippedOnly).toMatchObject({ previousGeneration: 3, generation: 3, removedIds: [], appendedIds: [] });
      expect(catalogue.skippedCountsByReason()).toEqual({ corrupt: 1, 'too-large': 1 });
    });

    test('a batch that fails commits nothing', () => {
      const catalogue = setUp().open(true);
      catalogue.initialise(MODEL);
      const random = seededRandom(4);
      const kept = makeImage('/p', D, random, 'kept.jpg');
      catalogue.apply({ ...none, upsertIndexed: [kept] }, 1);
      const twice = makeImage('/p', D, random, 'twice.jpg');
      // The same path twice in one batch (the library's validation refuses it before; the catalogue must not half-apply it).
      expect(() => catalogue.apply({ upsertIndexed: [makeImage('/p', D, random, 'new.jpg'), twice, twice], upsertSkipped: [], removePaths: [kept.path] }, 2)).toThrow();
      expect(catalogue.readMeta()?.generation).toBe(1);
      expect([...catalogue.fileStates().keys()]).toEqual([kept.path]);
      expect(catalogue.changesSince(1, D)).toMatchObject({ generation: 1, removedIds: [], upserted: { ids: [] } });
    });

    test('changesSince(S) is exactly what changed after S, from any S, as of one commit', () => {
      const catalogue = setUp().open(true);
      catalogue.initialise(MODEL);
      const random = seededRandom(5);
      const states: Map<number, Float32Array>[] = [new Map()];
      let current = new Map<number, Float32Array>();
      const paths: string[] = [];
      for (let round = 0; round < 12; round++) {
        const removePaths = paths.splice(0, Math.floor(random() * 3));
        const replacements = paths.slice(0, Math.floor(random() * 3)).map((p) => ({ ...makeImage('/p', D, random), path: p }));
        const fresh = Array.from({ length: 1 + Math.floor(random() * 4) }, () => makeImage('/p', D, random));
        paths.push(...fresh.map((image) => image.path));
        const upsertIndexed = [...replacements, ...fresh];
        const committed = catalogue.apply({ upsertIndexed, upsertSkipped: [], removePaths }, round);
        current = new Map(current);
        for (const id of committed.removedIds) current.delete(id);
        committed.appendedIds.forEach((id, i) => current.set(id, upsertIndexed[i]!.embedding));
        states.push(current);
        expect(committed.generation).toBe(round + 1);
      }
      for (let since = 0; since < states.length; since++) {
        const changes = catalogue.changesSince(since, D)!;
        expect(changes.generation).toBe(states.length - 1);
        expect(changes.indexedCount).toBe(current.size);
        // Applying the answer to the state at `since` gives the current state.
        const rebuilt = new Map(states[since]);
        for (const id of [...changes.removedIds, ...changes.upserted.ids]) rebuilt.delete(id);
        changes.upserted.ids.forEach((id, i) => rebuilt.set(id, changes.upserted.vectors.slice(i * D, (i + 1) * D)));
        expect(new Map([...rebuilt].map(([id, v]) => [id, Array.from(v)]))).toEqual(new Map([...current].map(([id, v]) => [id, Array.from(v)])));
      }
      expect(catalogue.changesSince(states.length, D)).toBeUndefined();
    });

    test('recordReindex, snapshot, and a newer schema refused with a message', () => {
      const store = setUp();
      const catalogue = store.open(true);
      catalogue.initialise(MODEL);
      catalogue.recordReindex(42);
      expect(catalogue.snapshot(() => [catalogue.readMeta()?.lastReindexAt, catalogue.countIndexed()])).toEqual([42, 0]);
      store.makeSchemaNewer();
      expect(() => store.open(false).readMeta()).toThrow(/newer version of this tool \(catalogue schema \d+, this version reads up to \d+\): upgrade/);
      expect(() => store.open(true).initialise(MODEL)).toThrow(/newer version/);
    });

    test('image metadata (migration 3): stored with a batch, recorded later without a new generation, cleared when re-embedded', () => {
      const store = setUp();
      const catalogue = store.open(true);
      catalogue.initialise(MODEL);
      const random = seededRandom(9);
      const metadata = {
        folder: 'trips/rome', fileType: 'jpeg', orientation: 'portrait' as const, takenAt: Date.UTC(2021, 6, 14, 18, 30, 5),
        cameraMake: 'Canon', cameraModel: 'EOS 5D', latitude: 41.9, longitude: 12.5,
      };
      const [withMeta, without] = [makeImage('/photos', D, random), makeImage('/photos', D, random)];
      const { appendedIds, generation } = catalogue.apply({ ...none, upsertIndexed: [{ ...withMeta!, metadata }, without!] }, 100);
      expect(catalogue.filterableImages()).toEqual([
        { id: appendedIds[0], mtimeMs: withMeta!.mtimeMs, width: withMeta!.width, height: withMeta!.height, metadata },
        { id: appendedIds[1], mtimeMs: without!.mtimeMs, width: without!.width, height: without!.height, metadata: null },
      ]);
      expect(catalogue.pathsWithoutMetadata()).toEqual([without!.path]);
      const byIds = catalogue.filterableImagesByIds([appendedIds[1]!, 999_999, appendedIds[0]!]);
      expect(new Map(byIds.map((image) => [image.id, image.metadata]))).toEqual(new Map([[appendedIds[0], metadata], [appendedIds[1], null]]));
      expect(catalogue.filterableImagesByIds([])).toEqual([]);

      const later = { ...metadata, folder: '', fileType: 'png', orientation: 'square' as const, takenAt: null, cameraMake: null, cameraModel: null, latitude: null, longitude: null };
      catalogue.recordMetadata([{ path: without!.path, metadata: later }, { path: '/photos/unknown.jpg', metadata: later }], 200);
      expect(catalogue.readMeta()?.generation).toBe(generation);
      expect(catalogue.pathsWithoutMetadata()).toEqual([]);
      expect(store.open(false).filterableImages().map((image) => image.metadata)).toEqual([metadata, later]);

      // New content: the old metadata no longer describes it.
      catalogue.apply({ ...none, upsertIndexed: [{ ...makeImage('/photos', D, random), path: withMeta!.path }] }, 300);
      expect(catalogue.pathsWithoutMetadata()).toEqual([withMeta!.path]);
      catalogue.apply({ ...none, removePaths: [without!.path] }, 400);
      expect(catalogue.filterableImages().map((image) => image.id)).toEqual([appendedIds[0]]);
    });

    test('ImageLibrary over it: random rounds stay exact against brute force, for the writer and for a library following it by the log', () => {
      const store = setUp();
      const dataDir = makeTempDir();
      const writer = ImageLibrary.openCatalogue(store.open(true), dataDir, { ...MODEL, writable: true });
      const follower = ImageLibrary.openCatalogue(store.open(false), makeTempDir(), { ...MODEL, writable: false });
      const random = seededRandom(6);
      const expected = new Map<string, Float32Array>();
      try {
        for (let round = 0; round < 25; round++) {
          const known = [...expected.keys()];
          const removePaths = known.filter(() => random() < 0.1);
          const replacements = known.filter((p) => !removePaths.includes(p) && random() < 0.1).map((p) => ({ ...makeImage('/p', D, random), path: p }));
          const upsertIndexed = [...replacements, ...Array.from({ length: Math.floor(random() * 8) }, () => makeImage('/p', D, random))];
          writer.apply({ upsertIndexed, upsertSkipped: [], removePaths });
          for (const p of removePaths) expected.delete(p);
          for (const image of upsertIndexed) expected.set(image.path, image.embedding);
          follower.refresh();
          const query = randomUnitVector(D, random);
          expectSameRanking(writer.search(query, 10), bruteForceTopK(query, expected, 10));
          expectSameRanking(follower.search(query, 10), bruteForceTopK(query, expected, 10));
        }
        expectConsistent(writer, expected);
        expectConsistent(follower, expected);
        expect(follower.stats()).toMatchObject({ generation: writer.stats().generation, indexGeneration: writer.stats().generation });
      } finally {
        writer.close();
        follower.close();
      }
      // Reopened from the saved index file, the same.
      const reopened = ImageLibrary.openCatalogue(store.open(false), dataDir, { ...MODEL, writable: false });
      expect(reopened.stats().index.loadedFrom).toBe('file');
      expectConsistent(reopened, expected);
      reopened.close();
    });

    describeModelStagingContract(setUp);
  });
}
