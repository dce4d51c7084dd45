/** Runs the throughput section: the worker per folder, then the Python peer on the same graphs. */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { availableCores, decodeThreadsFor, graphFile, scanImages, scanOptionsOf, type AppConfig, type ModelDtype } from '@sis/core';
import { runWorker, type WorkerHandlers } from '../ipc';
import { workerScript } from '../paths';
import { pythonEnv, quantizeModel, runPythonReference, type PythonEnv } from '../python';
import type { Split, ThroughputJob, ThroughputResult } from '../workers/throughput';
import type { BenchOptions } from './summary';
import { summarisePython, summariseThroughput, type PythonFigures, type ThroughputSection } from './throughput';

/**
 * The engine's automatic split, the same without intra-op spinning (spinning wins on a quiet machine and
 * can lose a lot on a loaded one: measured, not assumed), and one that gives decoding a core of its own.
 */
export function defaultSplits(config: Pick<AppConfig, 'threads' | 'decodeThreads'>, cores = availableCores()): Split[] {
  const engine: Split = { threads: config.threads, decodeThreads: decodeThreadsFor(config, cores) };
  const splits: Split[] = [engine, { ...engine, spinning: false }];
  if (cores >= 2 && config.threads === 0) splits.push({ threads: cores - 1, decodeThreads: 1 });
  return splits;
}

/** `count` photos of the folder upscaled to 4032x3024 (a 12-megapixel camera's size), as JPEG quality 90. */
async function cameraFolder(config: AppConfig, folder: string, workDir: string, count: number): Promise<string> {
  const target = path.join(workDir, 'camera-4032x3024');
  fs.mkdirSync(target, { recursive: true });
  const scan = await scanImages(folder, scanOptionsOf(config));
  for (const [i, file] of scan.files.slice(0, count).entries()) {
    await sharp(file.path).resize(4032, 3024, { fit: 'fill' }).jpeg({ quality: 90 }).toFile(path.join(target, `camera-${String(i).padStart(3, '0')}.jpg`));
  }
  return target;
}

export async function runThroughput(
  config: AppConfig,
  options: BenchOptions,
  folder: string,
  workDir: string,
  handlers: WorkerHandlers,
  log: (text: string) => void,
): Promise<ThroughputSection[]> {
  const local = path.isAbsolute(config.model);
  const env: PythonEnv = !options.python
    ? { ok: false, note: 'skipped (--no-python)' }
    : local
      ? pythonEnv(log)
      : { ok: false, note: 'skipped: it needs a local model folder (SIS_MODEL=<folder>)' };
  const notes: string[] = [];
  if (!env.ok) notes.push(env.note);
  if (local && options.dtypes.some((dtype) => dtype === 'int8' || dtype === 'q8')) {
    const note = quantizeModel(env, config.model, log);
    if (note) notes.push(note);
  }
  const splits = options.splits.length > 0 ? options.splits : defaultSplits(config);
  const runs: { label: string; folder: string; dtypes: ModelDtype[]; splits: Split[] }[] = [{ label: options.folder, folder, dtypes: options.dtypes, splits }];
  if (options.cameraPhotos > 0) {
    // At least one batch: the model-alone step needs whole batches.
    const count = Math.max(options.cameraPhotos, config.batchSize);
    log(`Making ${count} camera-size photos (4032x3024)`);
    const camera = await cameraFolder(config, folder, workDir, count);
    runs.push({ label: `${count} photos upscaled to 4032x3024`, folder: camera, dtypes: options.dtypes.filter((d) => d === 'fp32' || d === 'int8'), splits: [splits[0]!] });
  }
  const sections: ThroughputSection[] = [];
  for (const run of runs) {
    log(`Throughput: ${run.label}: ${run.dtypes.join(', ')} x splits ${run.splits.map((s) => `${s.threads || 'default'}/${s.decodeThreads}`).join(', ')}`);
    const job: ThroughputJob = {
      config,
      folder: run.folder,
      workDir,
      dtypes: run.dtypes,
      splits: run.splits,
      runs: options.runs,
      warmup: options.warmup,
      modelOnlyImages: options.modelOnlyImages,
      cpuSampleImages: options.quick ? 10 : 100,
    };
    let result: ThroughputResult;
    try {
      result = await runWorker<ThroughputJob, ThroughputResult>(workerScript('throughput'), job, handlers);
    } catch (error) {
      // One failed run (e.g. the camera folder) must not lose the figures of the others.
      log(`  ${run.label}: not measured (${(error as Error).message})`);
      continue;
    }
    const python: Partial<Record<ModelDtype, PythonFigures>> = {};
    if (env.ok) {
      for (const dtype of new Set(result.entries.map((entry) => entry.dtype))) {
        log(`  Python reference on ${graphFile('vision_model', dtype)}: ${options.runs} runs`);
        try {
          const figures = summarisePython(
            await runPythonReference(env, { modelDir: config.model, graph: graphFile('vision_model', dtype), folder: run.folder, batch: config.batchSize, runs: options.runs, modelOnlyImages: options.modelOnlyImages }),
          );
          python[dtype] = figures;
          log(`    model alone ${figures.modelAlone.median.toFixed(1)}, end to end ${figures.endToEnd.median.toFixed(1)} images/s (${figures.wallSeconds.median.toFixed(1)} s); preprocess ${figures.preprocessCpuMs.toFixed(2)} ms CPU/image`);
        } catch (error) {
          notes.push(`${dtype}: ${(error as Error).message}`);
        }
      }
    }
    sections.push(summariseThroughput(result, { folder: run.folder, label: run.label, runs: options.runs, batchSize: config.batchSize, python, pythonNote: notes.length > 0 ? notes.join('; ') : undefined }));
  }
  return sections;
}
