import fc from 'fast-check';
import { ImageLibrary, type IndexedImageInput, type IndexSettings } from '../../src/store';
import type { ImageMetadata } from '../../src/metadata';
import { Searcher, selectIds, type SearchFilter } from '../../src/search';
import type { Embedder } from '../../src/embedding';
import { cosine, makeTempDir, MODEL, randomUnitVector, removeTempDirs, seededRandom } from '../store/helpers';

afterAll(removeTempDirs);

/**
 * Filtered search against brute force: for random filters, queries, k and deletions, the hits must be exactly
 * the top-k by cosine of the images that pass the filter (judged here by an independent predicate), for a
 * flat index, an IVF index searched through FAISS's ID selector, and an IVF index whose small selections are
 * scanned exactly from the stored vectors.
 */

const D = 16;
const N = 700;
const FOLDERS = ['', 'trips', 'trips/rome', 'trips/rome/day2', 'trips/romania', 'family', 'family/2020'];
const TYPES = ['jpeg', 'png', 'webp'];
const CAMERAS: [string | null, string | null][] = [['Canon', 'EOS 5D'], ['NIKON CORPORATION', 'D750'], ['Apple', 'iPhone 12'], [null, null]];
const DAY = 86_400_000;
const BASE = Date.UTC(2020, 0, 1);

interface Truth {
  embedding: Float32Array;
  mtimeMs: number;
  width: number;
  height: number;
  metadata: ImageMetadata | undefined;
}

function randomImage(i: number, random: () => number): IndexedImageInput {
  const width = 100 + Math.floor(random() * 900);
  const height = random() < 0.1 ? width : 100 + Math.floor(random() * 900);
  const [cameraMake, cameraModel] = CAMERAS[Math.floor(random() * CAMERAS.length)]!;
  const hasGps = random() < 0.6;
  const metadata: ImageMetadata = {
    folder: FOLDERS[Math.floor(random() * FOLDERS.length)]!,
    fileType: TYPES[Math.floor(random() * TYPES.length)]!,
    orientation: width > height ? 'landscape' : width < height ? 'portrait' : 'square',
    takenAt: random() < 0.7 ? BASE + Math.floor(random() * 365) * DAY : null,
    cameraMake,
    cameraModel,
    latitude: hasGps ? 40 + random() * 10 : null,
    longitude: hasGps ? random() * 10 : null,
  };
  return {
    path: `/photos/${i}.jpg`,
    size: 1000,
    mtimeMs: BASE + Math.floor(random() * 365) * DAY + 0.5,
    width,
    height,
    embedding: randomUnitVector(D, random),
    // A tenth without metadata (as if embedded before it was recorded).
    ...(random() < 0.9 ? { metadata } : {}),
  };
}

/** The reference predicate, written independently of filter.ts. */
function passes(image: Truth, filter: SearchFilter): boolean {
  const m = image.metadata;
  const date = m?.takenAt ?? image.mtimeMs;
  if (filter.folder !== undefined && filter.folder !== '' && !(m && (m.folder + '/').startsWith(filter.folder + '/'))) return false;
  if (filter.folder === '' && !m) return false;
  if (filter.fileTypes && !(m && filter.fileTypes.includes(m.fileType))) return false;
  if (filter.takenFrom !== undefined && !(date >= filter.takenFrom)) return false;
  if (filter.takenTo !== undefined && !(date < filter.takenTo)) return false;
  if (filter.minWidth !== undefined && image.width < filter.minWidth) return false;
  if (filter.maxWidth !== undefined && image.width > filter.maxWidth) return false;
  if (filter.minHeight !== undefined && image.height < filter.minHeight) return false;
  if (filter.maxHeight !== undefined && image.height > filter.maxHeight) return false;
  if (filter.orientation !== undefined) {
    const shape = image.width > image.height ? 'landscape' : image.width < image.height ? 'portrait' : 'square';
    if (shape !== filter.orientation) return false;
  }
  if (filter.camera !== undefined && !(m && `${m.cameraMake} ${m.cameraModel}`.toLowerCase().includes(filter.camera.toLowerCase()))) return false;
  if (filter.near !== undefined) {
    if (!m || m.latitude === null || m.longitude === null) return false;
    // Equirectangular is accurate to well under 0.5% at these distances; the margin keeps borderline cases out.
    const rad = Math.PI / 180;
    const x = (m.longitude - filter.near.longitude) * rad * Math.cos(((m.latitude + filter.near.latitude) / 2) * rad);
    const y = (m.latitude - filter.near.latitude) * rad;
    if (Math.sqrt(x * x + y * y) * 6371.0088 > filter.near.radiusKm) return false;
  }
  return true;
}

