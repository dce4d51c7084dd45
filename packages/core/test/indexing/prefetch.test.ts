import { batchPrefetchLimits, prefetchMap } from '../../src/indexing/prefetch';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('prefetchMap', () => {
  it('yields every result in input order even when later items finish first', async () => {
    const items = [5, 1, 4, 2, 3];
    const results: number[] = [];
    for await (const value of prefetchMap(items, { concurrency: 3, lookahead: 5 }, async (n) => {
      await new Promise((resolve) => setTimeout(resolve, n * 3));
      return n * 10;
    })) {
      results.push(value);
    }
    expect(results).toEqual([50, 10, 40, 20, 30]);
  });

  it('never runs more than `concurrency` calls at once, and works ahead of a slow consumer up to `lookahead`', async () => {
    let running = 0;
    let maxRunning = 0;
    let started = 0;
    const startedWhenConsumerWasBusy: number[] = [];
    const generator = prefetchMap(Array.from({ length: 12 }, (_, i) => i), { concurrency: 2, lookahead: 6 }, async (n) => {
      started++;
      running++;
      maxRunning = Math.max(maxRunning, running);
      await tick();
      running--;
      return n;
    });
    let consumed = 0;
    for await (const _ of generator) {
      consumed++;
      await new Promise((resolve) => setTimeout(resolve, 15)); // the consumer is "running inference"
      startedWhenConsumerWasBusy.push(started - consumed);
    }
    expect(consumed).toBe(12);
    expect(maxRunning).toBe(2);
    // While the consumer was busy, work went ahead, but never more than lookahead items.
    expect(Math.max(...startedWhenConsumerWasBusy)).toBe(6);
  });

  it('handles an empty list', async () => {
    const results: number[] = [];
    for await (const value of prefetchMap([], { concurrency: 2, lookahead: 4 }, async (n: number) => n)) results.push(value);
    expect(results).toEqual([]);
  });

  it('batchPrefetchLimits: when a batch starts (the model then holds the main thread), the whole next batch has been requested', async () => {
    const batchSize = 4;
    const limits = batchPrefetchLimits(batchSize, 2);
    expect(limits).toEqual({ concurrency: 8, lookahead: 8 });
    expect(batchPrefetchLimits(4, 12)).toEqual({ concurrency: 12, lookahead: 12 });
    let started = 0;
    let consumed = 0;
    const aheadAtBatchStart: number[] = [];
    let batch = 0;
    for await (const _ of prefetchMap(Array.from({ length: 20 }, (_, i) => i), limits, async (n) => {
      started++;
      await tick();
      return n;
    })) {
      consumed++;
      if (++batch === batchSize) {
        batch = 0;
        // Requests already sent beyond this batch: what the workers can decode while the model runs.
        aheadAtBatchStart.push(started - consumed);
      }
    }
    expect(consumed).toBe(20);
    expect(aheadAtBatchStart.slice(0, 3).every((ahead) => ahead >= batchSize)).toBe(true);
  });
});
