import { buildIndex, buildIndexInBackground, ImageLibrary, INDEX_SIDECAR_FILE_NAME, type ExtraTuningQueries, type IndexSettings, type TuningQueryProvider, type VectorSource } from '../../src/store';
import { phraseTuningQueries, TUNING_PHRASES } from '../../src/search';
import type { Embedder } from '../../src/embedding';
import fs from 'node:fs';
import path from 'node:path';
import { ClusteredSet, normalise, recallAtK } from './clustered';
import { makeTempDir, MODEL, randomUnitVector, removeTempDirs, seededRandom } from './helpers';

afterAll(removeTempDirs);

/**
 * nprobe tuned for every kind of query: held-out stored vectors (image queries) and extra query vectors
 * that are not in the collection (text embeddings), each checked against brute force on fresh queries of
 * its kind. "Text-like" queries here are what the modality gap makes of a text embedding: a vector that
 * points only loosely at the clustered data, so that its nearest neighbours score low and lie in many IVF
 * lists, where a held-out image vector finds its neighbours in its own cluster's lists.
 */

const D = 32;
const N = 6000;
const K = 10;
const settings: IndexSettings = {
  factory: 'IVF64,Flat',
  targetRecall: 0.9,
  memoryBudgetBytes: 1024 ** 3,
  searchParams: {},
  flatMaxVectors: 0,
  hnswMaxVectors: 0,
  retrainGrowth: 4,
  maxTombstoneFraction: 0.1,
};

const data = new ClusteredSet(D, 40, 11, 0.5);
const vectors = data.vectors(N);
const ids = Array.from({ length: N }, (_, i) => i + 1);

function source(): VectorSource {
  return {
    ids: () => [...ids],
    byIds: (wanted) => {
      const out = new Float32Array(wanted.length * D);
      wanted.forEach((id, i) => out.set(vectors.subarray((id - 1) * D, id * D), i * D));
      return { ids: [...wanted], vectors: out };
    },
    chunk: (afterId, limit) => {
      const first = Math.max(0, afterId);
      const chunkIds = ids.slice(first, first + limit);
      return { ids: chunkIds, vectors: vectors.slice(first * D, (first + chunkIds.length) * D) };
    },
  };
}

/** Loosely aimed queries: a fifth of a cluster centre, the rest a random direction. */
function textLike(n: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const out = new Float32Array(n * D);
  for (let q = 0; q < n; q++) {
    const centre = data.centres[Math.floor(random() * data.centres.length)]!;
    const away = randomUnitVector(D, random);
    out.set(normalise(centre.map((value, j) => 0.45 * value + away[j]!)), q * D);
  }
  return out;
}

const provider = (queries: ExtraTuningQueries[]): TuningQueryProvider => ({ ready: () => queries, load: () => Promise.resolve(queries) });

