import type { Embedder } from '../../src/embedding';
import { InferenceScheduler, scheduledEmbedder, type InferencePriority } from '../../src/inference';

/**
 * The scheduler's policy, on a fake clock with tasks the test finishes by hand: no real time, no timing
 * assertions. `Sim` keeps a log of which kind started when and finishes the running task after its duration.
 */
class Sim {
  clock = 0;
  readonly starts: { kind: InferencePriority; at: number }[] = [];
  private readonly running: { kind: InferencePriority; finish: () => void; ms: number }[] = [];
  readonly scheduler: InferenceScheduler;

  constructor(backgroundShare: number, concurrency = 1) {
    this.scheduler = new InferenceScheduler({ backgroundShare, concurrency, now: () => this.clock });
  }

  /** Queues one call of `ms` (fake) milliseconds; resolves with `kind` when it finishes. */
  submit(kind: InferencePriority, ms: number, fail = false): Promise<InferencePriority> {
    return this.scheduler.run(kind, () => {
      this.starts.push({ kind, at: this.clock });
      return new Promise<InferencePriority>((resolve, reject) => {
        this.running.push({ kind, ms, finish: () => (fail ? reject(new Error(`${kind} failed`)) : resolve(kind)) });
      });
    });
  }

  runningKinds(): InferencePriority[] {
    return this.running.map((task) => task.kind);
  }

  /** Advances the clock by the oldest running task's duration and finishes it. */
  async finishOne(): Promise<InferencePriority> {
    const task = this.running.shift();
    if (!task) throw new Error('nothing is running');
    this.clock += task.ms;
    task.finish();
    await settle();
    return task.kind;
  }
}

/** Lets promise callbacks (the scheduler's bookkeeping and the callers' continuations) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/**
 * Both kinds flat out: `queries` searches always waiting (each resubmits when it finishes, like a client), one
 * background batch always waiting (the indexer submits the next when one finishes). Returns each kind's model time.
 */
async function contend(sim: Sim, options: { queries: number; queryMs: number; batchMs: number; calls: number }) {
  const busy: Record<InferencePriority, number> = { interactive: 0, background: 0 };
  const resubmit = (kind: InferencePriority, ms: number) => {
    void sim.submit(kind, ms).then(() => {
      busy[kind] += ms;
      resubmit(kind, ms);
    });
  };
  for (let i = 0; i < options.queries; i++) resubmit('interactive', options.queryMs);
  resubmit('background', options.batchMs);
  for (let i = 0; i < options.calls; i++) await sim.finishOne();
  return busy;
}

