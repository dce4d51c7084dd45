#!/usr/bin/env node
/**
 * pnpm bench:scale (also `pnpm bench -- --scale`): a million clustered synthetic vectors plus the real
 * photos, exact search against the engine's automatic index choice. Build time, memory, p50/p99 latency and
 * recall@10 on 1000 queries; see README.md ("A million photos").
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { parseSizes, wholeNumber, withoutLeadingSeparator } from '../cliOptions';
import { loadBenchConfig } from '../config';
import { writeResult } from '../output';
import { resolveUserPath, sharedDir, timestampForFile, tinyModelDir } from '../paths';
import { ProgressDisplay } from '../progress';
import { formatScaleReport } from './report';
import { runScale, type ScaleResult } from './run';

interface CliOptions {
  vectors?: number[];
  queries?: number;
  realQueries?: number;
  captionQueries?: number;
  captions?: string;
  top?: number;
  exactQueries?: number;
  folder?: string;
  queryFolder?: string;
  model?: string;
  offline?: boolean;
  targetRecall?: number;
  memoryBudgetMb?: number;
  factory?: string;
  mmap: boolean;
  seed?: number;
  config?: string;
  out?: string;
  workDir?: string;
  keep?: boolean;
  progress: boolean;
  quick?: boolean;
  scale?: boolean;
}

function fraction(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError('must be a number in (0, 1]');
  return n;
}

export const scaleProgram = new Command()
  .name('pnpm bench:scale')
  .description('Exact search against the automatically chosen approximate index on a million vectors: build time, memory, latency, recall@10')
  .option('--vectors <list>', 'synthetic vectors, one run per size, e.g. 100k,1M (default 1M; --quick 100k)', parseSizes)
  .option('--queries <n>', 'queries in all (default 1000; --quick 200), the real photos among them included', wholeNumber(1))
  .option('--real-queries <n>', 'real photos (not indexed) among the queries (default 100)', wholeNumber(0))
  .option('--caption-queries <n>', 'captions of the query photos\' set embedded as text queries, besides --queries (default 100)', wholeNumber(0))
  .option('--captions <file>', 'captions.csv the text queries come from (default: captions.csv beside the query folder)')
  .option('-k, --top <k>', 'results per query (default 10)', wholeNumber(1))
  .option('--exact-queries <n>', 'time only n of the queries on exact search, which is slow (default: all)', wholeNumber(1))
  .option('--folder <dir>', 'photos indexed with the synthetic vectors (default ../shared/datasets/flickr8k-photos-500)')
  .option('--query-folder <dir>', 'photos the real queries come from (default ../shared/datasets/flickr8k-test1k/images)')
  .option('--model <id|dir>', 'model that embeds the photos (default: ../shared/models/clip-tiny-random, 512-d like ViT-B/32)')
  .option('--offline', 'never contact the Hugging Face hub (as SIS_OFFLINE=1)')
  .option('--target-recall <r>', 'target recall@10 of the automatic index (as SIS_TARGET_RECALL; default 0.95)', fraction)
  .option('--memory-budget-mb <n>', 'memory budget of the automatic index in MiB (as SIS_MEMORY_BUDGET_MB; default half the machine)', wholeNumber(0))
  .option('--factory <string>', 'compare this FAISS factory string instead of the automatic choice (as SIS_INDEX_FACTORY)')
  .option('--no-mmap', 'skip querying the automatic index memory-mapped')
  .option('--seed <n>', 'seed of the synthetic vectors (default 1)', wholeNumber(0))
  .option('-c, --config <file>', 'JSON config file, as for the sis command')
  .option('--out <file>', 'where to write the JSON results (default: <data dir>/bench/scale-<time>.json)')
  .option('--work-dir <dir>', 'scratch folder (needs ~3 GB per million vectors; default: the system temp folder)')
  .option('--keep', 'keep the scratch folder')
  .option('--no-progress', 'no progress output on stderr')
  .option('--quick', 'smaller run: 100k vectors, 200 queries')
  .option('--scale', 'accepted (and ignored) so that `pnpm bench -- --scale ...` can pass its arguments on')
  .exitOverride();

export async function scaleMain(argv: readonly string[]): Promise<void> {
  try {
    scaleProgram.parse(withoutLeadingSeparator(argv));
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
    throw error;
  }
  const opts = scaleProgram.opts<CliOptions>();
  const quick = opts.quick === true;
  const model = opts.model ?? (process.env.SIS_MODEL ? undefined : tinyModelDir());
  const config = loadBenchConfig({ model, offline: opts.offline, config: opts.config });
  const datasets = path.join(sharedDir(), 'datasets');
  const folder = opts.folder ? resolveUserPath(opts.folder) : path.join(datasets, 'flickr8k-photos-500');
  const queryFolder = opts.queryFolder ? resolveUserPath(opts.queryFolder) : path.join(datasets, 'flickr8k-test1k', 'images');
  for (const dir of [folder, queryFolder]) if (!fs.existsSync(dir)) throw new Error(`Folder not found: ${dir}`);
  const queries = opts.queries ?? (quick ? 200 : 1000);
  const realQueries = Math.min(opts.realQueries ?? 100, queries);
  const sizes = opts.vectors ?? [quick ? 100_000 : 1_000_000];
  const captionsFile = opts.captions ? resolveUserPath(opts.captions) : path.join(path.dirname(queryFolder), 'captions.csv');
  if (!fs.existsSync(captionsFile)) throw new Error(`Captions file not found: ${captionsFile} (give one with --captions, or --caption-queries 0)`);

  const progress = new ProgressDisplay(opts.progress);
  const results: ScaleResult[] = [];
  for (const vectors of sizes) {
    const result = await runScale(
      config,
      {
        vectors,
        syntheticQueries: queries - realQueries,
        realQueries,
        captionQueries: opts.captionQueries ?? 100,
        captionsFile,
        sweep: [1, 2, 4, 8, 16, 32, 64, 128],
        k: opts.top ?? 10,
        warmup: 20,
        ...(opts.exactQueries !== undefined ? { exactTimed: opts.exactQueries } : {}),
        folder,
        queryFolder,
        settings: {
          factory: opts.factory ?? config.indexFactory,
          targetRecall: opts.targetRecall ?? config.targetRecall,
          memoryBudgetBytes: (opts.memoryBudgetMb ?? config.memoryBudgetMb) * 1024 * 1024,
          searchParams: { ...config.indexSearchParams },
        },
        mmap: opts.mmap,
        seed: opts.seed ?? 1,
        ...(opts.workDir ? { workDir: resolveUserPath(opts.workDir) } : {}),
        keep: opts.keep === true,
      },
      progress,
    );
    results.push(result);
    progress.stop();
    process.stdout.write(`${results.length > 1 ? '\n' : ''}${formatScaleReport(result)}\n`);
  }
  const out = opts.out ? resolveUserPath(opts.out) : path.join(config.dataDir, 'bench', `scale-${timestampForFile()}.json`);
  writeResult(out, results.length === 1 ? results[0] : { kind: 'bench-scale-sizes', runs: results });
  process.stdout.write(`\nResults written to ${out}\n`);
}

if (require.main === module) {
  scaleMain(process.argv).catch((error: unknown) => {
    process.stderr.write(`pnpm bench:scale: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