describe('nprobe tuned for image and text queries', () => {
  const imageOnly = buildIndex(source(), D, settings, { seed: 3 });
  const tuningText = textLike(64, 5);
  const withText = buildIndex(source(), D, settings, { seed: 3, tuningQueries: provider([{ kind: 'text', vectors: tuningText }]) });
  const searchWith = (built: typeof imageOnly, params: Record<string, number>) => (query: Float32Array) => {
    built.index.setSearchParameters(params);
    return built.index.search(query, K).map((hit) => hit.id);
  };

  test('text-like queries need more lists than image queries: they get their own nprobe, and fresh text queries reach the target with it', () => {
    const freshText = textLike(150, 99);
    const nprobeImage = imageOnly.descriptor.searchParams.nprobe!;
    const textParams = withText.descriptor.searchParamsByKind!.text!;
    expect(textParams.nprobe).toBeGreaterThan(nprobeImage);
    // Image queries keep their (smaller, faster) value: the index is left set to it.
    expect(withText.descriptor.searchParams).toEqual(imageOnly.descriptor.searchParams);
    expect(withText.descriptor.searchParamsByKind!.image).toEqual(imageOnly.descriptor.searchParams);
    // The premise: the image value leaves text queries short of the target.
    expect(recallAtK(D, freshText, ids, vectors, K, searchWith(withText, { nprobe: nprobeImage }))).toBeLessThan(settings.targetRecall);
    expect(recallAtK(D, freshText, ids, vectors, K, searchWith(withText, textParams))).toBeGreaterThanOrEqual(settings.targetRecall - 0.03);
    // Fresh image queries (new draws from the collection's distribution) reach it with the image value.
    expect(recallAtK(D, data.vectors(100), ids, vectors, K, searchWith(withText, { nprobe: nprobeImage }))).toBeGreaterThanOrEqual(settings.targetRecall);
  });

  test('the descriptor records the recall of each kind at its own nprobe; the lowest is measuredRecall', () => {
    const byKind = withText.descriptor.measuredRecallByKind!;
    expect(Object.keys(byKind).sort()).toEqual(['image', 'text']);
    expect(byKind.image!).toBeGreaterThanOrEqual(settings.targetRecall);
    expect(byKind.text!).toBeGreaterThanOrEqual(settings.targetRecall);
    expect(withText.descriptor.measuredRecall).toBe(Math.min(byKind.image!, byKind.text!));
    expect(Object.keys(imageOnly.descriptor.measuredRecallByKind!)).toEqual(['image']);
  });

  test('a background build waits for the provider; a failing provider leaves image-only tuning', async () => {
    let loads = 0;
    const background = await buildIndexInBackground(source(), D, settings, {
      seed: 3,
      tuningQueries: { ready: () => [], load: () => (loads++, Promise.resolve([{ kind: 'text', vectors: tuningText }])) },
    });
    expect(loads).toBe(1);
    expect(background.descriptor.searchParamsByKind).toEqual(withText.descriptor.searchParamsByKind);
    const failing = await buildIndexInBackground(source(), D, settings, { seed: 3, tuningQueries: { ready: () => [], load: () => Promise.reject(new Error('no model')) } });
    expect(failing.descriptor.searchParamsByKind).toEqual({ image: imageOnly.descriptor.searchParams });
  });

  test('a rebuild that reuses a trained index keeps each kind\'s parameters and measures each kind with its own', () => {
    const first = buildIndex(source(), D, settings, { seed: 4, tuningQueries: provider([{ kind: 'text', vectors: tuningText }]) });
    const again = buildIndex(source(), D, settings, { seed: 4, tuningQueries: provider([{ kind: 'text', vectors: tuningText }]), reuse: { index: first.index, descriptor: first.descriptor } });
    expect(again.descriptor.searchParamsByKind).toEqual(first.descriptor.searchParamsByKind);
    expect(again.descriptor.searchParams).toEqual(first.descriptor.searchParams);
    expect(again.descriptor.measuredRecallByKind!.text).toBeGreaterThanOrEqual(settings.targetRecall);
  });

  test('an exact index asks for no tuning queries', () => {
    let asked = 0;
    const flat = buildIndex(source(), D, { ...settings, factory: 'Flat' }, { tuningQueries: { ready: () => (asked++, []), load: () => (asked++, Promise.resolve([])) } });
    expect(flat.descriptor.kind).toBe('flat');
    expect(asked).toBe(0);
  });

  test('the library tunes its background rebuild with the provider; the per-kind recalls survive the sidecar and show in stats', async () => {
    const dataDir = makeTempDir();
    const open = (writable: boolean) =>
      ImageLibrary.open(dataDir, {
        modelName: MODEL,
        dimension: D,
        writable,
        index: { factory: 'IVF16,Flat', targetRecall: 0.9 },
        tuningQueries: provider([{ kind: 'text', vectors: tuningText }]),
      });
    const writer = open(true);
    writer.apply({
      upsertIndexed: Array.from({ length: 1200 }, (_, i) => ({ path: `/p/${i}.jpg`, size: 1, mtimeMs: 1, width: 4, height: 3, embedding: vectors.slice(i * D, (i + 1) * D) })),
      upsertSkipped: [],
      removePaths: [],
    });
    await writer.settled();
    writer.close();
    const sidecar = JSON.parse(fs.readFileSync(path.join(dataDir, INDEX_SIDECAR_FILE_NAME), 'utf8')) as {
      index: { measuredRecallByKind: Record<string, number>; searchParamsByKind: Record<string, { nprobe: number }> };
    };
    expect(Object.keys(sidecar.index.measuredRecallByKind).sort()).toEqual(['image', 'text']);
    expect(sidecar.index.searchParamsByKind.text!.nprobe).toBeGreaterThan(sidecar.index.searchParamsByKind.image!.nprobe);
    const reader = open(false);
    try {
      const stats = reader.stats().index;
      expect(stats).toMatchObject({ kind: 'ivf', loadedFrom: 'file' });
      expect(stats.measuredRecallByKind).toEqual(sidecar.index.measuredRecallByKind);
      // A text query is searched with the text kind's nprobe: it finds more of its true neighbours than with the image one.
      const stored = ids.slice(0, 1200);
      const storedVectors = vectors.slice(0, 1200 * D);
      const byPath = (hits: { image: { path: string } }[]) => hits.map((hit) => Number(/\/(\d+)\.jpg$/.exec(hit.image.path)![1]) + 1);
      const fresh = textLike(100, 7);
      const asText = recallAtK(D, fresh, stored, storedVectors, K, (query) => byPath(reader.search(query, K, 'text')));
      const asImage = recallAtK(D, fresh, stored, storedVectors, K, (query) => byPath(reader.search(query, K, 'image')));
      expect(asText).toBeGreaterThan(asImage);
      expect(asText).toBeGreaterThanOrEqual(0.87);
    } finally {
      reader.close();
    }
  });
});

