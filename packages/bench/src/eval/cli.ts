#!/usr/bin/env node
/**
 * pnpm eval: text-to-image and image-to-text recall@K, mean and median rank, of the configured model
 * on a captioned image set (a folder of images + a CSV of image,caption). See ../../README.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { MODEL_DTYPES, type ModelDtype } from '@sis/core';
import { parseList, parseSizes, wholeNumber, withoutLeadingSeparator } from '../cliOptions';
import { loadBenchConfig } from '../config';
import { saveAndCompare } from '../output';
import { resolveUserPath, sharedDir } from '../paths';
import { ProgressDisplay } from '../progress';
import { formatEvalReport } from './report';
import { runEval } from './run';

interface CliOptions {
  images?: string;
  captions?: string;
  limit?: number;
  ks?: number[];
  textBatch?: number;
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
  compareDtype?: ModelDtype;
}

function parseDtype(value: string): ModelDtype {
  const [dtype] = parseList(MODEL_DTYPES)(value);
  return dtype!;
}

const program = new Command()
  .name('pnpm eval')
  .description('Retrieval quality (recall@K, ranks) of the configured model on a captioned image set')
  .argument('[dataset]', 'folder with captions.csv and the images (in it or in images/); default ../shared/datasets/flickr8k-test1k')
  .option('--images <dir>', 'folder the CSV image names are relative to (default: <dataset>/images, or <dataset>)')
  .option('--captions <csv>', 'CSV with a header and columns image,caption (default: <dataset>/captions.csv)')
  .option('--limit <n>', 'only the first n images of the CSV (and their captions)', wholeNumber(1))
  .option('--ks <list>', 'the K of recall@K (default 1,5,10)', parseSizes)
  .option('--text-batch <n>', 'captions per text-model call (default 64)', wholeNumber(1))
  .option('--model <id|dir>', 'model to evaluate (default: SIS_MODEL / config file; --quick: ../shared/models/clip-tiny-random)')
  .option('--offline', 'never contact the Hugging Face hub (as SIS_OFFLINE=1)')
  .option('--batch-size <n>', 'images per inference call (as SIS_BATCH_SIZE)', wholeNumber(1))
  .option('--threads <n>', 'ONNX Runtime intra-op threads, 0 = its default (as SIS_THREADS)', wholeNumber(0))
  .option('-c, --config <file>', 'JSON config file, as for the sis command')
  .option('--out <file>', 'where to write the JSON results (default: <data dir>/eval/eval-<time>.json)')
  .option('--compare <file>', 'a previous eval results file: print this run / that run for each figure')
  .option('--work-dir <dir>', 'scratch folder for the temporary index (default: the system temp folder)')
  .option('--keep', 'keep the scratch folder')
  .option('--no-progress', 'no progress output on stderr')
  .option('--compare-dtype <dtype>', `also run the set at this precision (${MODEL_DTYPES.join(', ')}) and print how much of the top-10 it keeps`, parseDtype)
  .option('--quick', 'smoke run: the first 100 images of the set with the tiny test model')
  .exitOverride();

async function main(): Promise<void> {
  try {
    program.parse(withoutLeadingSeparator(process.argv));
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
    throw error;
  }
  const opts = program.opts<CliOptions>();
  const quick = opts.quick === true;
  const config = loadBenchConfig({ model: opts.model, offline: opts.offline, batchSize: opts.batchSize, threads: opts.threads, config: opts.config, quick });
  const dataset = program.args[0] ? resolveUserPath(program.args[0]) : path.join(sharedDir(), 'datasets', 'flickr8k-test1k');
  const captions = opts.captions ? resolveUserPath(opts.captions) : path.join(dataset, 'captions.csv');
  if (!fs.existsSync(captions)) throw new Error(`Captions file not found: ${captions} (give --captions <csv>)`);
  const images = opts.images
    ? resolveUserPath(opts.images)
    : fs.existsSync(path.join(dataset, 'images'))
      ? path.join(dataset, 'images')
      : dataset;

  const progress = new ProgressDisplay(opts.progress);
  const result = await runEval(
    config,
    {
      images,
      captions,
      limit: opts.limit ?? (quick ? 100 : undefined),
      ks: opts.ks ?? [1, 5, 10],
      textBatch: opts.textBatch ?? 64,
      crossCheck: 100,
      workDir: opts.workDir ? resolveUserPath(opts.workDir) : undefined,
      keep: opts.keep === true,
      quick,
      compareDtype: opts.compareDtype,
    },
    progress,
  );
  progress.stop();
  process.stdout.write(`${formatEvalReport(result)}\n`);
  saveAndCompare('eval', result, { out: opts.out, compare: opts.compare, dataDir: config.dataDir });
}

main().catch((error: unknown) => {
  process.stderr.write(`pnpm eval: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
