/**
 * The shapes of pnpm bench's results and the pure summarising steps (per-run figures -> medians,
 * ratios, headline figures). No I/O here, so it is unit-tested directly.
 */
import { DECODE_REQUESTS_PER_THREAD, decodeThreadsFor, type ModelDtype } from '@sis/core';
import type { Headline } from '../compare';
import type { MachineInfo } from '../machine';
import { runStats, type RunStats } from '../stats';
import type { IndexingJob, IndexingResult, IndexingRound } from '../workers/indexing';
import type { QuerySizeResult } from '../workers/querySize';
import type { Split } from '../workers/throughput';
import { throughputHeadline, type ThroughputSection } from './throughput';
import type { ScaleOutJob, ScaleOutResult } from '../scaleOut/measure';

export type Section = 'indexing' | 'throughput' | 'query' | 'cold' | 'scale-out';
export const ALL_SECTIONS: readonly Section[] = ['indexing', 'throughput', 'query', 'cold', 'scale-out'];

export interface BenchOptions {
  folder: string;
  limit: number | undefined;
  runs: number;
  warmup: number;
  sizes: number[];
  /** Timed queries. */
  queries: string[];
  querySource: string;
  /** Run first at each size, not timed. */
  warmupQueries: string[];
  k: number;
  coldRuns: number;
  modelOnlyImages: number;
  naive: boolean;
  sections: Section[];
  /** Precisions the throughput section measures (those the model folder has). */
  dtypes: ModelDtype[];
  /** Core splits it tries (ONNX Runtime intra-op threads / decode threads); empty: chosen from the machine. */
  splits: Split[];
  /** Photos upscaled to 4032x3024 for a camera-size run of the throughput section (0: none). */
  cameraPhotos: number;
  /** Run the Python reference pipeline (when Python and its wheels are there). */
  python: boolean;
  chunk: number;
  /** The scale-out section (PostgreSQL catalogue, replicas): its sizes and counts. */
  scaleOut: Omit<ScaleOutJob, 'workDir'>;
  workDir: string | undefined;
  keep: boolean;
  quick: boolean;
}

export interface PerImageMs {
  scan: number;
  decode: number;
  decodeWait?: number;
  inference: number;
  write: number;
}

export interface PipelineFigures {
  imagesPerSecond: RunStats;
  elapsedMs: RunStats;
  /** Medians over the measured runs of each stage's time divided by the images embedded. */
  perImageMs: PerImageMs;
}

export interface IndexingSection {
  folder: string;
  imagesInFolder: number;
  embedded: number;
  skipped: number;
  runs: number;
  warmup: number;
  batchSize: number;
  threads: number;
  /** Images decoded at once while the model runs (the engine's default). */
  decodeConcurrency: number;
  modelLoadMs: number;
  real: PipelineFigures & { peakRssBytes: number };
  naive?: PipelineFigures;
  modelOnly: { imagesPerSecond: RunStats; imagesPerRun: number };
  /** Per-run ratios (each run's figures were measured minutes apart at most), then their median. */
  realOverNaive?: RunStats;
  realOverModelOnly: RunStats;
  noopMs: RunStats;
  /**
   * Cores other processes took while each run measured (the most over its steps), from /proc/stat:
   * near 0 on a quiet machine; undefined where it cannot be read.
   */
  otherCores?: RunStats;
  /** The same figures over the runs during which other processes took less than QUIET_CORES throughout (medians); absent when none was quiet. */
  quiet?: QuietFigures;
  processMaxRssBytes: number;
  rounds: IndexingRound[];
}

export interface ColdStartSection {
  runs: number;
  warmup: number;
  indexImages: number;
  /** Parent's clock: spawn() to the answer arriving on the child's stdout. */
  toFirstAnswerMs: RunStats;
  bootMs: RunStats;
  importMs: RunStats;
  engineOpenMs: RunStats;
  textModelLoadMs: RunStats;
  firstQueryMs: RunStats;
  visionModelLoadMs: RunStats;
}

export interface BenchResult {
  kind: 'bench';
  version: 1;
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  machine: MachineInfo & { loadAverageAtEnd: number };
  model: { name: string; dimension: number; batchSize: number; threads: number; device: string };
  options: Omit<BenchOptions, 'queries' | 'warmupQueries'> & { queryCount: number; warmupQueryCount: number };
  indexing?: IndexingSection;
  /** Precisions x core splits on the folder, and on camera-size photos, with the Python peer. */
  throughput?: ThroughputSection[];
  query?: { queries: number; querySource: string; k: number; warmupQueries: number; sizes: QuerySizeResult[] };
  coldStart?: ColdStartSection;
  scaleOut?: ScaleOutResult;
  headline: Headline[];
}