describe('phraseTuningQueries', () => {
  function fakeEmbedder(): Embedder & { calls: number; modelName: string } {
    const embedder = {
      calls: 0,
      modelName: 'model-a',
      dimension: 4,
      precision: 'fp32',
      preprocess: undefined as never,
      embedTexts: async (texts: string[]) => {
        embedder.calls++;
        return texts.map((_, i) => normalise(Float32Array.from([1, i, embedder.modelName === 'model-a' ? 0 : 1, 0])));
      },
      embedPixels: async () => [],
    };
    return embedder;
  }

  test('embeds the built-in phrases once per model, only when asked, as one text set', async () => {
    const embedder = fakeEmbedder();
    const queries = phraseTuningQueries(embedder);
    expect(queries.ready()).toEqual([]);
    expect(embedder.calls).toBe(0);
    const [first, again] = await Promise.all([queries.load(), queries.load()]);
    expect(embedder.calls).toBe(1);
    expect(again).toBe(first);
    expect(first).toHaveLength(1);
    expect(first[0]!.kind).toBe('text');
    expect(first[0]!.vectors).toHaveLength(TUNING_PHRASES.length * 4);
    expect(queries.ready()).toBe(first);
    embedder.modelName = 'model-b';
    expect(queries.ready()).toEqual([]);
    const second = await queries.load();
    expect(embedder.calls).toBe(2);
    expect(second[0]!.vectors[2]).toBeGreaterThan(0);
  });

  test('a failed embedding is tried again by the next build', async () => {
    const embedder = fakeEmbedder();
    let fail = true;
    const embedTexts = embedder.embedTexts;
    embedder.embedTexts = (texts) => (fail ? Promise.reject(new Error('model not loaded')) : embedTexts(texts));
    const queries = phraseTuningQueries(embedder);
    await expect(queries.load()).rejects.toThrow('model not loaded');
    fail = false;
    await expect(queries.load()).resolves.toHaveLength(1);
  });
});

describe('re-ranking an approximate index', () => {
  test("an IVF-SQ8 library's hits carry exact cosines, best first, and its top k is the exact top k of its candidates", async () => {
    const library = ImageLibrary.open(makeTempDir(), { modelName: MODEL, dimension: D, writable: true, index: { factory: 'IVF16,SQ8', searchParams: { nprobe: 16 } } });
    try {
      const n = 1200;
      library.apply({
        upsertIndexed: Array.from({ length: n }, (_, i) => ({ path: `/p/${i}.jpg`, size: 1, mtimeMs: 1, width: 4, height: 3, embedding: vectors.slice(i * D, (i + 1) * D) })),
        upsertSkipped: [],
        removePaths: [],
      });
      await library.settled();
      expect(library.stats().index.type).toBe('IVF16,SQ8');
      const query = data.one();
      const hits = library.search(query, K);
      // nprobe = nlist: every vector is a candidate, so the re-ranked hits are the exact top k, with exact scores
      // (8-bit codes alone are off in the third decimal).
      const exact = ids
        .slice(0, n)
        .map((id) => ({ id, score: vectors.subarray((id - 1) * D, id * D).reduce((sum, value, j) => sum + value * query[j]!, 0) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, K);
      expect(hits.map((hit) => Number(/\/(\d+)\.jpg$/.exec(hit.image.path)![1]) + 1)).toEqual(exact.map((hit) => hit.id));
      hits.forEach((hit, i) => expect(hit.score).toBeCloseTo(exact[i]!.score, 5));
    } finally {
      library.close();
    }
  });
});

describe('search among a selection on a tuned IVF index', () => {
  test('nprobe is widened by the selected share, so that a scattered 5% selection keeps its recall', async () => {
    const open = (extra: Partial<IndexSettings>) => {
      const library = ImageLibrary.open(makeTempDir(), { modelName: MODEL, dimension: D, writable: true, index: { factory: 'IVF64,Flat', targetRecall: 0.9, ...extra } });
      library.apply({
        upsertIndexed: Array.from({ length: N }, (_, i) => ({ path: `/p/${i}.jpg`, size: 1, mtimeMs: 1, width: 4, height: 3, embedding: vectors.slice(i * D, (i + 1) * D) })),
        upsertSkipped: [],
        removePaths: [],
      });
      return library;
    };
    const tuned = open({});
    await tuned.settled();
    const nprobe = tuned.stats().index.searchParams.nprobe!;
    expect(nprobe).toBeLessThan(64);
    // The same index with the tuned nprobe configured: configured parameters are used as they are, never widened.
    const fixed = open({ searchParams: { nprobe } });
    await fixed.settled();
    try {
      const random = seededRandom(21);
      const selectedIds = ids.filter(() => random() < 0.05);
      const selectedVectors = new Float32Array(selectedIds.length * D);
      selectedIds.forEach((id, i) => selectedVectors.set(vectors.subarray((id - 1) * D, id * D), i * D));
      const idOf = (hit: { image: { path: string } }) => Number(/\/(\d+)\.jpg$/.exec(hit.image.path)![1]) + 1;
      const queries = data.vectors(60);
      const recallOf = (library: ImageLibrary) =>
        recallAtK(D, queries, selectedIds, selectedVectors, K, (query) => library.searchAmong(query, K, selectedIds, { exactSubsetMax: 0 }).map(idOf));
      const widened = recallOf(tuned);
      expect(widened).toBeGreaterThanOrEqual(0.9);
      expect(widened).toBeGreaterThan(recallOf(fixed));
    } finally {
      tuned.close();
      fixed.close();
    }
  });
});
