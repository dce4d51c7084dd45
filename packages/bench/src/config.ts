import fs from 'node:fs';
import { loadConfig, type AppConfig } from '@sis/core';
import { invocationDir, tinyModelDir } from './paths';

export interface ModelOptions {
  /** Hub id or local model folder; overrides SIS_MODEL and the config file. */
  model?: string;
  offline?: boolean;
  batchSize?: number;
  threads?: number;
  /** JSON config file, as the sis command's --config. */
  config?: string;
  /** --quick: the tiny test model unless --model names another. */
  quick?: boolean;
}

/**
 * The product's configuration (defaults < sis.config.json < SIS_* variables) with the command line's
 * overrides on top, validated by the engine's own schema: the benchmark measures what the product would run.
 */
export function loadBenchConfig(options: ModelOptions, env: NodeJS.ProcessEnv = process.env): AppConfig {
  const merged: NodeJS.ProcessEnv = { ...env };
  const model = options.model ?? (options.quick ? tinyModelDir(env) : undefined);
  if (options.quick && !options.model && !fs.existsSync(model!)) {
    throw new Error(`--quick uses the tiny test model ${model}, which is missing: set SIS_SHARED_DIR or pass --model`);
  }
  if (model !== undefined) merged.SIS_MODEL = model;
  if (options.offline) merged.SIS_OFFLINE = '1';
  if (options.batchSize !== undefined) merged.SIS_BATCH_SIZE = String(options.batchSize);
  if (options.threads !== undefined) merged.SIS_THREADS = String(options.threads);
  // The folders the benchmarks index are often links (--limit, the eval gallery) to photos elsewhere.
  merged.SIS_FOLLOW_SYMLINKS ??= '1';
  return loadConfig({
    env: merged,
    cwd: invocationDir(env),
    configFile: options.config,
    // The file may be the one `sis serve` reads: its server settings (host, port...) are not the engine's.
    onUnknownKeys: (keys, file) => console.error(`Note: ${file} sets ${keys.join(', ')}, which the benchmarks do not read (the API server's settings, or misspelt).`),
  });
}

/** How a thread setting reads in a report. */
export function describeThreads(threads: number): string {
  return threads === 0 ? '0 (onnxruntime default)' : String(threads);
}