function medianOf(rounds: IndexingRound[], pick: (round: IndexingRound) => number): number {
  return runStats(rounds.map(pick)).median;
}

/** Below this many cores taken by other processes (during every step of a run), a run counts as quiet. */
export const QUIET_CORES = 0.15;

export interface QuietFigures {
  runs: number;
  realImagesPerSecond: number;
  naiveImagesPerSecond?: number;
  modelOnlyImagesPerSecond: number;
  realOverModelOnly: number;
  realOverNaive?: number;
}

function isQuiet(round: IndexingRound): boolean {
  const shares = [round.modelOnly.cpu, round.real.cpu, round.naive?.cpu].filter((share) => share !== undefined);
  return shares.every((share) => share.otherCores !== undefined && share.otherCores < QUIET_CORES);
}

function quietFigures(rounds: IndexingRound[]): QuietFigures | undefined {
  const quiet = rounds.filter(isQuiet);
  if (quiet.length === 0) return undefined;
  const median = (pick: (round: IndexingRound) => number) => runStats(quiet.map(pick)).median;
  const withNaive = quiet.every((round) => round.naive);
  return {
    runs: quiet.length,
    realImagesPerSecond: median((round) => round.real.imagesPerSecond),
    naiveImagesPerSecond: withNaive ? median((round) => round.naive!.imagesPerSecond) : undefined,
    modelOnlyImagesPerSecond: median((round) => round.modelOnly.imagesPerSecond),
    realOverModelOnly: median((round) => round.real.imagesPerSecond / round.modelOnly.imagesPerSecond),
    realOverNaive: withNaive ? median((round) => round.real.imagesPerSecond / round.naive!.imagesPerSecond) : undefined,
  };
}

function otherCoresOf(rounds: IndexingRound[]): RunStats | undefined {
  const perRound = rounds.map((round) => {
    const shares = [round.modelOnly.cpu, round.real.cpu, round.naive?.cpu].filter((share) => share !== undefined);
    const known = shares.map((share) => share.otherCores).filter((cores): cores is number => cores !== undefined);
    return known.length > 0 ? Math.max(...known) : undefined;
  });
  return perRound.every((cores) => cores !== undefined) ? runStats(perRound as number[]) : undefined;
}

export function summariseIndexing(result: IndexingResult, job: IndexingJob, folder: string): IndexingSection {
  const measured = result.rounds.filter((round) => !round.warmup);
  if (measured.length === 0) throw new Error('no measured indexing runs');
  const last = measured[measured.length - 1]!;
  const perImage = (ms: (round: IndexingRound) => number, images: (round: IndexingRound) => number) =>
    medianOf(measured, (round) => ms(round) / Math.max(1, images(round)));
  const realImages = (round: IndexingRound) => round.real.embedded;
  const section: IndexingSection = {
    folder,
    imagesInFolder: result.imagesInFolder,
    embedded: last.real.embedded,
    skipped: last.real.skipped,
    runs: measured.length,
    warmup: result.rounds.length - measured.length,
    batchSize: job.config.batchSize,
    threads: job.config.threads,
    decodeConcurrency: decodeThreadsFor(job.config) * DECODE_REQUESTS_PER_THREAD,
    modelLoadMs: result.modelLoadMs,
    real: {
      imagesPerSecond: runStats(measured.map((round) => round.real.imagesPerSecond)),
      elapsedMs: runStats(measured.map((round) => round.real.elapsedMs)),
      perImageMs: {
        scan: perImage((round) => round.real.timings.scanMs, realImages),
        decode: perImage((round) => round.real.timings.decodeMs, realImages),
        decodeWait: perImage((round) => round.real.timings.decodeWaitMs, realImages),
        inference: perImage((round) => round.real.timings.inferenceMs, realImages),
        write: perImage((round) => round.real.timings.writeMs, realImages),
      },
      peakRssBytes: Math.max(...measured.map((round) => round.real.peakRssBytes)),
    },
    modelOnly: {
      imagesPerSecond: runStats(measured.map((round) => round.modelOnly.imagesPerSecond)),
      imagesPerRun: last.modelOnly.images,
    },
    realOverModelOnly: runStats(measured.map((round) => round.real.imagesPerSecond / round.modelOnly.imagesPerSecond)),
    noopMs: runStats(measured.map((round) => round.real.noopMs)),
    otherCores: otherCoresOf(measured),
    quiet: quietFigures(measured),
    processMaxRssBytes: result.processMaxRssBytes,
    rounds: result.rounds,
  };
  if (measured.every((round) => round.naive)) {
    const naiveImages = (round: IndexingRound) => round.naive!.embedded;
    section.naive = {
      imagesPerSecond: runStats(measured.map((round) => round.naive!.imagesPerSecond)),
      elapsedMs: runStats(measured.map((round) => round.naive!.elapsedMs)),
      perImageMs: {
        scan: perImage((round) => round.naive!.timings.scanMs, naiveImages),
        decode: perImage((round) => round.naive!.timings.decodeMs, naiveImages),
        inference: perImage((round) => round.naive!.timings.inferenceMs, naiveImages),
        write: perImage((round) => round.naive!.timings.writeMs, naiveImages),
      },
    };
    section.realOverNaive = runStats(measured.map((round) => round.real.imagesPerSecond / round.naive!.imagesPerSecond));
  }
  return section;
}

