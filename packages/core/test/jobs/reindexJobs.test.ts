import { ReindexJobs, ReindexJobsClosedError, type ReindexJob, type ReindexOptions, type ReindexProgress, type ReindexSummary } from '../../src';

function summaryFor(root: string, overrides: Partial<ReindexSummary> = {}): ReindexSummary {
  return {
    root,
    seen: 3,
    embedded: 2,
    unchanged: 0,
    skipped: [{ path: `${root}/bad.jpg`, reason: 'corrupt', message: 'corrupt or truncated image' }],
    unchangedSkipped: 0,
    removed: 0,
    elapsedMs: 10,
    imagesPerSecond: 200,
    timings: { scanMs: 1, decodeMs: 1, decodeWaitMs: 0, inferenceMs: 5, writeMs: 1 },
    cancelled: false,
    ...overrides,
  };
}

const progress = (overrides: Partial<ReindexProgress>): ReindexProgress => ({
  phase: 'embedding', seen: 3, toEmbed: 3, embedded: 0, skipped: 0, removed: 0, unchanged: 0, imagesPerSecond: 0, etaSeconds: undefined, ...overrides,
});

/** A runner the test drives by hand: each call waits until the test resolves or rejects it. */
function controllableRunner() {
  const calls: { root: string; options: ReindexOptions; resolve: (summary: ReindexSummary) => void; reject: (error: unknown) => void }[] = [];
  const runner = jest.fn(
    (root: string, options: ReindexOptions) =>
      new Promise<ReindexSummary>((resolve, reject) => {
        calls.push({ root, options, resolve, reject });
      }),
  );
  return { runner, calls };
}

/** Lets setImmediate callbacks and the promise chains after them run. */
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 5));

