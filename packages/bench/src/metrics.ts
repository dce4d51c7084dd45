/**
 * Retrieval metrics for a captioned image set, computed from a caption x image similarity matrix.
 *
 * Ranks are 1-based and PESSIMISTIC about ties: a wrong item that scores exactly as high as the right
 * one counts as ranked above it (so a model that gives every image the same score gets the worst rank,
 * never the best). The optimistic rank (ties broken in the model's favour) is computed too, and the
 * number of queries whose rank depends on tie-breaking is reported as `ties`. A NaN score never beats
 * anything; a NaN score for the right answer ranks it last.
 *
 * Text-to-image: each caption is a query over all indexed images; it is correct if its own image is
 * within the top K. A caption whose image is not in the index (missing file, skipped as corrupt) has
 * no rank: it counts as a miss in recall@K (the denominator is every caption) and is left out of the
 * mean and median rank; `missing` says how many there were.
 *
 * Image-to-text: each indexed image that has at least one caption is a query over all captions
 * (including those of images missing from the index, which act as distractors); it is correct if ANY
 * of its captions is within the top K (the usual definition, as in CLIP_benchmark).
 */
import { median } from './stats';

export const DEFAULT_KS = [1, 5, 10] as const;

export interface SimilarityMatrix {
  /** scores[c * numImages + i] is the similarity of caption c to image i. */
  scores: ArrayLike<number>;
  numCaptions: number;
  numImages: number;
  /** For each caption, the index of its image in the gallery, or -1 when that image is not indexed. */
  captionImage: ArrayLike<number>;
}

export interface RetrievalMetrics {
  /** Queries evaluated (text-to-image: every caption, missing ones included; image-to-text: indexed images with captions). */
  queries: number;
  /** Text-to-image: captions whose image is not in the index (counted as misses). Image-to-text: always 0. */
  missing: number;
  /** recall[K] in [0, 1]: the fraction of queries whose right answer is within the top K. */
  recall: Record<string, number>;
  /** Same with ties broken in the model's favour (equal to `recall` when there are no ties). */
  recallOptimistic: Record<string, number>;
  /** Expected recall[K] of a ranking drawn at random, for the same queries. */
  chance: Record<string, number>;
  /** Over queries that have a rank (missing captions excluded); null when none has. */
  meanRank: number | null;
  medianRank: number | null;
  /** Queries whose pessimistic and optimistic ranks differ. */
  ties: number;
}

export interface Rank {
  pessimistic: number;
  optimistic: number;
}

/**
 * Rank of the best-scoring correct item among `count` scored items: 1 + the number of wrong items
 * scoring higher (optimistic) or higher-or-equal (pessimistic) than it.
 */
export function rankAmong(count: number, score: (item: number) => number, isCorrect: (item: number) => boolean): Rank {
  let best = Number.NEGATIVE_INFINITY;
  let anyCorrect = false;
  let correctIsNaN = false;
  for (let item = 0; item < count; item++) {
    if (!isCorrect(item)) continue;
    anyCorrect = true;
    const value = score(item);
    if (Number.isNaN(value)) correctIsNaN = true;
    else if (value > best) best = value;
  }
  if (!anyCorrect) throw new RangeError('rankAmong: no correct item');
  let wrong = 0;
  let above = 0;
  let tied = 0;
  for (let item = 0; item < count; item++) {
    if (isCorrect(item)) continue;
    wrong++;
    const value = score(item);
    if (value > best) above++;
    else if (value === best) tied++;
  }
  // Every correct score NaN: it ranks after every wrong item.
  if (best === Number.NEGATIVE_INFINITY && correctIsNaN) return { pessimistic: wrong + 1, optimistic: wrong + 1 };
  return { pessimistic: above + tied + 1, optimistic: above + 1 };
}

/** Fraction of queries ranked within the top k; `null` ranks (no answer in the index) are misses. */
export function recallAtK(ranks: readonly (number | null)[], k: number): number {
  if (ranks.length === 0) return 0;
  let hits = 0;
  for (const rank of ranks) if (rank !== null && rank <= k) hits++;
  return hits / ranks.length;
}

/** Probability that a random ranking of `total` items puts at least one of `correct` right items in the top k. */
export function chanceRecallAtK(k: number, total: number, correct = 1): number {
  if (correct <= 0 || total <= 0) return 0;
  if (k >= total - correct + 1) return 1;
  let allWrong = 1;
  for (let j = 0; j < k; j++) allWrong *= (total - correct - j) / (total - j);
  return 1 - allWrong;
}

