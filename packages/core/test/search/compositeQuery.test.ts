import { ClipEmbedder, InvalidSearchError, Searcher, defaultConfig, prepareClipImage, weightedUnitSum, type LibraryReader, type QueryTerm } from '../../src';
import { loadReference } from '../helpers/reference';
import { tinyModelDir } from '../helpers/shared';

/** Σ w·v/|v| scaled to unit length, in float64: the test's own arithmetic, independent of weightedUnitSum. */
function expectedVector(parts: { vector: Float32Array; weight: number }[]): number[] {
  const sum = new Array<number>(parts[0]!.vector.length).fill(0);
  for (const { vector, weight } of parts) {
    const norm = Math.hypot(...vector);
    vector.forEach((value, d) => (sum[d]! += (weight * value) / norm));
  }
  const norm = Math.hypot(...sum);
  return sum.map((value) => value / norm);
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < a.length; i++) total += a[i]! * b[i]!;
  return total;
}

describe('weightedUnitSum', () => {
  it('sums unit vectors with their weights and scales the sum to unit length', () => {
    const sum = weightedUnitSum([Float32Array.from([3, 0]), Float32Array.from([0, 0.5])], [1, 1]);
    expect(Array.from(sum)).toEqual([expect.closeTo(Math.SQRT1_2, 7), expect.closeTo(Math.SQRT1_2, 7)]);
    const weighted = weightedUnitSum([Float32Array.from([1, 0]), Float32Array.from([0, 1])], [2, 1]);
    expect(weighted[0]! / weighted[1]!).toBeCloseTo(2, 6);
    expect(Math.hypot(...weighted)).toBeCloseTo(1, 6);
  });

  it('subtracts negative terms, and a single term of any positive weight is that term', () => {
    const [x, y] = weightedUnitSum([Float32Array.from([1, 0]), Float32Array.from([Math.SQRT1_2, Math.SQRT1_2])], [1, -1]);
    // (1, 0) - (0.707, 0.707) = (0.293, -0.707), normalised.
    expect(x).toBeCloseTo(0.2929 / Math.hypot(0.2929, 0.7071), 3);
    expect(y).toBeLessThan(0);
    expect(Array.from(weightedUnitSum([Float32Array.from([0, 4])], [2.5]))).toEqual([0, 1]);
    expect(weightedUnitSum([Float32Array.from([0, 4])], [-1])[1]).toBe(-1);
  });

  it('refuses a sum that cancels out', () => {
    const v = Float32Array.from([0.6, 0.8]);
    expect(() => weightedUnitSum([v, v], [1, -1])).toThrow(new InvalidSearchError('The terms cancel out: their weighted sum is (nearly) zero, so it points nowhere. Change a weight or remove a term'));
    expect(() => weightedUnitSum([v, Float32Array.from([1.2, 1.6]), v], [1, -0.5, -0.5])).toThrow(/cancel out/);
  });
});

/**
 * The real tiny CLIP model embeds the terms; the library holds the Python reference embeddings of the 64 square
 * reference photos; expected scores come from the reference embeddings of the same texts and photos. So every
 * figure the searcher returns is checked against vectors it did not compute.
 */
