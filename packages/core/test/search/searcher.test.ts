import { InvalidSearchError, Searcher, type Embedder, type LibraryReader } from '../../src';

/** Four 2-d unit vectors at known angles, so scores are known exactly. */
const vectors: Record<number, [number, number]> = {
  1: [1, 0],
  2: [Math.cos(0.5), Math.sin(0.5)],
  3: [Math.cos(1.2), Math.sin(1.2)],
  4: [-1, 0],
};

const PHOTO_2 = {
  folder: 'trips',
  fileType: 'jpeg',
  orientation: 'portrait' as const,
  takenAt: Date.UTC(2021, 6, 14, 9, 30),
  cameraMake: 'Canon',
  cameraModel: 'EOS 5D',
  latitude: 41.9,
  longitude: 12.5,
};

const library: LibraryReader = {
  count: () => 4,
  search(query, k) {
    return Object.entries(vectors)
      .map(([id, [x, y]]) => ({
        image: { id: Number(id), path: `/photos/${id}.jpg`, width: 10, height: 20 },
        score: query[0]! * x + query[1]! * y,
      }))
      .sort((a, b) => b.score - a.score)
      .slice(0, k);
  },
  getByPath(path) {
    const id = Number(/\/(\d+)\.jpg$/.exec(path)?.[1]);
    return this.getById(id);
  },
  getById(id) {
    const vector = vectors[id];
    return vector && { id, embedding: Float32Array.from(vector) };
  },
  searchAmong(query, k, ids) {
    return this.search(query, 4).filter((hit) => ids.includes(hit.image.id)).slice(0, k);
  },
  filterableImages() {
    return [...this.filterableImagesByIds([1, 2, 3, 4]).values()];
  },
  // Image 2 has its metadata read; the others not yet.
  filterableImagesByIds: (ids) => new Map(ids.map((id) => [id, { id, mtimeMs: 0, width: 10, height: 20, metadata: id === 2 ? PHOTO_2 : null }])),
};

const embedder: Embedder = {
  modelName: 'fake',
  dimension: 2,
  precision: 'fp32',
  preprocess: { shortestEdge: 1, cropHeight: 1, cropWidth: 1, mean: [0, 0, 0], std: [1, 1, 1], rescaleFactor: 1 },
  embedTexts: async (texts) => texts.map(() => Float32Array.from([1, 0])),
  embedPixels: async (pixels) => pixels.map(() => Float32Array.from([1, 0])),
};

describe('Searcher', () => {
  const searcher = new Searcher(library, embedder, async () => ({ pixelValues: new Float32Array(3), width: 1, height: 1 }), { maxResults: 10 });

  it('finds images like an indexed image by id, the image itself excluded', async () => {
    const result = await searcher.similarToId(1, 2);
    expect(result.hits.map((hit) => hit.id)).toEqual([2, 3]);
    expect(result.totalImages).toBe(4);
    expect(result.hits[0]!.score).toBeCloseTo(Math.cos(0.5), 6);
  });

  it('hits carry the metadata the catalogue recorded for them (null where not read yet)', async () => {
    const { hits } = await searcher.similarToId(1, 2);
    expect(hits.map((hit) => [hit.id, hit.metadata])).toEqual([
      [2, PHOTO_2],
      [3, null],
    ]);
  });

  it('gives the same answer by id and by path', async () => {
    expect((await searcher.similarToId(3, 3)).hits).toEqual((await searcher.similarTo('/photos/3.jpg', 3)).hits);
  });

  it('refuses an unknown or invalid id with a message naming it', async () => {
    await expect(searcher.similarToId(99, 2)).rejects.toThrow(new InvalidSearchError('No indexed image has id 99'));
    await expect(searcher.similarToId(Number.NaN, 2)).rejects.toThrow(InvalidSearchError);
  });

  it('leaves out hits below minScore (possibly fewer than k)', async () => {
    const all = await searcher.searchText('anything', 4);
    expect(all.hits).toHaveLength(4);
    const filtered = await searcher.searchText('anything', 4, { minScore: 0.3 });
    expect(filtered.hits.map((hit) => hit.id)).toEqual([1, 2, 3]);
    const similar = await searcher.similarToId(1, 3, { minScore: 0.5 });
    expect(similar.hits.map((hit) => hit.id)).toEqual([2]);
  });

  it("applies the model's default minScore to a text query that gives none (asked per query), never to image queries", async () => {
    let fallback: number | undefined = 0.5;
    const withDefault = new Searcher(library, embedder, async () => ({ pixelValues: new Float32Array(3), width: 1, height: 1 }), {
      maxResults: 10,
      defaultMinScore: () => fallback,
    });
    const text = await withDefault.searchText('anything', 4);
    expect(text.hits.map((hit) => hit.id)).toEqual([1, 2]);
    expect(text.minScore).toBe(0.5);
    // The caller's threshold wins, -1 keeps everything.
    expect((await withDefault.searchText('anything', 4, { minScore: -1 })).hits).toHaveLength(4);
    expect((await withDefault.searchText('anything', 4, { minScore: 0.3 })).minScore).toBe(0.3);
    expect((await withDefault.searchImage(Buffer.from('x'), 4)).hits).toHaveLength(4);
    expect((await withDefault.similarToId(1, 3)).minScore).toBeUndefined();
    // Composite queries: texts looked for get the default; a term looked away from (or an image) moves the scale: none.
    expect((await withDefault.searchTerms([{ kind: 'text', text: 'a', weight: 1 }, { kind: 'text', text: 'b', weight: 2 }], 4)).minScore).toBe(0.5);
    expect((await withDefault.searchTerms([{ kind: 'text', text: 'a', weight: 1 }, { kind: 'text', text: 'b', weight: -0.5 }], 4)).minScore).toBeUndefined();
    expect((await withDefault.searchTerms([{ kind: 'text', text: 'a', weight: 1 }, { kind: 'indexed', id: 2, weight: 1 }], 4)).minScore).toBeUndefined();
    fallback = undefined;
    const none = await withDefault.searchText('anything', 4);
    expect(none.hits).toHaveLength(4);
    expect(none).not.toHaveProperty('minScore');
  });

  it('exclusive(change) waits for the searches running, and holds new ones until it has run (a model switch)', async () => {
    const order: string[] = [];
    let unblock: () => void = () => undefined;
    const blocked = new Promise<void>((resolve) => (unblock = resolve));
    const slow: Embedder = { ...embedder, embedTexts: async (texts) => (await blocked, texts.map(() => Float32Array.from([1, 0]))) };
    const watched: LibraryReader = {
      ...library,
      search: (query, k) => (order.push(`search ${k}`), library.search(query, k)),
      getById: (id) => (order.push('lookup'), library.getById(id)),
    };
    const gated = new Searcher(watched, slow, async () => ({ pixelValues: new Float32Array(3), width: 1, height: 1 }), { maxResults: 10 });
    const first = gated.searchText('before', 2);
    const switched = gated.exclusive(() => order.push('switch'));
    const second = gated.similarToId(1, 4);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(order).toEqual([]);
    unblock();
    await Promise.all([first, switched, second]);
    // The text search ends before the switch; the similar search starts (looks its image up) only after it.
    expect(order).toEqual(['search 2', 'switch', 'lookup', 'search 5']);
  });

  it.each([1.5, -2, Number.NaN])('refuses minScore %p', async (minScore) => {
    await expect(searcher.searchText('a dog', 4, { minScore })).rejects.toThrow(/minScore must be a number from -1 to 1/);
  });
});