describe('InferenceScheduler', () => {
  it('runs one call at a time by default, in arrival order within a kind', async () => {
    const sim = new Sim(0.25);
    const done: string[] = [];
    void sim.submit('interactive', 5).then(() => done.push('q1'));
    void sim.submit('interactive', 5).then(() => done.push('q2'));
    await settle();
    expect(sim.runningKinds()).toEqual(['interactive']);
    expect(sim.scheduler.stats().waiting).toEqual({ interactive: 1, background: 0 });
    await sim.finishOne();
    expect(done).toEqual(['q1']);
    expect(sim.runningKinds()).toEqual(['interactive']);
    await sim.finishOne();
    expect(done).toEqual(['q1', 'q2']);
    expect(sim.scheduler.stats()).toMatchObject({ running: 0, completed: { interactive: 2, background: 0 }, busyMs: { interactive: 10, background: 0 } });
  });

  it('lets a kind use the whole model when the other has nothing waiting', async () => {
    const sim = new Sim(0.25);
    for (let i = 0; i < 3; i++) void sim.submit('background', 100);
    await settle();
    for (let i = 0; i < 3; i++) expect(await sim.finishOne()).toBe('background');
    expect(sim.starts.map((s) => s.at)).toEqual([0, 100, 200]);
  });

  it('gives the indexer its share of model time while 20 searches run flat out', async () => {
    for (const share of [0.1, 0.25, 0.5, 0.75]) {
      const sim = new Sim(share);
      const busy = await contend(sim, { queries: 20, queryMs: 7, batchMs: 90, calls: 3000 });
      const total = busy.interactive + busy.background;
      // Within one batch's worth of the stated share over the whole run.
      expect(Math.abs(busy.background / total - share)).toBeLessThanOrEqual(90 / total + 0.01);
    }
  });

  it('holds a waiting batch behind at most as many queries as its share allows', async () => {
    const sim = new Sim(0.25);
    await contend(sim, { queries: 20, queryMs: 7, batchMs: 30, calls: 600 });
    // A 30 ms batch at a 25% share earns the searches 90 ms, i.e. 12.9 queries of 7 ms: never more than 13 in a row.
    let streak = 0;
    let longest = 0;
    let batches = 0;
    for (const start of sim.starts.slice(1)) {
      if (start.kind === 'interactive') longest = Math.max(longest, ++streak);
      else {
        batches++;
        streak = 0;
      }
    }
    expect(longest).toBe(13);
    expect(batches).toBeGreaterThanOrEqual(Math.floor(600 / 14));
  });

  it('gives searches strict priority at share 0 and the indexer strict priority at share 1', async () => {
    const strict = new Sim(0);
    await contend(strict, { queries: 3, queryMs: 5, batchMs: 50, calls: 200 });
    expect(strict.starts.filter((s) => s.kind === 'background')).toHaveLength(0);

    const indexerFirst = new Sim(1);
    await contend(indexerFirst, { queries: 3, queryMs: 5, batchMs: 50, calls: 200 });
    // A query runs only in the moment between one batch and the next (the indexer has one batch out at a time):
    // never two in a row.
    const kinds = indexerFirst.starts.map((s) => s.kind).join(' ');
    expect(kinds).not.toContain('interactive interactive');
    expect(indexerFirst.starts.filter((s) => s.kind === 'background').length).toBeGreaterThanOrEqual(99);
  });

  it('starts a batch that arrives behind waiting queries as soon as the running call finishes', async () => {
    const sim = new Sim(0.25);
    void sim.submit('interactive', 5);
    await settle();
    void sim.submit('interactive', 5);
    void sim.submit('interactive', 5);
    void sim.submit('background', 50);
    await settle();
    expect(await sim.finishOne()).toBe('interactive');
    expect(sim.runningKinds()).toEqual(['background']);
    // ...and then the searches have their turn (the batch used more than its share).
    void sim.submit('background', 50);
    expect(await sim.finishOne()).toBe('background');
    expect(await sim.finishOne()).toBe('interactive');
    expect(await sim.finishOne()).toBe('interactive');
  });

  it('does not let time a kind spent alone cost it turns later', async () => {
    // The indexer runs alone for a long time; then searches arrive and must not wait for it to "pay back".
    const sim = new Sim(0.25);
    for (let i = 0; i < 100; i++) void sim.submit('background', 100);
    for (let i = 0; i < 99; i++) await sim.finishOne();
    // One batch running, none waiting... the indexer submits its next one and a query arrives.
    void sim.submit('background', 100);
    void sim.submit('interactive', 10);
    void sim.submit('background', 100);
    await sim.finishOne();
    expect(sim.runningKinds()).toEqual(['interactive']);

    // The other way round: searches alone for a long time, then a batch gets its turn after one query.
    const other = new Sim(0.25);
    for (let i = 0; i < 1000; i++) void other.submit('interactive', 10);
    for (let i = 0; i < 500; i++) await other.finishOne();
    void other.submit('background', 100);
    await settle();
    expect(await other.finishOne()).toBe('interactive');
    expect(other.runningKinds()).toEqual(['background']);
  });

  it('passes a failing call to its caller and keeps scheduling', async () => {
    const sim = new Sim(0.5);
    const failed = sim.submit('background', 10, true);
    const next = sim.submit('interactive', 10);
    await settle();
    await sim.finishOne();
    await expect(failed).rejects.toThrow('background failed');
    await sim.finishOne();
    await expect(next).resolves.toBe('interactive');

    const thrown = sim.scheduler.run('interactive', () => {
      throw new Error('threw before returning a promise');
    });
    await expect(thrown).rejects.toThrow('threw before returning a promise');
    expect(sim.scheduler.stats()).toMatchObject({ running: 0, waiting: { interactive: 0, background: 0 } });
  });

  it('runs up to `concurrency` calls at once', async () => {
    const sim = new Sim(0.5, 2);
    for (let i = 0; i < 3; i++) void sim.submit('interactive', 10);
    await settle();
    expect(sim.scheduler.stats()).toMatchObject({ running: 2, waiting: { interactive: 1, background: 0 } });
  });

  it('refuses settings outside their range', () => {
    expect(() => new InferenceScheduler({ backgroundShare: 1.5 })).toThrow('backgroundShare must be from 0 to 1');
    expect(() => new InferenceScheduler({ backgroundShare: Number.NaN })).toThrow('backgroundShare');
    expect(() => new InferenceScheduler({ backgroundShare: 0.5, concurrency: 0 })).toThrow('concurrency');
  });
});