describe('Searcher.searchTerms against the Python reference embeddings', () => {
  const reference = loadReference(tinyModelDir);
  const photos = reference.images.filter((image) => image.orig_size_wh[0] === image.orig_size_wh[1]);
  const idOf = (photoIndex: number) => photoIndex + 1;
  const stored = (id: number) => reference.imageEmbeds[photos[id - 1]!.index]!;
  const library: LibraryReader = {
    count: () => photos.length,
    search(query, k) {
      return photos
        .map((photo, i) => ({ image: { id: idOf(i), path: photo.path, width: 224, height: 224 }, score: dot(query, reference.imageEmbeds[photo.index]!) / Math.hypot(...reference.imageEmbeds[photo.index]!) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, k);
    },
    searchAmong(query, k, ids) {
      return this.search(query, photos.length).filter((hit) => ids.includes(hit.image.id)).slice(0, k);
    },
    getByPath: () => undefined,
    getById: (id) => (Number.isInteger(id) && id >= 1 && id <= photos.length ? { id, embedding: stored(id) } : undefined),
    filterableImages: () => [],
    filterableImagesByIds: () => new Map(),
  };
  let searcher: Searcher;

  beforeAll(async () => {
    const embedder = await ClipEmbedder.load({ model: tinyModelDir, offline: true, dataDir: '/nonexistent-data-dir', device: 'cpu', threads: 0 });
    const limits = { maxPixels: defaultConfig.maxPixels };
    searcher = new Searcher(library, embedder, (source, spec) => prepareClipImage(source, spec, limits), { maxResults: 100, maxTerms: 8 });
  }, 120_000);

  /** Every photo's expected cosine with the expected query vector, best first, the excluded ids left out. */
  function expectedRanking(vector: number[], excluded: number[] = []): { id: number; score: number }[] {
    return photos
      .map((_, i) => ({ id: idOf(i), score: dot(vector, stored(idOf(i))) / Math.hypot(...stored(idOf(i))) }))
      .filter(({ id }) => !excluded.includes(id))
      .sort((a, b) => b.score - a.score);
  }

  /** The hits are the expected top k: each score within 1e-4 of its expected cosine, no better photo left out. */
  async function expectRanking(terms: QueryTerm[], expected: { id: number; score: number }[], k = 10): Promise<void> {
    const { hits } = await searcher.searchTerms(terms, k);
    expect(hits).toHaveLength(k);
    const expectedScore = new Map(expected.map(({ id, score }) => [id, score]));
    for (const hit of hits) expect(Math.abs(hit.score - expectedScore.get(hit.id)!)).toBeLessThan(1e-4);
    // Ties within the parity tolerance may swap; anything clearly better than the k-th hit must be in.
    const kth = hits[k - 1]!.score;
    const mustBeIn = expected.filter(({ score }) => score > kth + 2e-4).map(({ id }) => id);
    expect(hits.map((hit) => hit.id)).toEqual(expect.arrayContaining(mustBeIn));
    expect(hits.map((hit) => hit.score)).toEqual([...hits.map((hit) => hit.score)].sort((a, b) => b - a));
  }

  const text = (i: number) => ({ kind: 'text' as const, text: reference.texts[i]!.text });
  const textRef = (i: number) => reference.textEmbeds[i]!;

  it('a weighted sum of texts', async () => {
    const terms: QueryTerm[] = [{ ...text(3), weight: 1 }, { ...text(7), weight: 2 }, { ...text(11), weight: 0.5 }];
    await expectRanking(terms, expectedRanking(expectedVector([{ vector: textRef(3), weight: 1 }, { vector: textRef(7), weight: 2 }, { vector: textRef(11), weight: 0.5 }])));
  }, 60_000);

  it('negative terms subtract (and change the ranking)', async () => {
    const plus = expectedRanking(expectedVector([{ vector: stored(5), weight: 1 }]), [5]);
    const minusVector = expectedVector([{ vector: stored(5), weight: 1 }, { vector: stored(plus[0]!.id), weight: -1 }]);
    const minus = expectedRanking(minusVector, [5, plus[0]!.id]);
    expect(minus.slice(0, 5).map(({ id }) => id)).not.toEqual(plus.slice(1, 6).map(({ id }) => id));
    await expectRanking([{ kind: 'indexed', id: 5, weight: 1 }, { kind: 'indexed', id: plus[0]!.id, weight: -1 }], minus);
    await expectRanking([{ ...text(0), weight: 1 }, { ...text(20), weight: -0.7 }], expectedRanking(expectedVector([{ vector: textRef(0), weight: 1 }, { vector: textRef(20), weight: -0.7 }])));
  }, 60_000);

  it('text and images together: a text, an indexed image and an image file', async () => {
    const file = reference.images.find((image) => image.orig_size_wh[0] !== image.orig_size_wh[1])!;
    const terms: QueryTerm[] = [
      { ...text(9), weight: 1 },
      { kind: 'indexed', id: 12, weight: 0.5 },
      { kind: 'image', image: file.absolutePath, name: file.path, weight: -0.25 },
    ];
    const vector = expectedVector([
      { vector: textRef(9), weight: 1 },
      { vector: stored(12), weight: 0.5 },
      { vector: reference.imageEmbeds[file.index]!, weight: -0.25 },
    ]);
    await expectRanking(terms, expectedRanking(vector, [12]));
  }, 60_000);

  it('keeps scores cosines: scaling every weight changes nothing, one text term is searchText', async () => {
    const once = await searcher.searchTerms([{ ...text(2), weight: 1 }, { kind: 'indexed', id: 30, weight: 1 }], 8);
    const scaled = await searcher.searchTerms([{ ...text(2), weight: 3 }, { kind: 'indexed', id: 30, weight: 3 }], 8);
    expect(scaled.hits.map((hit) => hit.id)).toEqual(once.hits.map((hit) => hit.id));
    scaled.hits.forEach((hit, i) => expect(hit.score).toBeCloseTo(once.hits[i]!.score, 6));
    for (const hit of once.hits) expect(Math.abs(hit.score)).toBeLessThanOrEqual(1);
    const single = await searcher.searchTerms([{ ...text(4), weight: 2 }], 8);
    const plain = await searcher.searchText(reference.texts[4]!.text, 8);
    expect(single.hits.map((hit) => hit.id)).toEqual(plain.hits.map((hit) => hit.id));
    single.hits.forEach((hit, i) => expect(hit.score).toBeCloseTo(plain.hits[i]!.score, 6));
  }, 60_000);

  it('leaves indexed images used as terms out of the hits, and still returns k', async () => {
    const { hits } = await searcher.searchTerms([{ kind: 'indexed', id: 1, weight: 1 }, { kind: 'indexed', id: 2, weight: 1 }], 10);
    expect(hits).toHaveLength(10);
    expect(hits.map((hit) => hit.id)).not.toContain(1);
    expect(hits.map((hit) => hit.id)).not.toContain(2);
  });

  it.each<[string, QueryTerm[], RegExp]>([
    ['no terms', [], /has no terms/],
    ['too many terms', Array.from({ length: 9 }, () => ({ kind: 'text', text: 'a dog', weight: 1 })), /has 9 terms; the limit is 8/],
    ['weight 0', [{ kind: 'text', text: 'a dog', weight: 0 }], /term 1 \(text "a dog"\): the weight must be a finite number other than 0 \(got 0\)/],
    ['weight NaN', [{ kind: 'text', text: 'a dog', weight: 1 }, { kind: 'indexed', id: 3, weight: Number.NaN }], /term 2 \(image id 3\): the weight must be .* \(got NaN\)/],
    ['weight Infinity', [{ kind: 'text', text: 'a dog', weight: Number.POSITIVE_INFINITY }], /got Infinity/],
    ['an empty text', [{ kind: 'text', text: '  ', weight: 1 }], /term 1 \(text " {2}"\): the text is empty/],
    ['a text over the length limit', [{ kind: 'text', text: 'x'.repeat(1001), weight: 1 }], /the text is 1001 characters long; the limit is 1000/],
    ['an unknown image id', [{ kind: 'text', text: 'a dog', weight: 1 }, { kind: 'indexed', id: 999, weight: -1 }], /term 2 \(image id 999\): no indexed image has this id/],
    ['a file that is not an image', [{ kind: 'image', image: Buffer.from('not an image'), weight: 1 }], /term 1 \(uploaded image\): /],
    ['a missing file', [{ kind: 'image', image: '/nonexistent/pool.jpg', name: './pool.jpg', weight: 1 }], /term 1 \(image \.\/pool\.jpg\): /],
    ['a term with a label', [{ kind: 'text', text: 'a dog', weight: 1 }, { kind: 'text', text: 'snow', weight: 0, label: 'terms[0]' }], /^terms\[0\] \(text "snow"\): the weight/],
    ['terms that cancel out', [{ kind: 'text', text: 'a dog', weight: 1 }, { kind: 'text', text: 'a dog', weight: -1 }], /cancel out/],
    ['an image that cancels itself', [{ kind: 'indexed', id: 4, weight: 2 }, { kind: 'indexed', id: 4, weight: -2 }], /cancel out/],
  ])('refuses %s with an InvalidSearchError naming the term', async (_, terms, message) => {
    const search = searcher.searchTerms(terms, 5);
    await expect(search).rejects.toThrow(InvalidSearchError);
    await expect(searcher.searchTerms(terms, 5)).rejects.toThrow(message);
  });
});
