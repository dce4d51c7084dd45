/**
 * pnpm bench: orchestrates the measurements, each in its own Node process, strictly one after the
 * other (they would compete for the CPU otherwise), and gathers the results.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import readline from 'node:readline';
import type { AppConfig } from '@sis/core';
import { runWorker, stopWorkers } from '../ipc';
import { machineInfo } from '../machine';
import { workerScript } from '../paths';
import type { ProgressDisplay } from '../progress';
import { runStats } from '../stats';
import { limitedFolder, makeWorkDir, removeDir, scratchDataDir } from '../workdir';
import type { IndexingJob, IndexingResult } from '../workers/indexing';
import type { ColdStartAnswer } from '../workers/coldStart';
import type { QuerySizeJob, QuerySizeResult } from '../workers/querySize';
import type { ScaleOutJob, ScaleOutResult } from '../scaleOut/measure';
import type { DuplicatesJob, DuplicatesBenchResult } from '../workers/duplicates';
import { runThroughput } from './throughputRun';
import {
  ALL_SECTIONS,
  benchHeadline,
  summariseIndexing,
  type BenchOptions,
  type BenchResult,
  type ColdStartSection,
  type IndexingSection,
  type Section,
} from './summary';

/** Duplicates sizes up to this also score every pair, for the recall of the blocked pass. */
const DUPLICATES_EXACT_MAX = 20_000;

export { ALL_SECTIONS, type BenchOptions, type BenchResult, type Section };

/** Spawns the cold-start script once; resolves with the parent-side time to the answer and the child's stage times. */
function coldStartOnce(config: AppConfig, query: string, k: number): Promise<{ toAnswerMs: number; answer: ColdStartAnswer; visionModelLoadMs: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, [workerScript('coldStart'), JSON.stringify({ config, query, k })], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let answer: ColdStartAnswer | undefined;
    let toAnswerMs = 0;
    let visionModelLoadMs = Number.NaN;
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const message = JSON.parse(line) as { event: string; visionModelLoadMs?: number };
      if (message.event === 'answer') {
        toAnswerMs = performance.now() - start;
        answer = message as ColdStartAnswer;
      } else if (message.event === 'vision') {
        visionModelLoadMs = message.visionModelLoadMs ?? Number.NaN;
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0 && answer) resolve({ toAnswerMs, answer, visionModelLoadMs });
      else reject(new Error(`the cold-start process exited with code ${code}`));
    });
  });
}