export function benchHeadline(result: BenchResult): Headline[] {
  const figures: Headline[] = [];
  const add = (key: string, label: string, value: number | undefined, unit: string, better: Headline['better']) => {
    if (value !== undefined && Number.isFinite(value)) figures.push({ key, label, value, unit, better });
  };
  const { indexing, query, coldStart, scaleOut } = result;
  if (indexing) {
    add('indexing.real.imagesPerSecond', 'reindex throughput', indexing.real.imagesPerSecond.median, 'images/s', 'higher');
    add('indexing.naive.imagesPerSecond', 'naive baseline throughput', indexing.naive?.imagesPerSecond.median, 'images/s', 'higher');
    add('indexing.modelOnly.imagesPerSecond', 'model alone', indexing.modelOnly.imagesPerSecond.median, 'images/s', 'higher');
    add('indexing.realOverNaive', 'reindex / naive', indexing.realOverNaive?.median, 'x', 'higher');
    add('indexing.realOverModelOnly', 'reindex / model alone', indexing.realOverModelOnly.median, 'x', 'higher');
    add('indexing.noopMs', 'no-op reindex', indexing.noopMs.median, 'ms', 'lower');
    add('indexing.peakRssMiB', 'reindex peak RSS', indexing.real.peakRssBytes / 2 ** 20, 'MiB', 'lower');
  }
  for (const [i, section] of (result.throughput ?? []).entries()) figures.push(...throughputHeadline(section, i === 0 ? 'throughput' : 'throughput.camera'));
  for (const size of query?.sizes ?? []) {
    const n = size.size;
    add(`query.${n}.p50`, `query p50 @ ${n}`, size.endToEnd.median, 'ms', 'lower');
    add(`query.${n}.p95`, `query p95 @ ${n}`, size.endToEnd.p95, 'ms', 'lower');
    add(`query.${n}.p99`, `query p99 @ ${n}`, size.endToEnd.p99, 'ms', 'lower');
    add(`query.${n}.buildMs`, `index build @ ${n}`, size.buildMs, 'ms', 'lower');
    add(`query.${n}.rssMiB`, `RSS after build @ ${n}`, size.rssAfterBuildBytes / 2 ** 20, 'MiB', 'lower');
  }
  if (coldStart) {
    add('coldStart.toFirstAnswerMs', 'cold start to first answer', coldStart.toFirstAnswerMs.median, 'ms', 'lower');
    add('coldStart.textModelLoadMs', 'text model load', coldStart.textModelLoadMs.median, 'ms', 'lower');
  }
  if (scaleOut) {
    add('scaleOut.reindex.postgres', 'reindex into PostgreSQL', scaleOut.reindex.postgresImagesPerSecond, 'images/s', 'higher');
    for (const size of scaleOut.sizes) {
      add(`scaleOut.${size.rows}.commitPostgresMs`, `PostgreSQL commit @ ${size.rows}`, size.commitPostgresMs.median, 'ms', 'lower');
      add(`scaleOut.${size.rows}.loadFromPostgresMs`, `replica load from PostgreSQL @ ${size.rows}`, size.loadFromPostgresMs.median, 'ms', 'lower');
      add(`scaleOut.${size.rows}.loadFromCacheMs`, `replica load from cache @ ${size.rows}`, size.loadFromCacheMs.median, 'ms', 'lower');
    }
    add('scaleOut.catchUp.p99Ms', 'replica catch-up p99', scaleOut.catchUp.p99Ms, 'ms', 'lower');
  }
  return figures;
}