const filterArb: fc.Arbitrary<SearchFilter> = fc.record(
  {
    folder: fc.constantFrom('trips', 'trips/rome', 'family', 'trips/rome/day2', 'nowhere'),
    fileTypes: fc.subarray(TYPES, { minLength: 1 }),
    takenFrom: fc.integer({ min: 0, max: 300 }).map((day) => BASE + day * DAY),
    takenTo: fc.integer({ min: 301, max: 400 }).map((day) => BASE + day * DAY),
    minWidth: fc.integer({ min: 100, max: 600 }),
    maxHeight: fc.integer({ min: 600, max: 1000 }),
    orientation: fc.constantFrom('landscape' as const, 'portrait' as const, 'square' as const),
    camera: fc.constantFrom('canon', 'EOS', 'nikon', 'iphone', 'leica'),
    near: fc.record({ latitude: fc.double({ min: 40, max: 50, noNaN: true }), longitude: fc.double({ min: 0, max: 10, noNaN: true }), radiusKm: fc.double({ min: 20, max: 800, noNaN: true }) }),
  },
  { requiredKeys: [] },
);

/** Keeps fast-check away from borderline distances where two haversine formulas may disagree in the last bit. */
function nearBorderline(truth: Truth, filter: SearchFilter): boolean {
  if (!filter.near || !truth.metadata || truth.metadata.latitude === null) return false;
  const wider = passes(truth, { near: { ...filter.near, radiusKm: filter.near.radiusKm * 1.01 } });
  const narrower = passes(truth, { near: { ...filter.near, radiusKm: filter.near.radiusKm * 0.99 } });
  return wider !== narrower;
}

/** IVF with full vectors (scores exact, so only the search decides the ranking); flat until trained. */
const IVF: Partial<IndexSettings> = { factory: 'IVF8,Flat', flatMaxVectors: 300, hnswMaxVectors: 0, memoryBudgetBytes: 1024 ** 3 };

const VARIANTS: { name: string; index: Partial<IndexSettings>; exactSubsetMax?: number }[] = [
  { name: 'flat index (FAISS ID selector, exact)', index: { factory: 'Flat' } },
  // nprobe = nlist: IVF searched through the selector visits every list, so the answer must be exact too.
  { name: 'IVF index through the FAISS ID selector (nprobe = nlist)', index: { ...IVF, searchParams: { nprobe: 4096 } }, exactSubsetMax: 0 },
  // nprobe = 1 would miss most of the top-k: the exact scan of the (small) selection is what makes it exact.
  { name: 'IVF index with nprobe 1, small selections scanned exactly', index: { ...IVF, searchParams: { nprobe: 1 } } },
];

describe.each(VARIANTS)('filtered top-k is the exact top-k of the filtered subset: $name', ({ index, exactSubsetMax }) => {
  test('random filters, queries, k and deletions', async () => {
    const random = seededRandom(14);
    const library = ImageLibrary.open(makeTempDir(), { modelName: MODEL, dimension: D, writable: true, index });
    const truth = new Map<number, Truth>();
    let next = 0;
    const add = (count: number) => {
      const images = Array.from({ length: count }, () => randomImage(next++, random));
      library.apply({ upsertIndexed: images, upsertSkipped: [], removePaths: [] });
      for (const image of images) {
        const id = library.getByPath(image.path)!.id;
        truth.set(id, { embedding: image.embedding, mtimeMs: image.mtimeMs, width: image.width, height: image.height, metadata: image.metadata });
      }
    };
    try {
      add(N);
      await library.settled();
      expect(library.stats().index.kind).toBe(index.factory === 'Flat' ? 'flat' : 'ivf');
      fc.assert(
        fc.property(filterArb, fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 2 ** 31 }), fc.double({ min: 0, max: 0.05, noNaN: true }), (filter, k, seed, deleteFraction) => {
          const local = seededRandom(seed);
          // Deletions (and as many new images) between searches.
          const doomed = [...truth.keys()].filter(() => local() < deleteFraction);
          library.apply({ upsertIndexed: [], upsertSkipped: [], removePaths: doomed.map((id) => library.getById(id)!.path) });
          doomed.forEach((id) => truth.delete(id));
          add(doomed.length);

          const query = randomUnitVector(D, local);
          const allowed = selectIds(library.filterableImages(), filter);
          const expected = [...truth.entries()]
            .filter(([, image]) => passes(image, filter))
            .map(([id, image]) => ({ id, score: cosine(query, image.embedding) }))
            .sort((a, b) => b.score - a.score)
            .slice(0, k);
          if ([...truth.values()].some((image) => nearBorderline(image, filter))) return;
          expect(allowed.length).toBe([...truth.values()].filter((image) => passes(image, filter)).length);
          const hits = library.searchAmong(query, k, allowed, exactSubsetMax !== undefined ? { exactSubsetMax } : {});
          expect(hits.map((hit) => hit.image.id)).toEqual(expected.map((hit) => hit.id));
          hits.forEach((hit, i) => expect(hit.score).toBeCloseTo(expected[i]!.score, 5));
        }),
        { numRuns: 60, seed: 14 },
      );
    } finally {
      library.close();
    }
  });
});

