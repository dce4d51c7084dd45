import type { AppConfig } from '@sis/core';
import { benchHeadline, summariseIndexing, type BenchResult } from '../src/bench/summary';
import type { IndexingJob, IndexingResult, IndexingRound } from '../src/workers/indexing';

function round(warmup: boolean, realRate: number, naiveRate: number, modelRate: number, peakRssBytes = 100, otherCores = 0): IndexingRound {
  const embedded = 100;
  const cpu = { ownCores: 1.9, otherCores };
  const elapsedMs = (embedded / realRate) * 1000;
  return {
    warmup,
    modelOnly: { cpu: { ownCores: 2, otherCores: otherCores / 2 }, images: 64, batches: 8, elapsedMs: (64 / modelRate) * 1000, imagesPerSecond: modelRate },
    real: {
      cpu,
      embedded,
      skipped: 1,
      elapsedMs,
      imagesPerSecond: realRate,
      engineImagesPerSecond: realRate,
      timings: { scanMs: 10, decodeMs: 900, decodeWaitMs: 50, inferenceMs: elapsedMs * 0.9, writeMs: 20 },
      peakRssBytes,
      noopMs: 20 + realRate,
    },
    naive: {
      cpu,
      embedded,
      skipped: 1,
      elapsedMs: (embedded / naiveRate) * 1000,
      imagesPerSecond: naiveRate,
      timings: { scanMs: 10, decodeMs: 1000, inferenceMs: 4000, writeMs: 30 },
    },
  };
}

const result: IndexingResult = {
  modelName: 'm',
  dimension: 512,
  modelLoadMs: 1234,
  imagesInFolder: 101,
  // the warm-up's absurd figures must not count
  rounds: [round(true, 1, 1, 1, 10_000), round(false, 16, 10, 20, 300, 0.5), round(false, 18, 9, 20, 500, 0.1), round(false, 17, 12, 17)],
  processMaxRssBytes: 999,
};
const job = { config: { batchSize: 8, threads: 0 } as AppConfig } as IndexingJob;

describe('summariseIndexing', () => {
  const section = summariseIndexing(result, job, '/photos');

  it('takes medians over the measured runs only', () => {
    expect(section.runs).toBe(3);
    expect(section.warmup).toBe(1);
    expect(section.real.imagesPerSecond).toEqual({ median: 17, min: 16, max: 18, values: [16, 18, 17] });
    expect(section.naive!.imagesPerSecond.median).toBe(10);
    expect(section.modelOnly.imagesPerSecond.median).toBe(20);
    expect(section.noopMs.median).toBe(37);
    expect(section.real.peakRssBytes).toBe(500);
  });

  it('reports how many cores other processes took, the most over each run\'s steps', () => {
    expect(section.otherCores).toEqual({ median: 0.1, min: 0, max: 0.5, values: [0.5, 0.1, 0] });
    const unknown = { ...result, rounds: result.rounds.map((r) => ({ ...r, real: { ...r.real, cpu: { ownCores: 2, otherCores: undefined } }, modelOnly: { ...r.modelOnly, cpu: { ownCores: 2, otherCores: undefined } }, naive: { ...r.naive!, cpu: { ownCores: 2, otherCores: undefined } } })) };
    expect(summariseIndexing(unknown, job, '/photos').otherCores).toBeUndefined();
    expect(summariseIndexing(unknown, job, '/photos').quiet).toBeUndefined();
  });

  it('gives the figures of the quiet runs alone', () => {
    // measured runs took 0.5, 0.1 and 0 cores of other load: the last two are quiet (< 0.15)
    expect(section.quiet).toEqual({
      runs: 2,
      realImagesPerSecond: 17.5,
      naiveImagesPerSecond: 10.5,
      modelOnlyImagesPerSecond: 18.5,
      realOverModelOnly: expect.closeTo(0.95, 12) as number,
      realOverNaive: expect.closeTo((18 / 9 + 17 / 12) / 2, 12) as number,
    });
  });

  it('computes ratios per run, then their median', () => {
    // real / naive per run: 1.6, 2.0, 1.4167 -> median 1.6 (the ratio of medians would be 1.7)
    expect(section.realOverNaive!.median).toBeCloseTo(1.6, 12);
    // real / model: 0.8, 0.9, 1.0 -> 0.9
    expect(section.realOverModelOnly.median).toBeCloseTo(0.9, 12);
  });

  it('divides stage times by the images embedded', () => {
    expect(section.real.perImageMs.scan).toBeCloseTo(0.1, 12);
    expect(section.real.perImageMs.decode).toBeCloseTo(9, 12);
    expect(section.real.perImageMs.write).toBeCloseTo(0.2, 12);
    expect(section.naive!.perImageMs.inference).toBeCloseTo(40, 12);
  });

  it('leaves the naive figures out when the baseline did not run', () => {
    const withoutNaive = { ...result, rounds: result.rounds.map(({ naive: _naive, ...rest }) => rest) };
    const summary = summariseIndexing(withoutNaive, job, '/photos');
    expect(summary.naive).toBeUndefined();
    expect(summary.realOverNaive).toBeUndefined();
  });

  it('refuses a result without measured runs', () => {
    expect(() => summariseIndexing({ ...result, rounds: [round(true, 1, 1, 1)] }, job, '/photos')).toThrow(/no measured/);
  });
});

describe('benchHeadline', () => {
  it('lists the key figures with the direction that is better', () => {
    const indexing = summariseIndexing(result, job, '/photos');
    const headline = benchHeadline({ indexing, headline: [] } as unknown as BenchResult);
    const byKey = Object.fromEntries(headline.map((figure) => [figure.key, figure]));
    expect(byKey['indexing.real.imagesPerSecond']).toMatchObject({ value: 17, better: 'higher' });
    expect(byKey['indexing.noopMs']).toMatchObject({ value: 37, better: 'lower' });
    expect(byKey['indexing.realOverNaive']!.value).toBeCloseTo(1.6, 12);
    expect(Object.keys(byKey).some((key) => key.startsWith('query.'))).toBe(false);
  });
});
