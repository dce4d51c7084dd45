import fs from 'node:fs';
import path from 'node:path';
import { ImageLibrary, INDEX_FILE_NAME, INDEX_SIDECAR_FILE_NAME, type IndexedImageInput, type IndexSettings } from '../../src/store';
import { ClusteredSet, exactTopK } from './clustered';
import { makeTempDir, MODEL, removeTempDirs } from './helpers';

afterAll(removeTempDirs);

/**
 * The library choosing, rebuilding and retraining approximate indexes, on small clustered sets with the
 * thresholds scaled down (flat up to 300 vectors, HNSW up to 800, IVF above), checked against brute force.
 */

const D = 32;
const K = 10;
const settings: Partial<IndexSettings> = { flatMaxVectors: 300, hnswMaxVectors: 800, targetRecall: 0.9, memoryBudgetBytes: 1024 ** 3 };
const noChanges = { upsertIndexed: [], upsertSkipped: [], removePaths: [] };

class Collection {
  readonly set: ClusteredSet;
  readonly expected = new Map<string, Float32Array>();
  private counter = 0;

  constructor(seed: number) {
    this.set = new ClusteredSet(D, 25, seed);
  }

  images(n: number): IndexedImageInput[] {
    return Array.from({ length: n }, () => this.image(`/photos/img-${this.counter++}.jpg`));
  }

  image(filePath: string): IndexedImageInput {
    const embedding = this.set.one();
    this.expected.set(filePath, embedding);
    return { path: filePath, size: 1000, mtimeMs: 1_700_000_000_000, width: 640, height: 480, embedding };
  }

  remove(paths: string[]): string[] {
    for (const filePath of paths) this.expected.delete(filePath);
    return paths;
  }

  /** recall@K of the library against brute force over the expected contents, on fresh queries; no stale path ever returned. */
  recall(library: ImageLibrary, queries = 60): number {
    const paths = [...this.expected.keys()];
    const vectors = new Float32Array(paths.length * D);
    paths.forEach((filePath, i) => vectors.set(this.expected.get(filePath)!, i * D));
    const indices = paths.map((_, i) => i);
    let found = 0;
    for (let q = 0; q < queries; q++) {
      const query = this.set.one();
      const truth = new Set(exactTopK(query, indices, vectors, K).map((i) => paths[i]));
      const hits = library.search(query, K);
      for (const hit of hits) expect(this.expected.has(hit.image.path)).toBe(true);
      found += hits.filter((hit) => truth.has(hit.image.path)).length;
    }
    return found / (queries * K);
  }
}

function open(dataDir: string, writable: boolean, extra: Partial<IndexSettings> = {}): ImageLibrary {
  return ImageLibrary.open(dataDir, { modelName: MODEL, dimension: D, writable, index: { ...settings, ...extra } });
}

function readSidecar(dataDir: string): { index: Record<string, unknown> } {
  return JSON.parse(fs.readFileSync(path.join(dataDir, INDEX_SIDECAR_FILE_NAME), 'utf8')) as { index: Record<string, unknown> };
}