describe('Searcher: filter and sort', () => {
  const noEmbedder = {} as Embedder;
  const random = seededRandom(3);

  test('sort by date within the top-k, and over everything above minScore; bad filters are refused', async () => {
    const library = ImageLibrary.open(makeTempDir(), { modelName: MODEL, dimension: D, writable: true });
    try {
      const images = Array.from({ length: 200 }, (_, i) => randomImage(i, random));
      library.apply({ upsertIndexed: images, upsertSkipped: [], removePaths: [] });
      const searcher = new Searcher(library, noEmbedder, () => Promise.reject(new Error('unused')), { maxResults: 1000 });
      const anchor = library.getByPath(images[0]!.path)!;
      const dateOf = (i: IndexedImageInput) => i.metadata?.takenAt ?? i.mtimeMs;
      const dates = new Map(images.map((image) => [image.path, dateOf(image)]));

      const byScore = await searcher.similarToId(anchor.id, 10);
      const newest = await searcher.similarToId(anchor.id, 10, { sort: 'takenNewest' });
      // Same ten images, newest first.
      expect(newest.hits.map((hit) => hit.id).sort()).toEqual(byScore.hits.map((hit) => hit.id).sort());
      expect(newest.hits.map((hit) => hit.date)).toEqual(newest.hits.map((hit) => dates.get(hit.path)).sort((a, b) => b! - a!));

      // With minScore: everything at or above it (the anchor itself excluded), oldest first, then the first k.
      const minScore = 0.2;
      const above = images
        .filter((image) => image.path !== anchor.path && cosine(anchor.embedding, image.embedding) >= minScore)
        .sort((a, b) => dateOf(a) - dateOf(b) || cosine(anchor.embedding, b.embedding) - cosine(anchor.embedding, a.embedding));
      expect(above.length).toBeGreaterThan(12);
      const oldest = await searcher.similarToId(anchor.id, 12, { sort: 'takenOldest', minScore });
      expect(oldest.hits.map((hit) => hit.path)).toEqual(above.slice(0, 12).map((image) => image.path));

      // Filtered and sorted together.
      const pngs = await searcher.similarToId(anchor.id, 5, { filter: { fileTypes: ['PNG'] }, sort: 'takenNewest' });
      expect(pngs.hits.length).toBe(5);
      for (const hit of pngs.hits) expect(images.find((image) => image.path === hit.path)?.metadata?.fileType).toBe('png');

      await expect(searcher.similarToId(anchor.id, 5, { filter: { takenFrom: 10, takenTo: 5 } })).rejects.toThrow(/Invalid filter: takenFrom must be before takenTo/);
      await expect(searcher.similarToId(anchor.id, 5, { filter: { near: { latitude: 91, longitude: 0, radiusKm: 1 } } })).rejects.toThrow(/near.latitude/);
      await expect(searcher.similarToId(anchor.id, 5, { filter: { folder: '../etc' } })).rejects.toThrow(/inside the indexed folder/);
      await expect(searcher.similarToId(anchor.id, 5, { filter: { fileTypes: [] } })).rejects.toThrow(/at least one type/);
      await expect(searcher.similarToId(anchor.id, 5, { filter: { folder: 'nowhere' } })).resolves.toMatchObject({ hits: [] });
    } finally {
      library.close();
    }
  });
});

describe('selectIds', () => {
  const images = Array.from({ length: 50 }, (_, i) => ({ id: i + 1, mtimeMs: i * 1000, width: 10 + i, height: 10, metadata: null }));
  test('is remembered per list of images and filter: the same frozen ids until the list is replaced', () => {
    const first = selectIds(images, { minWidth: 40 });
    expect(first).toEqual(Array.from({ length: 20 }, (_, i) => i + 31));
    expect(Object.isFrozen(first)).toBe(true);
    // The same filter, written differently (normalised first), gives the very same list.
    expect(selectIds(images, { minWidth: 40, fileTypes: undefined })).toBe(first);
    expect(selectIds(images, { takenTo: 5000 })).toEqual([1, 2, 3, 4, 5]);
    // A new list (the catalogue changed) is filtered again.
    const changed = images.filter((image) => image.id !== 31);
    expect(selectIds(changed, { minWidth: 40 })).toEqual(first.slice(1));
  });
});
