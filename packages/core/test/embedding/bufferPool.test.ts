import { BufferPool } from '../../src/embedding/bufferPool';

describe('BufferPool (the model input batches)', () => {
  it('gives a returned buffer back for the same length, and a new one while it is out', () => {
    const pool = new BufferPool();
    const first = pool.take(12);
    const second = pool.take(12);
    expect(second).not.toBe(first);
    pool.give(first);
    expect(pool.take(12)).toBe(first);
    expect(pool.take(12)).not.toBe(first);
  });

  it('matches by length and keeps at most `keep` buffers, dropping the oldest', () => {
    const pool = new BufferPool(2);
    const [a, b, c] = [pool.take(4), pool.take(8), pool.take(8)];
    pool.give(a);
    pool.give(b);
    pool.give(c);
    expect(pool.take(4)).not.toBe(a);
    expect(pool.take(8)).toBe(b);
    expect(pool.take(8)).toBe(c);
    expect(pool.take(8)).toHaveLength(8);
  });
});