describe('approximate indexes in the library', () => {
  test('growth moves flat -> HNSW -> IVF with background rebuilds; changes made meanwhile are kept; results stay right', async () => {
    const dataDir = makeTempDir();
    const collection = new Collection(1);
    const library = open(dataDir, true);
    try {
      library.apply({ ...noChanges, upsertIndexed: collection.images(250) });
      expect(library.stats().index).toMatchObject({ kind: 'flat', type: 'IDMap2,Flat', rebuilding: null });
      expect(collection.recall(library)).toBe(1);

      // Past 300 vectors: an HNSW index is built in the background while the flat one keeps serving...
      library.apply({ ...noChanges, upsertIndexed: collection.images(100) });
      expect(library.stats().index).toMatchObject({ kind: 'flat', rebuilding: { reason: expect.stringMatching(/350 vectors: HNSW/) } });
      // ...and what is committed meanwhile (removals, re-embeddings, additions) to vectors it has already read
      // is replayed onto it before the swap.
      while (!(library.stats().index.rebuilding!.vectorsRead > 0)) await new Promise((resolve) => setImmediate(resolve));
      const removed = collection.remove(['/photos/img-0.jpg', '/photos/img-1.jpg', '/photos/img-300.jpg']);
      const reembedded = collection.image('/photos/img-2.jpg');
      library.apply({ upsertIndexed: [reembedded, ...collection.images(20)], upsertSkipped: [], removePaths: removed });
      expect(collection.recall(library)).toBe(1);
      await library.settled();
      let stats = library.stats().index;
      expect(stats).toMatchObject({ kind: 'hnsw', type: 'IDMap2,HNSW32', rebuilding: null, loadedFrom: 'catalogue', unsavedChanges: false });
      expect(stats.lastRebuild).toMatchObject({ error: null, replayed: 4 });
      expect(stats.searchParams.efSearch).toBeGreaterThanOrEqual(16);
      expect(stats.measuredRecall).toBeGreaterThanOrEqual(0.9);
      expect(library.count()).toBe(collection.expected.size);
      expect(library.search(reembedded.embedding, 1)[0]?.image.path).toBe('/photos/img-2.jpg');
      expect(collection.recall(library)).toBeGreaterThanOrEqual(0.9);
      // Saved as soon as it was swapped in, with what it is in the sidecar.
      expect(readSidecar(dataDir).index).toMatchObject({ factory: 'IDMap2,HNSW32', kind: 'hnsw', builtFor: 350 });

      // HNSW deletes by tombstone: removing a few keeps it; results never include them.
      const gone = collection.remove([...collection.expected.keys()].slice(0, 20));
      library.apply({ ...noChanges, removePaths: gone });
      // (24: these 20, and the 3 removals and 1 re-embedding replayed onto the new graph.)
      expect(library.stats().index).toMatchObject({ kind: 'hnsw', tombstones: 24, rebuilding: null });
      expect(collection.recall(library)).toBeGreaterThanOrEqual(0.9);

      // Past 800: IVF with 8-bit codes, trained on a sample, nprobe tuned to the target recall.
      library.apply({ ...noChanges, upsertIndexed: collection.images(600) });
      await library.settled();
      stats = library.stats().index;
      expect(stats).toMatchObject({ kind: 'ivf', type: 'IVF16,SQ8', tombstones: 0 });
      expect(stats.searchParams.nprobe).toBeGreaterThanOrEqual(1);
      expect(stats.measuredRecall).toBeGreaterThanOrEqual(0.9);
      expect(collection.recall(library)).toBeGreaterThanOrEqual(0.85);
      const builtFor = stats.builtFor;

      // Incremental: adds up to 4x the training size do not retrain; deletions remove ids.
      library.apply({ ...noChanges, upsertIndexed: collection.images(1000), removePaths: collection.remove([...collection.expected.keys()].slice(0, 50)) });
      expect(library.stats().index).toMatchObject({ kind: 'ivf', builtFor, rebuilding: null });
      expect(library.count()).toBe(collection.expected.size);
      expect(collection.recall(library)).toBeGreaterThanOrEqual(0.85);

      // Past 4x: retrained in the background for the new size (more lists), then swapped in.
      while (library.count() <= 4 * builtFor) library.apply({ ...noChanges, upsertIndexed: collection.images(400) });
      expect(library.stats().index.rebuilding?.reason).toMatch(/x the \d+ the index was trained for/);
      await library.settled();
      stats = library.stats().index;
      expect(stats).toMatchObject({ kind: 'ivf', type: 'IVF64,SQ8', rebuilding: null });
      expect(stats.builtFor).toBeGreaterThan(4 * builtFor);
      expect(library.count()).toBe(collection.expected.size);
      expect(collection.recall(library)).toBeGreaterThanOrEqual(0.85);
    } finally {
      library.close();
    }

    // A reader loads the saved IVF index memory-mapped, and finds what the writer found.
    const reader = open(dataDir, false);
    try {
      const stats = reader.stats().index;
      expect(stats).toMatchObject({ kind: 'ivf', loadedFrom: 'file' });
      expect(stats.mappedBytes).toBeGreaterThan(0);
      expect(stats.fileBytes).toBe(fs.statSync(path.join(dataDir, INDEX_FILE_NAME)).size);
      expect(collection.recall(reader)).toBeGreaterThanOrEqual(0.85);
    } finally {
      reader.close();
    }
  });

  test('without a usable saved index, open builds the planned index synchronously, reusing the training of an intact stale file', () => {
    const dataDir = makeTempDir();
    const collection = new Collection(2);
    const writer = open(dataDir, true, { flatMaxVectors: 100, hnswMaxVectors: 100 });
    writer.apply({ ...noChanges, upsertIndexed: collection.images(1200) });
    writer.close(); // the background build was abandoned: the flat index is what got saved
    const reopened = open(dataDir, true, { flatMaxVectors: 100, hnswMaxVectors: 100 });
    reopened.close();
    // Reopening a writer started the rebuild again; closing abandoned it again. A reader builds IVF itself:
    const reader = open(dataDir, false, { flatMaxVectors: 100, hnswMaxVectors: 100 });
    try {
      expect(reader.stats().index).toMatchObject({ kind: 'flat', loadedFrom: 'file' });
    } finally {
      reader.close();
    }
    fs.rmSync(path.join(dataDir, INDEX_SIDECAR_FILE_NAME));
    const rebuilt = open(dataDir, false, { flatMaxVectors: 100, hnswMaxVectors: 100 });
    try {
      expect(rebuilt.stats().index).toMatchObject({ kind: 'ivf', type: 'IVF16,SQ8', loadedFrom: 'catalogue', rebuildReason: expect.stringMatching(/missing/) });
      expect(collection.recall(rebuilt)).toBeGreaterThanOrEqual(0.85);
    } finally {
      rebuilt.close();
    }
  });

  test('an intact but stale IVF file lends its training (and parameters) to the rebuild', async () => {
    const dataDir = makeTempDir();
    const collection = new Collection(3);
    const options = { flatMaxVectors: 100, hnswMaxVectors: 100 };
    const writer = open(dataDir, true, options);
    writer.apply({ ...noChanges, upsertIndexed: collection.images(1000) });
    await writer.settled();
    writer.close();
    expect(readSidecar(dataDir).index).toMatchObject({ kind: 'ivf' });
    const saved = { index: fs.readFileSync(path.join(dataDir, INDEX_FILE_NAME)), sidecar: readSidecar(dataDir) };

    const later = open(dataDir, true, options);
    later.apply({ ...noChanges, upsertIndexed: collection.images(100) });
    later.close();
    // Put the older (intact, stale) files back, with a recognisable nprobe in the sidecar.
    fs.writeFileSync(path.join(dataDir, INDEX_FILE_NAME), saved.index);
    fs.writeFileSync(path.join(dataDir, INDEX_SIDECAR_FILE_NAME), JSON.stringify({ ...saved.sidecar, index: { ...saved.sidecar.index, searchParams: { nprobe: 7 } } }));

    const reader = open(dataDir, false, options);
    try {
      const stats = reader.stats().index;
      expect(stats).toMatchObject({ kind: 'ivf', loadedFrom: 'catalogue', rebuildReason: expect.stringMatching(/generation/), searchParams: { nprobe: 7 } });
      expect(reader.count()).toBe(1100);
      expect(collection.recall(reader)).toBeGreaterThanOrEqual(0.85);
    } finally {
      reader.close();
    }
  });

  test('SIS_INDEX_FACTORY and SIS_INDEX_SEARCH_PARAMS: a configured index and parameters, applied on load too', async () => {
    const dataDir = makeTempDir();
    const collection = new Collection(4);
    const writer = open(dataDir, true, { factory: 'IVF32,Flat', searchParams: { nprobe: 4 } });
    writer.apply({ ...noChanges, upsertIndexed: collection.images(1500) });
    await writer.settled();
    expect(writer.stats().index).toMatchObject({ kind: 'ivf', type: 'IVF32,Flat', factory: 'IVF32,Flat', searchParams: { nprobe: 4 }, choice: expect.stringMatching(/configured/) });
    writer.close();
    const reader = open(dataDir, false, { factory: 'IVF32,Flat', searchParams: { nprobe: 32 } });
    try {
      expect(reader.stats().index).toMatchObject({ loadedFrom: 'file', searchParams: { nprobe: 32 } });
      expect(collection.recall(reader)).toBe(1); // nprobe = nlist: exhaustive
    } finally {
      reader.close();
    }
  });
});
