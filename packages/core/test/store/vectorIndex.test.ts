import fs from 'node:fs';
import path from 'node:path';
import { VectorIndex } from '../../src/store';
import { allowedBitmap } from '../../src/store/vectorIndex';
import { ClusteredSet, exactTopK, recallAtK, row } from './clustered';
import { makeTempDir, removeTempDirs } from './helpers';

afterAll(removeTempDirs);

const D = 32;
const N = 4_000;
const K = 10;

/** N clustered vectors under sparse, large ids (catalogue ids are neither dense nor small). */
function collection(seed: number) {
  const set = new ClusteredSet(D, 40, seed);
  const vectors = set.vectors(N);
  const ids = Array.from({ length: N }, (_, i) => 1_000_003 + i * 7);
  const queries = set.vectors(100);
  return { set, vectors, ids, queries };
}

function build(factory: string, data: ReturnType<typeof collection>): VectorIndex {
  const index = VectorIndex.create(D, factory);
  index.train(data.vectors);
  index.add(data.ids, data.vectors);
  return index;
}

const ids = (index: VectorIndex) => (query: Float32Array) => index.search(query, K).map((hit) => hit.id);

describe.each([
  ['IDMap2,Flat', {}, 1],
  ['IVF64,SQ8', { nprobe: 8 }, 0.9],
  ['IDMap2,HNSW32', { efSearch: 64 }, 0.95],
])('%s', (factory, params, minimumRecall) => {
  test(`finds the exact top-${K} (recall >= ${minimumRecall}) and returns catalogue ids`, () => {
    const data = collection(1);
    const index = build(factory, data);
    index.setSearchParameters(params);
    expect(index.size).toBe(N);
    expect(index.info().description).toBe(factory);
    const recall = recallAtK(D, data.queries, data.ids, data.vectors, K, ids(index));
    expect(recall).toBeGreaterThanOrEqual(minimumRecall);
    if (minimumRecall === 1) {
      const query = row(data.queries, 0, D);
      const hits = index.search(query, K);
      expect(hits.map((hit) => hit.id)).toEqual(exactTopK(query, data.ids, data.vectors, K));
      expect(hits[0]!.score).toBeGreaterThan(hits[K - 1]!.score);
    }
  });

  test('ids survive deletions: removed ids never come back, the others keep theirs; re-adding an id replaces its vector', () => {
    const data = collection(2);
    const index = build(factory, data);
    index.setSearchParameters(params);
    const removed = data.ids.filter((_, i) => i % 3 === 0);
    expect(index.remove(removed)).toBe(removed.length);
    expect(index.remove(removed)).toBe(0); // already gone
    expect(index.size).toBe(N - removed.length);
    const gone = new Set(removed);
    const keptIds = data.ids.filter((id) => !gone.has(id));
    const keptVectors = new Float32Array(keptIds.length * D);
    data.ids.forEach((id, i) => {
      const at = keptIds.indexOf(id);
      if (at >= 0) keptVectors.set(row(data.vectors, i, D), at * D);
    });
    // Each survivor finds itself first (vectors are distinct); no removed id is ever returned.
    for (let i = 1; i < N; i += 97) {
      if (gone.has(data.ids[i]!)) continue;
      const hits = index.search(row(data.vectors, i, D), K);
      expect(hits[0]?.id).toBe(data.ids[i]);
    }
    for (let q = 0; q < 30; q++) {
      for (const hit of index.search(row(data.queries, q, D), 50)) expect(gone.has(hit.id)).toBe(false);
    }
    const recall = recallAtK(D, data.queries, keptIds, keptVectors, K, ids(index));
    expect(recall).toBeGreaterThanOrEqual(minimumRecall === 1 ? 1 : minimumRecall - 0.05);

    // Re-embedding: the id is removed and added again with a new vector, which search then finds under it.
    const id = data.ids[1]!;
    const replacement = data.set.one();
    index.remove([id]);
    index.add([id], replacement);
    expect(index.search(replacement, 1)[0]?.id).toBe(id);
    expect(index.size).toBe(N - removed.length);
  });

  test('a remembered selection (frozen, its id bitmap built once) stays right while the index changes', () => {
    const data = collection(7);
    const index = build(factory, data);
    index.setSearchParameters(factory.startsWith('IVF') ? { nprobe: 64 } : params);
    const selection = Object.freeze(data.ids.filter((_, i) => i % 4 === 1));
    expect(allowedBitmap(selection)).toBe(allowedBitmap(selection));
    // Removing half the selection and adding new ids outside it (the catalogue moved; the list is reused anyway).
    const removed = new Set(selection.filter((_, i) => i % 2 === 0));
    index.remove([...removed]);
    const added = Array.from({ length: 200 }, (_, i) => 2_000_001 + i);
    index.add(added, data.vectors.subarray(0, added.length * D));
    const live = selection.filter((id) => !removed.has(id));
    const liveVectors = new Float32Array(live.length * D);
    live.forEach((id, i) => liveVectors.set(row(data.vectors, data.ids.indexOf(id), D), i * D));
    for (let q = 0; q < 10; q++) {
      const query = row(data.queries, q, D);
      const hits = index.search(query, K, selection).map((hit) => hit.id);
      expect(hits.every((id) => live.includes(id))).toBe(true);
      if (minimumRecall === 1) expect(hits).toEqual(exactTopK(query, live, liveVectors, K));
      else expect(hits.length).toBeGreaterThan(0);
    }
  });

  test('save and load round-trip, also memory-mapped: same results, same ids', () => {
    const data = collection(3);
    const index = build(factory, data);
    index.setSearchParameters(params);
    index.remove(data.ids.slice(0, 100));
    const file = path.join(makeTempDir(), 'index.faiss');
    index.write(file);
    expect(fs.statSync(file).size).toBe(index.info().serializedBytes);
    for (const mmap of [false, true]) {
      const loaded = VectorIndex.read(file, D, { mmap });
      expect(loaded.size).toBe(index.size);
      expect(loaded.info().tombstones).toBe(index.info().tombstones);
      for (let q = 0; q < 20; q++) {
        const query = row(data.queries, q, D);
        expect(loaded.search(query, K)).toEqual(index.search(query, K));
      }
      if (mmap && factory.startsWith('IVF')) {
        // FAISS 1.7.3 maps IVF lists only; a mapped index is read-only, and says so instead of aborting.
        expect(loaded.info()).toMatchObject({ readOnly: true, mappedBytes: expect.any(Number) });
        expect(loaded.info().mappedBytes).toBeGreaterThan(N * D * 0.5);
        expect(() => loaded.add([1], row(data.vectors, 0, D))).toThrow(/read-only/);
        expect(() => loaded.remove([data.ids[200]!])).toThrow(/read-only/);
      } else {
        expect(loaded.info()).toMatchObject({ readOnly: false, mappedBytes: 0 });
      }
    }
    expect(() => VectorIndex.read(file, D + 1)).toThrow(/dimension 32, expected 33/);
  });
});