export async function runBench(configured: AppConfig, options: BenchOptions, progress: ProgressDisplay): Promise<BenchResult> {
  // A limited run indexes a folder of links to the images (limitedFolder): the bench's own links, followed.
  const config = options.limit === undefined ? configured : { ...configured, followSymlinks: true };
  const startedAt = new Date();
  const machine = machineInfo();
  const workDir = makeWorkDir(options.workDir);
  const cleanup = () => {
    if (!options.keep) removeDir(workDir);
  };
  const onSignal = () => {
    progress.stop();
    stopWorkers();
    cleanup();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const handlers = { onProgress: (m: { label: string; value: number; total: number; unit: string }) => progress.update(m.label, m.value, m.total, m.unit), onLog: (text: string) => progress.log(text) };
  try {
    const folder = await limitedFolder(options.folder, options.limit, config, workDir);
    const wants = (section: Section) => options.sections.includes(section);
    let indexing: IndexingSection | undefined;
    let seedDir: string | undefined;
    let model = { name: config.model, dimension: 0 };
    let seedImages = 0;

    if (wants('indexing')) {
      progress.log(`Indexing ${options.folder}${options.limit ? ` (first ${options.limit} images)` : ''}: ${options.warmup} warm-up + ${options.runs} runs`);
      const job: IndexingJob = {
        // The worker loads the model with the user's data directory (the hub cache); runs index into scratch folders.
        config,
        folder,
        workDir,
        warmup: options.warmup,
        runs: options.runs,
        modelOnlyImages: options.modelOnlyImages,
        naive: options.naive,
        keepSeed: wants('query') || wants('cold'),
      };
      const result = await runWorker<IndexingJob, IndexingResult>(workerScript('indexing'), job, handlers);
      indexing = summariseIndexing(result, job, options.folder);
      seedDir = result.seedDir;
      model = { name: result.modelName, dimension: result.dimension };
      seedImages = indexing.embedded;
    } else if (wants('query') || wants('cold')) {
      progress.log(`Indexing ${options.folder} once for the query and cold-start benchmarks`);
      const job: IndexingJob = { config, folder, workDir, warmup: 0, runs: 1, modelOnlyImages: 1, naive: false, keepSeed: true };
      const result = await runWorker<IndexingJob, IndexingResult>(workerScript('indexing'), job, handlers);
      seedDir = result.seedDir;
      model = { name: result.modelName, dimension: result.dimension };
      seedImages = result.rounds[0]?.real.embedded ?? 0;
    }

    const throughput = wants('throughput') ? await runThroughput(config, options, folder, workDir, handlers, (text) => progress.log(text)) : undefined;

    let query: BenchResult['query'];
    if (wants('query')) {
      const sizes: QuerySizeResult[] = [];
      for (const size of options.sizes) {
        progress.log(`Query latency at ${size.toLocaleString('en-US')} vectors (${options.queries.length} queries)`);
        const job: QuerySizeJob = {
          config,
          seedDir: seedDir!,
          workDir,
          size,
          queries: options.queries,
          warmupQueries: options.warmupQueries,
          k: options.k,
          chunk: options.chunk,
          seed: 20240601 + size,
        };
        const result = await runWorker<QuerySizeJob, QuerySizeResult>(workerScript('querySize'), job, handlers);
        progress.log(
          `  ${size.toLocaleString('en-US')}: p50 ${result.endToEnd.median.toFixed(1)} ms, p95 ${result.endToEnd.p95.toFixed(1)} ms, ` +
            `p99 ${result.endToEnd.p99.toFixed(1)} ms; built in ${(result.buildMs / 1000).toFixed(1)} s`,
        );
        sizes.push(result);
      }
      query = { queries: options.queries.length, querySource: options.querySource, k: options.k, warmupQueries: options.warmupQueries.length, sizes };
    }

    let coldStart: ColdStartSection | undefined;
    if (wants('cold')) {
      const total = options.warmup + options.coldRuns;
      progress.log(`Cold start: ${options.warmup} warm-up + ${options.coldRuns} runs (new process each, index of ${seedImages} images)`);
      const coldConfig = scratchDataDir(config, seedDir!);
      const runs: Awaited<ReturnType<typeof coldStartOnce>>[] = [];
      for (let i = 0; i < total; i++) {
        progress.update('cold start', i, total, 'processes');
        const run = await coldStartOnce(coldConfig, options.queries[i % options.queries.length]!, options.k);
        if (i >= options.warmup) runs.push(run);
      }
      progress.stop();
      const stats = (pick: (run: (typeof runs)[number]) => number) => runStats(runs.map(pick));
      coldStart = {
        runs: runs.length,
        warmup: options.warmup,
        indexImages: runs[0]?.answer.totalImages ?? seedImages,
        toFirstAnswerMs: stats((run) => run.toAnswerMs),
        bootMs: stats((run) => run.answer.bootMs),
        importMs: stats((run) => run.answer.importMs),
        engineOpenMs: stats((run) => run.answer.engineOpenMs),
        textModelLoadMs: stats((run) => run.answer.textModelLoadMs),
        firstQueryMs: stats((run) => run.answer.firstQueryMs),
        visionModelLoadMs: stats((run) => run.visionModelLoadMs),
      };
      progress.log(`  process start to first answer: ${coldStart.toFirstAnswerMs.median.toFixed(0)} ms (median)`);
    }

    let scaleOut: ScaleOutResult | undefined;
    if (wants('scale-out')) {
      const job: ScaleOutJob = { ...options.scaleOut, workDir };
      scaleOut = await runWorker<ScaleOutJob, ScaleOutResult>(workerScript('scaleOut'), job, handlers);
      progress.stop();
    }

    let duplicates: DuplicatesBenchResult[] | undefined;
    if (wants('duplicates')) {
      duplicates = [];
      for (const size of options.duplicateSizes) {
        progress.log(`Duplicates at ${size.toLocaleString('en-US')} synthetic vectors`);
        const job: DuplicatesJob = { size, dimension: model.dimension || 512, seed: 20241201 + size, compareExact: size <= DUPLICATES_EXACT_MAX };
        const found = await runWorker<DuplicatesJob, DuplicatesBenchResult>(workerScript('duplicates'), job, handlers);
        const recall = found.exact ? `; pairs >= T found ${found.exact.pairsFound}/${found.exact.exactPairs} of an every-pair pass` : '';
        progress.log(`  ${(found.wallMs / 1000).toFixed(1)} s on ${found.index}; planted pairs found ${found.plantedFound}/${found.plantedPairs}${recall}`);
        duplicates.push(found);
      }
    }

    const { queries, warmupQueries, ...rest } = options;
    const result: BenchResult = {
      kind: 'bench',
      version: 1,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      quick: options.quick,
      machine: { ...machine, loadAverageAtEnd: os.loadavg()[0] ?? 0 },
      model: { name: model.name, dimension: model.dimension, batchSize: config.batchSize, threads: config.threads, device: config.device },
      options: { ...rest, queryCount: queries.length, warmupQueryCount: warmupQueries.length },
      indexing,
      throughput,
      query,
      coldStart,
      scaleOut,
      duplicates,
      headline: [],
    };
    result.headline = benchHeadline(result);
    return result;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    cleanup();
  }
}
