/**
 * Order statistics for timings. Percentiles interpolate linearly between the two nearest order
 * statistics (numpy's default, "type 7"): p0 is the minimum, p100 the maximum, p50 the median.
 */

export interface Summary {
  n: number;
  min: number;
  max: number;
  mean: number;
  median: number;
  p95: number;
  p99: number;
}

function finiteSorted(values: readonly number[]): number[] {
  if (values.length === 0) throw new RangeError('no values to summarise');
  for (const value of values) {
    if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  }
  return [...values].sort((a, b) => a - b);
}

/** Percentile of an already sorted, non-empty array. */
function percentileOfSorted(sorted: readonly number[], p: number): number {
  const position = ((sorted.length - 1) * p) / 100;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  const low = sorted[below]!;
  const high = sorted[above]!;
  return low + (high - low) * (position - below);
}

/** The p-th percentile (0..100) of finite values, by linear interpolation. The input is not modified. */
export function percentile(values: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  return percentileOfSorted(finiteSorted(values), p);
}

/** The median; for an even count, the mean of the two middle values. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function mean(values: readonly number[]): number {
  const sorted = finiteSorted(values);
  return sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = finiteSorted(values);
  return {
    n: sorted.length,
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    mean: sorted.reduce((sum, value) => sum + value, 0) / sorted.length,
    median: percentileOfSorted(sorted, 50),
    p95: percentileOfSorted(sorted, 95),
    p99: percentileOfSorted(sorted, 99),
  };
}

/** A measured quantity over repeated runs: the median is the headline, the rest shows the noise. */
export interface RunStats {
  median: number;
  min: number;
  max: number;
  values: number[];
}

export function runStats(values: readonly number[]): RunStats {
  const summary = summarize(values);
  return { median: summary.median, min: summary.min, max: summary.max, values: [...values] };
}

/** Relative spread (max - min) / median, to flag noisy measurements. 0 for a single run. */
export function spread(stats: RunStats): number {
  return stats.median === 0 ? 0 : (stats.max - stats.min) / stats.median;
}