describe('ReindexJobs', () => {
  it('returns a queued job at once, then runs it, recording progress and the summary', async () => {
    const { runner, calls } = controllableRunner();
    let clock = 1000;
    const jobs = new ReindexJobs(runner, { now: () => clock++, newId: () => 'job-1' });

    const { job, created } = jobs.start('/photos');
    expect(created).toBe(true);
    expect(job).toMatchObject({ id: 'job-1', root: '/photos', state: 'queued', startedAt: undefined, finishedAt: undefined });
    expect(runner).not.toHaveBeenCalled();

    await settle();
    expect(runner).toHaveBeenCalledTimes(1);
    expect(jobs.get('job-1')).toMatchObject({ state: 'running', startedAt: expect.any(Number) });

    calls[0]!.options.onProgress!(progress({ embedded: 2, imagesPerSecond: 4, etaSeconds: 0.25 }));
    expect(jobs.get('job-1')!.progress).toMatchObject({ embedded: 2, imagesPerSecond: 4, etaSeconds: 0.25 });

    calls[0]!.resolve(summaryFor('/photos'));
    await jobs.whenIdle();
    const done = jobs.get('job-1')!;
    expect(done.state).toBe('succeeded');
    expect(done.summary!.skipped).toEqual([expect.objectContaining({ reason: 'corrupt' })]);
    expect(done.finishedAt!).toBeGreaterThan(done.startedAt!);
    expect(jobs.current()).toBeUndefined();
  });

  it('is single-flight: a second start while one runs returns the running job', async () => {
    const { runner, calls } = controllableRunner();
    const jobs = new ReindexJobs(runner);
    const first = jobs.start('/photos');
    const second = jobs.start('/other');
    expect(second.created).toBe(false);
    expect(second.job.id).toBe(first.job.id);
    expect(second.job.root).toBe('/photos');
    await settle();
    const third = jobs.start('/photos');
    expect(third).toMatchObject({ created: false, job: { id: first.job.id, state: 'running' } });
    expect(runner).toHaveBeenCalledTimes(1);

    calls[0]!.resolve(summaryFor('/photos'));
    await jobs.whenIdle();
    const next = jobs.start('/photos');
    expect(next.created).toBe(true);
    expect(next.job.id).not.toBe(first.job.id);
    await settle();
    calls[1]!.resolve(summaryFor('/photos'));
    await jobs.whenIdle();
  });

  it('hands out snapshots that do not change under the caller', async () => {
    const { runner, calls } = controllableRunner();
    const jobs = new ReindexJobs(runner);
    const { job } = jobs.start('/photos');
    await settle();
    const before = jobs.get(job.id)!;
    calls[0]!.options.onProgress!(progress({ embedded: 1 }));
    calls[0]!.resolve(summaryFor('/photos'));
    await jobs.whenIdle();
    expect(before.state).toBe('running');
    expect(before.progress.embedded).toBe(0);
    expect(Object.isFrozen(before)).toBe(true);
  });

  it('records a failure with its message and calls onFinished with the error', async () => {
    const { runner, calls } = controllableRunner();
    const finished: { job: ReindexJob; error: unknown }[] = [];
    const jobs = new ReindexJobs(runner, { onFinished: (job, error) => finished.push({ job, error }) });
    const { job } = jobs.start('/gone');
    await settle();
    const error = new Error('Folder not found: /gone');
    calls[0]!.reject(error);
    await jobs.whenIdle();
    expect(jobs.get(job.id)).toMatchObject({ state: 'failed', error: 'Folder not found: /gone', summary: undefined });
    expect(finished).toEqual([{ job: expect.objectContaining({ id: job.id, state: 'failed' }), error }]);
  });

  it('cancels a running job through its AbortSignal; the run reports cancelled and keeps its summary', async () => {
    const { runner, calls } = controllableRunner();
    const jobs = new ReindexJobs(runner);
    const { job } = jobs.start('/photos');
    await settle();
    const signal = calls[0]!.options.signal!;
    expect(signal.aborted).toBe(false);
    jobs.cancel(job.id);
    expect(signal.aborted).toBe(true);
    calls[0]!.resolve(summaryFor('/photos', { cancelled: true, embedded: 1 }));
    await jobs.whenIdle();
    expect(jobs.get(job.id)).toMatchObject({ state: 'cancelled', summary: { embedded: 1, cancelled: true } });
    expect(jobs.cancel('no-such-job')).toBeUndefined();
  });

  it('never starts a job cancelled while queued', async () => {
    const { runner } = controllableRunner();
    const jobs = new ReindexJobs(runner);
    const { job } = jobs.start('/photos');
    jobs.cancel(job.id);
    await jobs.whenIdle();
    expect(runner).not.toHaveBeenCalled();
    expect(jobs.get(job.id)).toMatchObject({ state: 'cancelled', startedAt: undefined, finishedAt: expect.any(Number) });
  });

  it('shutdown aborts the running job, waits for it, and refuses new ones', async () => {
    const { runner, calls } = controllableRunner();
    const jobs = new ReindexJobs(runner);
    const { job } = jobs.start('/photos');
    await settle();
    let shutDown = false;
    const shutdown = jobs.shutdown().then(() => {
      shutDown = true;
    });
    await settle();
    expect(calls[0]!.options.signal!.aborted).toBe(true);
    expect(shutDown).toBe(false); // still waiting for the batch in progress
    calls[0]!.resolve(summaryFor('/photos', { cancelled: true }));
    await shutdown;
    expect(jobs.get(job.id)!.state).toBe('cancelled');
    expect(() => jobs.start('/photos')).toThrow(ReindexJobsClosedError);
  });

  it('remembers only the most recent finished jobs', async () => {
    const runner = jest.fn(async (root: string) => summaryFor(root));
    let n = 0;
    const jobs = new ReindexJobs(runner, { keepFinished: 2, newId: () => `job-${++n}` });
    for (let i = 0; i < 4; i++) {
      jobs.start('/photos');
      await jobs.whenIdle();
    }
    const ids = jobs.list().map((job) => job.id);
    expect(ids[0]).toBe('job-4');
    expect(ids.length).toBeLessThanOrEqual(3);
    expect(jobs.get('job-1')).toBeUndefined();
    expect(jobs.get('job-4')!.state).toBe('succeeded');
  });
});
