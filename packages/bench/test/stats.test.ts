import { mean, median, percentile, runStats, spread, summarize } from '../src/stats';

const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

describe('percentile (linear interpolation between order statistics, as numpy)', () => {
  it('gives the known values for 1..100', () => {
    expect(percentile(oneToHundred, 50)).toBeCloseTo(50.5, 12);
    expect(percentile(oneToHundred, 95)).toBeCloseTo(95.05, 12);
    expect(percentile(oneToHundred, 99)).toBeCloseTo(99.01, 12);
    expect(percentile(oneToHundred, 0)).toBe(1);
    expect(percentile(oneToHundred, 100)).toBe(100);
  });

  it('interpolates between two values', () => {
    expect(percentile([10, 20], 25)).toBeCloseTo(12.5, 12);
    expect(percentile([10, 20], 95)).toBeCloseTo(19.5, 12);
  });

  it('handles a single value and unsorted input without modifying it', () => {
    expect(percentile([7], 99)).toBe(7);
    const values = [5, 1, 4, 2, 3];
    expect(percentile(values, 50)).toBe(3);
    expect(values).toEqual([5, 1, 4, 2, 3]);
  });

  it('p99 of 200 latencies is pulled up by the two slowest', () => {
    const latencies = [...Array.from({ length: 198 }, () => 10), 100, 1000];
    // position 0.99 * 199 = 197.01: between the last 10 and the 100
    expect(percentile(latencies, 99)).toBeCloseTo(10 + 0.01 * 90, 9);
    expect(percentile(latencies, 95)).toBe(10);
  });

  it('refuses empty input, non-finite values and percentiles outside 0..100', () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1, Number.NaN], 50)).toThrow(RangeError);
    expect(() => percentile([1, Infinity], 50)).toThrow(RangeError);
    expect(() => percentile([1], -1)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
});

describe('median, mean, summarize', () => {
  it('median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('mean', () => {
    expect(mean([1, 2, 3, 10])).toBe(4);
  });

  it('summarize gives every figure at once', () => {
    expect(summarize(oneToHundred)).toEqual({
      n: 100,
      min: 1,
      max: 100,
      mean: 50.5,
      median: 50.5,
      p95: expect.closeTo(95.05, 9) as number,
      p99: expect.closeTo(99.01, 9) as number,
    });
  });

  it('runStats keeps the per-run values and spread measures the noise', () => {
    const stats = runStats([18, 16, 20]);
    expect(stats).toEqual({ median: 18, min: 16, max: 20, values: [18, 16, 20] });
    expect(spread(stats)).toBeCloseTo(4 / 18, 12);
    expect(spread(runStats([5]))).toBe(0);
  });
});
