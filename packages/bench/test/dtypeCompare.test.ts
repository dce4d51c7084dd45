import { topKOverlap, topKRows } from '../src/eval/dtypeCompare';

describe('topKRows', () => {
  it('returns the k best columns of each row, best first, lower index first on ties', () => {
    const scores = Float32Array.from([0.1, 0.9, 0.5, 0.9, 0.2, /* row 2 */ 1, 2, 3, 4, 5]);
    const rows = topKRows(scores, 2, 5, 3);
    expect(Array.from(rows[0]!)).toEqual([1, 3, 2]);
    expect(Array.from(rows[1]!)).toEqual([4, 3, 2]);
    expect(Array.from(topKRows(scores, 2, 5, 10)[1]!)).toEqual([4, 3, 2, 1, 0]);
  });
});

describe('topKOverlap', () => {
  it('counts how much of the reference top-k each query keeps', () => {
    const reference = [Int32Array.from([1, 2, 3, 4]), Int32Array.from([5, 6, 7, 8])];
    const other = [Int32Array.from([1, 2, 3, 4]), Int32Array.from([6, 9, 5, 10])];
    const overlap = topKOverlap(reference, other, 4);
    expect(overlap.meanOverlap).toBeCloseTo((1 + 0.5) / 2);
    expect(overlap.sameTop1).toBe(0.5);
    expect(overlap.identicalSets).toBe(0.5);
    expect(overlap.histogram).toEqual([0, 0, 1, 0, 1]);
  });

  it('refuses lists of different lengths', () => {
    expect(() => topKOverlap([Int32Array.from([1])], [], 1)).toThrow(RangeError);
  });
});