function assertShape(matrix: SimilarityMatrix): void {
  const { scores, numCaptions, numImages, captionImage } = matrix;
  if (scores.length !== numCaptions * numImages) {
    throw new RangeError(`scores has ${scores.length} values, expected ${numCaptions} x ${numImages}`);
  }
  if (captionImage.length !== numCaptions) throw new RangeError(`captionImage has ${captionImage.length} entries, expected ${numCaptions}`);
  for (let c = 0; c < numCaptions; c++) {
    const image = captionImage[c]!;
    if (!Number.isInteger(image) || image < -1 || image >= numImages) throw new RangeError(`caption ${c}: image index ${image} out of range`);
  }
}

function summariseRanks(
  ranks: readonly (Rank | null)[],
  ks: readonly number[],
  chanceOf: (k: number) => number,
  missing: number,
): RetrievalMetrics {
  const pessimistic = ranks.map((rank) => rank?.pessimistic ?? null);
  const optimistic = ranks.map((rank) => rank?.optimistic ?? null);
  const found = pessimistic.filter((rank): rank is number => rank !== null);
  const keyed = (f: (k: number) => number) => Object.fromEntries(ks.map((k) => [String(k), f(k)]));
  return {
    queries: ranks.length,
    missing,
    recall: keyed((k) => recallAtK(pessimistic, k)),
    recallOptimistic: keyed((k) => recallAtK(optimistic, k)),
    chance: keyed(chanceOf),
    meanRank: found.length > 0 ? found.reduce((sum, rank) => sum + rank, 0) / found.length : null,
    medianRank: found.length > 0 ? median(found) : null,
    ties: ranks.filter((rank) => rank !== null && rank.pessimistic !== rank.optimistic).length,
  };
}

/** Text-to-image retrieval: one query per caption, over all indexed images. */
export function textToImageRanks(matrix: SimilarityMatrix): (Rank | null)[] {
  assertShape(matrix);
  const { scores, numCaptions, numImages, captionImage } = matrix;
  const ranks: (Rank | null)[] = [];
  for (let c = 0; c < numCaptions; c++) {
    const target = captionImage[c]!;
    const offset = c * numImages;
    ranks.push(target < 0 ? null : rankAmong(numImages, (i) => scores[offset + i]!, (i) => i === target));
  }
  return ranks;
}

export function textToImage(matrix: SimilarityMatrix, ks: readonly number[] = DEFAULT_KS): RetrievalMetrics {
  const ranks = textToImageRanks(matrix);
  const found = ranks.filter((rank) => rank !== null).length;
  const n = matrix.numImages;
  return summariseRanks(ranks, ks, (k) => (ranks.length === 0 ? 0 : (found / ranks.length) * chanceRecallAtK(k, n)), ranks.length - found);
}

/** Image-to-text retrieval: one query per indexed image that has captions, over all captions. Indexed by image; null for images without captions. */
export function imageToTextRanks(matrix: SimilarityMatrix): (Rank | null)[] {
  assertShape(matrix);
  const { scores, numCaptions, numImages, captionImage } = matrix;
  const captionsOf: number[][] = Array.from({ length: numImages }, () => []);
  for (let c = 0; c < numCaptions; c++) if (captionImage[c]! >= 0) captionsOf[captionImage[c]!]!.push(c);
  return captionsOf.map((own, image) =>
    own.length === 0
      ? null
      : rankAmong(numCaptions, (c) => scores[c * numImages + image]!, (c) => captionImage[c] === image),
  );
}

export function imageToText(matrix: SimilarityMatrix, ks: readonly number[] = DEFAULT_KS): RetrievalMetrics {
  const byImage = imageToTextRanks(matrix);
  const correctCounts = new Array<number>(matrix.numImages).fill(0);
  for (let c = 0; c < matrix.numCaptions; c++) if (matrix.captionImage[c]! >= 0) correctCounts[matrix.captionImage[c]!]!++;
  const queries: number[] = [];
  byImage.forEach((rank, image) => {
    if (rank !== null) queries.push(image);
  });
  const ranks = queries.map((image) => byImage[image]!);
  const chanceOf = (k: number) =>
    queries.length === 0
      ? 0
      : queries.reduce((sum, image) => sum + chanceRecallAtK(k, matrix.numCaptions, correctCounts[image]!), 0) / queries.length;
  return summariseRanks(ranks, ks, chanceOf, 0);
}

/** Row-major [queries.length x gallery.length] inner products (cosines for unit vectors). */
export function similarityMatrix(queries: readonly Float32Array[], gallery: readonly Float32Array[]): Float32Array {
  const result = new Float32Array(queries.length * gallery.length);
  const dimension = queries[0]?.length ?? gallery[0]?.length ?? 0;
  for (const vector of [...queries, ...gallery]) {
    if (vector.length !== dimension) throw new RangeError(`vectors of different dimensions: ${vector.length} and ${dimension}`);
  }
  queries.forEach((query, q) => {
    const offset = q * gallery.length;
    gallery.forEach((item, i) => {
      let dot = 0;
      for (let d = 0; d < dimension; d++) dot += query[d]! * item[d]!;
      result[offset + i] = dot;
    });
  });
  return result;
}