describe('VectorIndex', () => {
  test('HNSW cannot delete in FAISS 1.7.3: removed ids become tombstones, skipped by search and counted', () => {
    const data = collection(4);
    const index = build('IDMap2,HNSW32', data);
    index.setSearchParameters({ efSearch: 128 });
    const removed = new Set(data.ids.slice(0, 1000));
    expect(index.remove([...removed])).toBe(1000);
    expect(index.info()).toMatchObject({ size: N - 1000, tombstones: 1000 });
    for (let q = 0; q < 20; q++) {
      const hits = index.search(row(data.queries, q, D), 100);
      expect(hits).toHaveLength(100);
      expect(new Set(hits.map((hit) => hit.id)).size).toBe(100);
      expect(hits.filter((hit) => removed.has(hit.id))).toEqual([]);
    }
  });

  test('typed batch search returns k results a query, padded with -1 past the index size', () => {
    const data = collection(5);
    const index = build('IDMap2,Flat', data);
    const batch = index.searchBatch(data.queries.subarray(0, 3 * D), K);
    expect(batch.k).toBe(K);
    expect(batch.ids).toBeInstanceOf(BigInt64Array);
    expect(batch.scores).toBeInstanceOf(Float32Array);
    expect(batch.ids).toHaveLength(3 * K);
    expect(Number(batch.ids[K])).toBe(exactTopK(row(data.queries, 1, D), data.ids, data.vectors, 1)[0]);
    expect(VectorIndex.create(D, 'IDMap2,Flat').searchBatch(data.queries, K).k).toBe(0);
    expect(index.search(row(data.queries, 0, D), 0)).toEqual([]);
  });

  test('training and adding run on the thread pool; the index refuses other calls meanwhile', async () => {
    const data = collection(6);
    const index = VectorIndex.create(D, 'IVF32,SQ8');
    const training = index.trainAsync(data.vectors);
    expect(() => index.size).toThrow(/busy/);
    await training;
    expect(index.isTrained).toBe(true);
    await index.addAsync(data.ids, data.vectors);
    expect(index.size).toBe(N);
    await expect(VectorIndex.create(D, 'IVF32,SQ8').addAsync([1], row(data.vectors, 0, D))).rejects.toThrow(/not trained/);
  });

  test('the allowed-id bitmap sets exactly the ids given, ignores invalid ones, and is cached only for frozen lists', () => {
    const bits = allowedBitmap([0, 9, 17, -3, 2.5]);
    expect(Array.from(bits)).toEqual([0b1, 0b10, 0b10]);
    const open = [1, 2, 3];
    expect(allowedBitmap(open)).not.toBe(allowedBitmap(open));
    expect(allowedBitmap([])).toHaveLength(0);
    expect(() => allowedBitmap([2 ** 31])).toThrow(/not supported/);
  });

  test('bad input is an error, not a crash', () => {
    const index = VectorIndex.create(D, 'IDMap2,Flat');
    expect(() => VectorIndex.create(D, 'NotAnIndex')).toThrow(/cannot build the index "NotAnIndex"/);
    expect(() => index.add([1, 2], new Float32Array(D))).toThrow(/1 vectors under 2 ids/);
    expect(() => index.add([-1], new Float32Array(D))).toThrow(/Invalid vector id/);
    expect(() => index.setSearchParameters({ nprobe: 4 })).toThrow(/nprobe/);
    expect(() => index.write('/nonexistent-dir/x.faiss')).toThrow(/could not open/);
  });
});
