#!/usr/bin/env node
/**
 * pnpm bench: indexing throughput (real pipeline, naive baseline, model alone), query latency at
 * several index sizes, and cold start, for the configured model on this machine. See ../../README.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { MODEL_DTYPES, type ModelDtype } from '@sis/core';
import { parseList, parseSizes, parseSplits, wholeNumber, withoutLeadingSeparator } from '../cliOptions';
import type { Split } from '../workers/throughput';
import { loadBenchConfig } from '../config';
import { resolveUserPath, sharedDir } from '../paths';
import { ProgressDisplay } from '../progress';
import { loadQueries } from '../queries';
import { formatBenchReport } from './report';
import { saveAndCompare } from '../output';
import { ALL_SECTIONS, runBench, type Section } from './run';
import { scaleMain } from '../scale/cli';
import { queueMain } from '../queue/cli';

interface CliOptions {
  folder?: string;
  limit?: number;
  runs?: number;
  warmup?: number;
  sizes?: number[];
  duplicateSizes?: number[];
  queries?: number;
  top?: number;
  coldRuns?: number;
  modelOnlyImages?: number;
  naive: boolean;
  only?: Section[];
  dtypes?: ModelDtype[];
  splits?: Split[];
  camera?: number;
  python: boolean;
  model?: string;
  offline?: boolean;
  batchSize?: number;
  threads?: number;
  config?: string;
  out?: string;
  compare?: string;
  workDir?: string;
  keep?: boolean;
  progress: boolean;
  quick?: boolean;
  scaleOutSizes?: number[];
}

const program = new Command()
  .name('pnpm bench')
  .description('Indexing throughput, query latency and cold start of the configured model on this machine')
  .option('--folder <dir>', 'images to index (default: ../shared/datasets/flickr8k-photos-500)')
  .option('--limit <n>', 'index only the first n images of the folder', wholeNumber(1))
  .option('--runs <n>', 'measured runs of each indexing pipeline (default 5; --quick 2)', wholeNumber(1))
  .option('--warmup <n>', 'warm-up runs before them, not counted (default 1)', wholeNumber(0))
  .option('--sizes <list>', 'index sizes for query latency, e.g. 1000,100k,1M (default 1000,100000,1000000; --quick 1000)', parseSizes)
  .option('--duplicate-sizes <list>', 'library sizes (synthetic vectors) for the duplicates wall time (default 20k,100k,1M; --quick 12k); up to 20k also the recall of pairs against scoring every pair', parseSizes)
  .option('--queries <n>', 'text queries timed at each size (default 200)', wholeNumber(1))
  .option('-k, --top <k>', 'results per query (default 10)', wholeNumber(1))
  .option('--cold-runs <n>', 'cold starts measured (default: --runs)', wholeNumber(1))
  .option('--model-only-images <n>', 'images pushed through the model alone per run (default 256; --quick 32)', wholeNumber(1))
  .option('--no-naive', 'skip the naive baseline pipeline')
  .option('--dtypes <list>', `precisions the throughput section measures (default fp32,q8,int8): ${MODEL_DTYPES.join(',')}`, parseList(MODEL_DTYPES))
  .option('--splits <list>', 'core splits to try, intra-op threads/decode threads, e.g. 2/1,1/1 (default: the engine\'s choice and one with a core for decoding)', parseSplits)
  .option('--camera <n>', 'camera-size photos (4032x3024, made from the folder) for a second throughput run; 0: none (default 24; --quick 0)', wholeNumber(0))
  .option('--scale-out-sizes <list>', 'stored rows for the scale-out section, e.g. 100k,1M (default 100000; --quick or CI=true 2000)', parseSizes)
  .option('--no-python', 'skip the Python reference pipeline (PIL + onnxruntime + faiss-cpu)')
  .option('--only <sections>', `run only some sections: ${ALL_SECTIONS.join(',')}`, parseList(ALL_SECTIONS))
  .option('--model <id|dir>', 'model to benchmark (default: SIS_MODEL / config file; --quick: ../shared/models/clip-tiny-random)')
  .option('--offline', 'never contact the Hugging Face hub (as SIS_OFFLINE=1)')
  .option('--batch-size <n>', 'images per inference call (as SIS_BATCH_SIZE)', wholeNumber(1))
  .option('--threads <n>', 'ONNX Runtime intra-op threads, 0 = its default (as SIS_THREADS)', wholeNumber(0))
  .option('-c, --config <file>', 'JSON config file, as for the sis command')
  .option('--out <file>', 'where to write the JSON results (default: <data dir>/bench/bench-<time>.json)')
  .option('--compare <file>', 'a previous results file: print this run / that run for each figure')
  .option('--work-dir <dir>', 'scratch folder for the data directories the runs create (default: the system temp folder)')
  .option('--keep', 'keep the scratch folder')
  .option('--no-progress', 'no progress output on stderr')
  .option('--quick', 'smoke run in well under a minute: tiny model, 20 images, 2 runs, one index of 1000 vectors')
  .option('--scale', 'run the scale benchmark instead: 1M vectors, exact vs the automatic index (options: pnpm bench:scale --help)')
  .option('--scale-out', 'run the embedding-workers benchmark instead: embedded vs 1/2/3 queue workers, coordination cost (options: pnpm bench:queue --help)')
  .exitOverride();

async function main(): Promise<void> {
  if (process.argv.includes('--scale')) return scaleMain(process.argv);
  if (process.argv.includes('--scale-out')) return queueMain(process.argv);
  try {
    program.parse(withoutLeadingSeparator(process.argv));
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
    throw error;
  }
  const opts = program.opts<CliOptions>();
  const quick = opts.quick === true;
  // The CI smoke run keeps the scale-out section small too (it starts its own PostgreSQL cluster).
  const small = quick || process.env.CI === 'true';
  const config = loadBenchConfig({ model: opts.model, offline: opts.offline, batchSize: opts.batchSize, threads: opts.threads, config: opts.config, quick });
  const datasets = path.join(sharedDir(), 'datasets');
  const folder = opts.folder ? resolveUserPath(opts.folder) : path.join(datasets, 'flickr8k-photos-500');
  if (!fs.existsSync(folder)) throw new Error(`Folder not found: ${folder}`);
  const queryCount = opts.queries ?? 200;
  const { queries, source } = loadQueries(queryCount + 10, [
    path.join(folder, 'captions.csv'),
    path.join(folder, '..', 'captions.csv'),
    path.join(datasets, 'flickr8k-test1k', 'captions.csv'),
  ]);
  // The last 10 are warm-up queries, distinct from the timed ones.
  const timed = queries.slice(0, queryCount);
  const warm = queries.slice(queryCount);
  const runs = opts.runs ?? (quick ? 2 : 5);

  const progress = new ProgressDisplay(opts.progress);
  const result = await runBench(
    config,
    {
      folder,
      limit: opts.limit ?? (quick ? 20 : undefined),
      runs,
      warmup: opts.warmup ?? 1,
      sizes: opts.sizes ?? (quick ? [1000] : [1000, 100_000, 1_000_000]),
      duplicateSizes: opts.duplicateSizes ?? (quick ? [12_000] : [20_000, 100_000, 1_000_000]),
      queries: timed,
      querySource: source,
      warmupQueries: warm,
      k: opts.top ?? 10,
      coldRuns: opts.coldRuns ?? runs,
      modelOnlyImages: opts.modelOnlyImages ?? (quick ? 32 : 256),
      naive: opts.naive,
      sections: opts.only ?? [...ALL_SECTIONS],
      dtypes: opts.dtypes ?? (quick ? ['fp32', 'int8'] : ['fp32', 'q8', 'int8']),
      splits: opts.splits ?? [],
      cameraPhotos: opts.camera ?? (quick ? 0 : 24),
      python: opts.python,
      chunk: 10_000,
      scaleOut: {
        sizes: opts.scaleOutSizes ?? (small ? [2000] : [100_000]),
        photos: small ? 20 : 200,
        commits: small ? 20 : 200,
        loadRuns: small ? 1 : 3,
      },
      workDir: opts.workDir ? resolveUserPath(opts.workDir) : undefined,
      keep: opts.keep === true,
      quick,
    },
    progress,
  );
  progress.stop();
  process.stdout.write(`${formatBenchReport(result)}\n`);
  saveAndCompare('bench', result, { out: opts.out, compare: opts.compare, dataDir: config.dataDir });
}

main().catch((error: unknown) => {
  process.stderr.write(`pnpm bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