describe('scheduledEmbedder', () => {
  it('sends the searcher and the indexer views of one model through the scheduler at their priorities', async () => {
    const calls: string[] = [];
    let finishBatch: () => void = () => undefined;
    const model: Embedder = {
      modelName: 'fake',
      dimension: 2,
      precision: 'fp32',
      preprocess: { cropHeight: 1, cropWidth: 1 } as Embedder['preprocess'],
      embedTexts: async (texts) => {
        calls.push(`text ${texts.join(',')}`);
        return texts.map(() => new Float32Array([1, 0]));
      },
      embedPixels: (pixels) => {
        calls.push(`pixels ${pixels.length}`);
        return new Promise((resolve) => (finishBatch = () => resolve(pixels.map(() => new Float32Array([0, 1])))));
      },
    };
    const scheduler = new InferenceScheduler({ backgroundShare: 0.25 });
    const indexer = scheduledEmbedder(model, scheduler, 'background');
    const searcher = scheduledEmbedder(model, scheduler, 'interactive');
    expect([searcher.modelName, searcher.dimension, indexer.preprocess]).toEqual(['fake', 2, model.preprocess]);

    const batch = indexer.embedPixels([new Float32Array(3), new Float32Array(3)]);
    const query = searcher.embedTexts(['a dog']);
    await settle();
    // The query waits for the batch that holds the model.
    expect(calls).toEqual(['pixels 2']);
    expect(scheduler.stats()).toMatchObject({ running: 1, waiting: { interactive: 1, background: 0 } });
    finishBatch();
    expect(await batch).toHaveLength(2);
    expect(await query).toEqual([new Float32Array([1, 0])]);
    expect(calls).toEqual(['pixels 2', 'text a dog']);
    expect(scheduler.stats().completed).toEqual({ interactive: 1, background: 1 });
    // Empty requests never queue.
    await expect(searcher.embedTexts([])).resolves.toEqual([]);
    expect(scheduler.stats().completed.interactive).toBe(1);
  });
});

describe('scheduledEmbedder slicing a batch while searches wait', () => {
  function countingModel(calls: string[]): Embedder {
    return {
      modelName: 'fake',
      dimension: 1,
      precision: 'fp32',
      preprocess: { cropHeight: 1, cropWidth: 1 } as Embedder['preprocess'],
      embedTexts: async (texts) => {
        calls.push('query');
        return texts.map(() => new Float32Array([1]));
      },
      embedPixels: async (pixels) => {
        calls.push(`batch of ${pixels.length}`);
        return pixels.map((p) => new Float32Array([p[0]!]));
      },
    };
  }
  const pixels = (n: number) => Array.from({ length: n }, (_, i) => new Float32Array([i]));

  it('runs a batch whole when no search waits', async () => {
    const calls: string[] = [];
    const scheduler = new InferenceScheduler({ backgroundShare: 0.25 });
    const indexer = scheduledEmbedder(countingModel(calls), scheduler, 'background', { imagesPerCallWhenBusy: 2 });
    const vectors = await indexer.embedPixels(pixels(5));
    expect(calls).toEqual(['batch of 5']);
    expect(vectors.map((v) => v[0])).toEqual([0, 1, 2, 3, 4]);
  });

  it('runs slices of 2 when searches are waiting, and they run between the slices; the vectors stay in order', async () => {
    const calls: string[] = [];
    const scheduler = new InferenceScheduler({ backgroundShare: 0.5 });
    const model = countingModel(calls);
    const indexer = scheduledEmbedder(model, scheduler, 'background', { imagesPerCallWhenBusy: 2 });
    const searcher = scheduledEmbedder(model, scheduler, 'interactive');
    // A query holds the model; another query and the batch wait behind it.
    let release: () => void = () => undefined;
    const holding = scheduler.run('interactive', () => new Promise<void>((resolve) => (release = resolve)));
    const queries = [searcher.embedTexts(['a']), searcher.embedTexts(['b'])];
    const batch = indexer.embedPixels(pixels(5));
    const more = searcher.embedTexts(['c']);
    await settle();
    release();
    await holding;
    const vectors = await batch;
    await Promise.all([...queries, more]);
    expect(calls.filter((call) => call.startsWith('batch'))).toEqual(['batch of 2', 'batch of 2', 'batch of 1']);
    expect(calls.indexOf('batch of 1')).toBeGreaterThan(calls.indexOf('query'));
    expect(vectors.map((v) => v[0])).toEqual([0, 1, 2, 3, 4]);
  });
});
