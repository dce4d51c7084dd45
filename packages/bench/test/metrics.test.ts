import {
  chanceRecallAtK,
  imageToText,
  imageToTextRanks,
  rankAmong,
  recallAtK,
  similarityMatrix,
  textToImage,
  textToImageRanks,
  type SimilarityMatrix,
} from '../src/metrics';
import { gaussian, seededRandom } from '../src/synthetic';

/** Builds a caption x image matrix from rows. */
function matrix(rows: number[][], captionImage: number[]): SimilarityMatrix {
  return { scores: Float64Array.from(rows.flat()), numCaptions: rows.length, numImages: rows[0]?.length ?? 0, captionImage };
}

/** Random unit vectors (seeded). */
function randomUnitVectors(count: number, dimension: number, seed: number): Float32Array[] {
  const normal = gaussian(seededRandom(seed));
  return Array.from({ length: count }, () => {
    const v = Float32Array.from({ length: dimension }, normal);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

/** a + noise, normalised. */
function near(vector: Float32Array, noise: number, seed: number): Float32Array {
  const normal = gaussian(seededRandom(seed));
  const v = vector.map((x) => x + noise * normal());
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

describe('rankAmong', () => {
  it('ranks the right item by the number of wrong items above it (1-based)', () => {
    const scores = [0.1, 0.9, 0.5, 0.3];
    expect(rankAmong(4, (i) => scores[i]!, (i) => i === 1)).toEqual({ pessimistic: 1, optimistic: 1 });
    expect(rankAmong(4, (i) => scores[i]!, (i) => i === 3)).toEqual({ pessimistic: 3, optimistic: 3 });
    expect(rankAmong(4, (i) => scores[i]!, (i) => i === 0)).toEqual({ pessimistic: 4, optimistic: 4 });
  });

  it('counts ties against the model (pessimistic) and reports the optimistic rank too', () => {
    const scores = [0.5, 0.7, 0.5, 0.5];
    expect(rankAmong(4, (i) => scores[i]!, (i) => i === 0)).toEqual({ pessimistic: 4, optimistic: 2 });
  });

  it('a constant model gets the worst rank, never the best', () => {
    expect(rankAmong(1000, () => 0.25, (i) => i === 0)).toEqual({ pessimistic: 1000, optimistic: 1 });
  });

  it('uses the best of several right items', () => {
    const scores = [0.2, 0.8, 0.6, 0.9, 0.1];
    // right: 0 and 2 (best 0.6); wrong above: 0.8, 0.9
    expect(rankAmong(5, (i) => scores[i]!, (i) => i === 0 || i === 2)).toEqual({ pessimistic: 3, optimistic: 3 });
  });

  it('NaN never beats anything, and a NaN right answer ranks last', () => {
    const scores = [Number.NaN, 0.5, 0.4];
    expect(rankAmong(3, (i) => scores[i]!, (i) => i === 1)).toEqual({ pessimistic: 1, optimistic: 1 });
    expect(rankAmong(3, (i) => scores[i]!, (i) => i === 0)).toEqual({ pessimistic: 3, optimistic: 3 });
  });

  it('refuses a query without a right answer', () => {
    expect(() => rankAmong(3, () => 0, () => false)).toThrow(RangeError);
  });
});

describe('recallAtK and chance', () => {
  it('recall counts ranks <= K over all queries, missing ones as misses', () => {
    const ranks = [1, 2, 5, 11, null];
    expect(recallAtK(ranks, 1)).toBeCloseTo(1 / 5, 12);
    expect(recallAtK(ranks, 5)).toBeCloseTo(3 / 5, 12);
    expect(recallAtK(ranks, 10)).toBeCloseTo(3 / 5, 12);
    expect(recallAtK(ranks, 11)).toBeCloseTo(4 / 5, 12);
    expect(recallAtK([], 1)).toBe(0);
  });

  it('chance recall: K/N for one right item, hypergeometric for several', () => {
    expect(chanceRecallAtK(5, 1000)).toBeCloseTo(0.005, 12);
    expect(chanceRecallAtK(1, 5000, 5)).toBeCloseTo(5 / 5000, 12);
    // 1 - C(4995, 10) / C(5000, 10)
    let allWrong = 1;
    for (let j = 0; j < 10; j++) allWrong *= (4995 - j) / (5000 - j);
    expect(chanceRecallAtK(10, 5000, 5)).toBeCloseTo(1 - allWrong, 12);
    expect(chanceRecallAtK(3, 3)).toBe(1);
    expect(chanceRecallAtK(2, 5, 4)).toBe(1);
    expect(chanceRecallAtK(5, 10, 0)).toBe(0);
  });

  it('random scores land near the chance level', () => {
    const random = seededRandom(7);
    const numImages = 50;
    const numCaptions = 4000;
    const rows = Array.from({ length: numCaptions }, () => Array.from({ length: numImages }, random));
    const result = textToImage(matrix(rows, Array.from({ length: numCaptions }, (_, c) => c % numImages)), [1, 5, 10]);
    expect(result.chance['5']).toBeCloseTo(0.1, 12);
    for (const k of ['1', '5', '10']) expect(Math.abs(result.recall[k]! - result.chance[k]!)).toBeLessThan(0.02);
    expect(Math.abs(result.meanRank! - 25.5)).toBeLessThan(1);
  });
});

describe('textToImage', () => {
  it('gives the recall and ranks of a hand-built matrix', () => {
    // 4 images; captions 0-3 belong to images 0-3, caption 4 to image 0.
    const m = matrix(
      [
        [0.9, 0.1, 0.2, 0.3], // rank 1
        [0.8, 0.7, 0.1, 0.2], // rank 2
        [0.5, 0.6, 0.4, 0.3], // rank 3
        [0.9, 0.8, 0.7, 0.1], // rank 4
        [0.2, 0.3, 0.4, 0.5], // rank 4
      ],
      [0, 1, 2, 3, 0],
    );
    expect(textToImageRanks(m).map((r) => r?.pessimistic)).toEqual([1, 2, 3, 4, 4]);
    const result = textToImage(m, [1, 2, 3]);
    expect(result.recall).toEqual({ '1': 0.2, '2': 0.4, '3': 0.6 });
    expect(result.meanRank).toBeCloseTo(14 / 5, 12);
    expect(result.medianRank).toBe(3);
    expect(result.queries).toBe(5);
    expect(result.missing).toBe(0);
    expect(result.ties).toBe(0);
  });

  it('captions whose image is missing from the index are misses, and have no rank', () => {
    const m = matrix(
      [
        [0.9, 0.1], // image 0: rank 1
        [0.1, 0.9], // image 1: rank 1
        [0.5, 0.5], // image not indexed
        [0.2, 0.3], // image not indexed
      ],
      [0, 1, -1, -1],
    );
    const result = textToImage(m, [1, 2]);
    expect(result.missing).toBe(2);
    expect(result.queries).toBe(4);
    expect(result.recall).toEqual({ '1': 0.5, '2': 0.5 }); // 2 hits of 4 captions, though K=2 covers the whole index
    expect(result.meanRank).toBe(1);
    expect(result.medianRank).toBe(1);
    // a random ranking would also get the found captions right half the time at K=1, and never the missing ones
    expect(result.chance['1']).toBeCloseTo(0.5 * 0.5, 12);
  });

  it('when no caption has an indexed image, recall is 0 and ranks are null', () => {
    const result = textToImage(matrix([[0.3, 0.2]], [-1]), [1]);
    expect(result).toMatchObject({ queries: 1, missing: 1, recall: { '1': 0 }, meanRank: null, medianRank: null });
  });

  it('exact ties are counted against the model and reported', () => {
    const m = matrix(
      [
        [0.5, 0.5, 0.1], // tie with image 1: pessimistic 2, optimistic 1
        [0.1, 0.9, 0.2],
      ],
      [0, 1],
    );
    const result = textToImage(m, [1]);
    expect(result.recall['1']).toBe(0.5);
    expect(result.recallOptimistic['1']).toBe(1);
    expect(result.ties).toBe(1);
  });

  it('refuses a matrix of the wrong shape or out-of-range image indices', () => {
    expect(() => textToImage({ scores: [1, 2, 3], numCaptions: 2, numImages: 2, captionImage: [0, 1] })).toThrow(RangeError);
    expect(() => textToImage(matrix([[1, 2]], [2]))).toThrow(RangeError);
    expect(() => textToImage(matrix([[1, 2]], [-2]))).toThrow(RangeError);
  });
});

describe('imageToText', () => {
  it('is a hit when ANY of the image\'s captions is in the top K', () => {
    // 2 images, 3 captions each: 0-2 -> image 0, 3-5 -> image 1. Columns are images.
    const m = matrix(
      [
        [0.1, 0.3], // c0 (image 0)
        [0.2, 0.2], // c1 (image 0)
        [0.6, 0.1], // c2 (image 0): image 0's best, 0.6
        [0.9, 0.4], // c3 (image 1): beats image 0's best -> image 0 rank 2
        [0.3, 0.5], // c4 (image 1): image 1's best, 0.5
        [0.4, 0.05], // c5 (image 1)
      ],
      [0, 0, 0, 1, 1, 1],
    );
    // image 1: wrong captions scoring >= 0.5: none -> rank 1
    expect(imageToTextRanks(m).map((r) => r?.pessimistic)).toEqual([2, 1]);
    const result = imageToText(m, [1, 2]);
    expect(result.queries).toBe(2);
    expect(result.recall).toEqual({ '1': 0.5, '2': 1 });
    expect(result.meanRank).toBe(1.5);
    expect(result.chance['1']).toBeCloseTo(3 / 6, 12);
  });

  it('leaves out images without captions and keeps captions of missing images as distractors', () => {
    const m = matrix(
      [
        [0.9, 0.0, 0.1], // -> image 0
        [0.95, 0.5, 0.2], // image not indexed: still outranks image 0's caption for image 0
        [0.1, 0.8, 0.3], // -> image 1
      ],
      [0, -1, 1],
    );
    const ranks = imageToTextRanks(m);
    expect(ranks.map((r) => r?.pessimistic ?? null)).toEqual([2, 1, null]); // image 2 has no caption
    const result = imageToText(m, [1]);
    expect(result.queries).toBe(2);
    expect(result.recall['1']).toBe(0.5);
  });
});

describe('end to end on synthetic embeddings with known answers', () => {
  const dimension = 64;
  const images = randomUnitVectors(40, dimension, 1);
  // five captions per image, each close to its image
  const captionImage = images.flatMap((_, i) => [i, i, i, i, i]);
  const captions = captionImage.map((image, c) => near(images[image]!, 0.02, 100 + c));

  it('close captions give perfect recall in both directions', () => {
    const m = { scores: similarityMatrix(captions, images), numCaptions: captions.length, numImages: images.length, captionImage };
    const t2i = textToImage(m);
    const i2t = imageToText(m);
    expect(t2i.recall).toEqual({ '1': 1, '5': 1, '10': 1 });
    expect(t2i.meanRank).toBe(1);
    expect(i2t.recall).toEqual({ '1': 1, '5': 1, '10': 1 });
    expect(i2t.queries).toBe(40);
  });

  it('a known number of wrong captions lowers recall@1 by exactly that fraction', () => {
    // The captions of images 0..9 point AWAY from their image (near its opposite): their image ranks last.
    const wrong = captions.map((vector, c) => (captionImage[c]! < 10 ? near(images[captionImage[c]!]!.map((x) => -x), 0.02, 900 + c) : vector));
    const m = { scores: similarityMatrix(wrong, images), numCaptions: wrong.length, numImages: images.length, captionImage };
    const t2i = textToImage(m, [1, 10]);
    expect(t2i.recall['1']).toBeCloseTo(30 / 40, 12);
    expect(t2i.recall['10']).toBeCloseTo(30 / 40, 12);
    expect(t2i.meanRank).toBeCloseTo((150 * 1 + 50 * 40) / 200, 12);
    expect(t2i.medianRank).toBe(1);
    expect(imageToText(m, [1]).recall['1']).toBeCloseTo(30 / 40, 12);
  });

  it('an image missing from the index: its 5 captions are misses, the others unaffected', () => {
    const kept = images.slice(1); // image 0 not indexed
    const keptIndex = captionImage.map((image) => image - 1); // image 0 -> -1
    const m = { scores: similarityMatrix(captions, kept), numCaptions: captions.length, numImages: kept.length, captionImage: keptIndex };
    const t2i = textToImage(m);
    expect(t2i.missing).toBe(5);
    expect(t2i.recall['1']).toBeCloseTo(195 / 200, 12);
    expect(t2i.meanRank).toBe(1);
    expect(imageToText(m).queries).toBe(39);
  });

  it('similarityMatrix is the row-major inner product and checks dimensions', () => {
    const a = [Float32Array.from([1, 0]), Float32Array.from([0.6, 0.8])];
    const b = [Float32Array.from([1, 0]), Float32Array.from([0, 1]), Float32Array.from([0.6, 0.8])];
    const scores = Array.from(similarityMatrix(a, b));
    [1, 0, 0.6, 0.6, 0.8, 1].forEach((expected, i) => expect(scores[i]).toBeCloseTo(expected, 6));
    expect(() => similarityMatrix([Float32Array.from([1, 0])], [Float32Array.from([1, 0, 0])])).toThrow(RangeError);
  });
});
