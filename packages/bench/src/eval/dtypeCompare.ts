/**
 * pnpm eval --compare-dtype <dtype>: how much of fp32's top-K another precision keeps, per caption, on
 * the user's own photos and captions (8-bit CLIP vision towers are reported to lose quality on
 * trained weights; this measures it on the data that matters to the user).
 */

/** Indices of the k largest scores of each row of a [rows, columns] matrix, best first (ties: lower index first). */
export function topKRows(scores: Float32Array, rows: number, columns: number, k: number): Int32Array[] {
  const keep = Math.min(k, columns);
  const result: Int32Array[] = [];
  for (let r = 0; r < rows; r++) {
    const offset = r * columns;
    const best: number[] = [];
    for (let c = 0; c < columns; c++) {
      const score = scores[offset + c]!;
      if (best.length === keep && score <= scores[offset + best[keep - 1]!]!) continue;
      let at = best.length;
      while (at > 0 && score > scores[offset + best[at - 1]!]!) at--;
      best.splice(at, 0, c);
      if (best.length > keep) best.pop();
    }
    result.push(Int32Array.from(best));
  }
  return result;
}

export interface TopKOverlap {
  k: number;
  queries: number;
  /** Mean over queries of |top-K(a) ∩ top-K(b)| / K. */
  meanOverlap: number;
  /** Fraction of queries whose top-1 is the same. */
  sameTop1: number;
  /** Fraction of queries whose top-K sets are identical. */
  identicalSets: number;
  /** How many queries kept 0, 1, ..., K of the reference top-K. */
  histogram: number[];
}

export function topKOverlap(reference: Int32Array[], other: Int32Array[], k: number): TopKOverlap {
  if (reference.length !== other.length) throw new RangeError(`${reference.length} reference rows, ${other.length} others`);
  const histogram = new Array<number>(k + 1).fill(0);
  let sum = 0;
  let sameTop1 = 0;
  let identical = 0;
  reference.forEach((ref, i) => {
    const theirs = new Set(other[i]);
    const kept = Array.from(ref).filter((index) => theirs.has(index)).length;
    const denominator = Math.min(k, ref.length);
    sum += denominator > 0 ? kept / denominator : 1;
    histogram[kept]!++;
    if (ref[0] === other[i]![0]) sameTop1++;
    if (kept === denominator) identical++;
  });
  const n = Math.max(1, reference.length);
  return { k, queries: reference.length, meanOverlap: sum / n, sameTop1: sameTop1 / n, identicalSets: identical / n, histogram };
}
