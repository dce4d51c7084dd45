/**
 * Scale run, step 3 (once per index): builds the index from the vector file with the engine's own build
 * code (the plan for this size and memory budget, a random training sample, chunked adds, search
 * parameters tuned to the target recall on a sample of the collection) and writes it to a file. The exact
 * index also answers all queries at once here: the ground truth for recall.
 */
import fs from 'node:fs';
import { buildIndexInBackground, planIndex, resolveIndexSettings, type IndexSettings } from '@sis/core';
import { serveWorker, type WorkerReporter } from '../ipc';
import { memorySnapshot, type MemorySnapshot } from './memory';
import { FileVectorSource, readMatrix } from './vectorFile';

export interface BuildJob {
  label: string;
  baseFile: string;
  rows: number;
  dimension: number;
  settings: Partial<IndexSettings>;
  indexFile: string;
  /** Embedded tuning phrases (the engine's TUNING_PHRASES): tuned for as text queries, as the engine does. */
  phrasesFile?: string;
  /** Exact index only: answer these queries (batch) and write the ids of the top k to truthFile. */
  truth?: { queriesFile: string; truthFile: string; k: number };
}

export interface BuildResult {
  label: string;
  factory: string;
  description: string;
  choice: string;
  /** Wall time of the whole build: reading the vectors, training, adding, tuning. */
  buildMs: number;
  trainMs: number;
  addMs: number;
  tuneMs: number;
  trainingVectors: number;
  searchParams: Record<string, number>;
  /** recall@10 the build measured on its own tuning sample (collection vectors as queries). */
  tuningRecall: number | null;
  /** The same per kind of tuning query (image: held-out stored vectors; text: the phrases). */
  tuningRecallByKind: { image?: number; text?: number };
  /** The parameters tuned for each kind. */
  searchParamsByKind: { image?: Record<string, number>; text?: Record<string, number> };
  /** The index's own count of its heap bytes. */
  indexMemoryBytes: number;
  fileBytes: number;
  memoryBefore: MemorySnapshot;
  memoryAfter: MemorySnapshot;
  truth?: { batchSearchMs: number; meanTop1Score: number; meanTop10Score: number };
}

async function main(job: BuildJob, reporter: WorkerReporter): Promise<BuildResult> {
  const memoryBefore = memorySnapshot();
  const settings = resolveIndexSettings(job.settings);
  const plan = planIndex(job.rows, job.dimension, settings);
  reporter.log(`${job.label}: building ${plan.factory} for ${job.rows.toLocaleString('en-US')} vectors (${plan.reason})`);
  const fd = fs.openSync(job.baseFile, 'r');
  let built;
  const start = performance.now();
  const label = `${job.label}: ${plan.trainingSize > 0 ? 'training, then ' : ''}adding to ${plan.factory}`;
  let read = 0;
  try {
    reporter.progress(label, 0, job.rows, 'vectors');
    // The engine's background build: the same steps as a synchronous one, with training and adding on the
    // thread pool, so that progress can be reported meanwhile.
    const phrases = job.phrasesFile ? [{ kind: 'text' as const, vectors: readMatrix(job.phrasesFile, job.dimension) }] : [];
    built = await buildIndexInBackground(new FileVectorSource(fd, job.rows, job.dimension), job.dimension, settings, {
      tuningQueries: { ready: () => phrases, load: () => Promise.resolve(phrases) },
      onRead: (_, n) => {
        read += n;
        reporter.progress(label, read, job.rows, 'vectors');
      },
    });
  } finally {
    fs.closeSync(fd);
  }
  const buildMs = performance.now() - start;
  const memoryAfter = memorySnapshot();
  const info = built.index.info();
  built.index.write(job.indexFile);

  let truth: BuildResult['truth'];
  if (job.truth) {
    const queries = readMatrix(job.truth.queriesFile, job.dimension);
    const searchStart = performance.now();
    const result = built.index.searchBatch(queries, job.truth.k);
    const batchSearchMs = performance.now() - searchStart;
    fs.writeFileSync(job.truth.truthFile, Buffer.from(result.ids.buffer, result.ids.byteOffset, result.ids.byteLength));
    const nq = queries.length / job.dimension;
    let top1 = 0;
    let top10 = 0;
    for (let q = 0; q < nq; q++) {
      top1 += result.scores[q * result.k]!;
      top10 += result.scores[q * result.k + result.k - 1]!;
    }
    truth = { batchSearchMs, meanTop1Score: top1 / nq, meanTop10Score: top10 / nq };
  }

  return {
    label: job.label,
    factory: built.descriptor.factory,
    description: built.descriptor.description,
    choice: built.descriptor.reason,
    buildMs,
    trainMs: built.timings.trainMs,
    addMs: built.timings.addMs,
    tuneMs: built.timings.tuneMs,
    trainingVectors: plan.trainingSize,
    searchParams: built.descriptor.searchParams,
    tuningRecall: built.descriptor.measuredRecall,
    tuningRecallByKind: { ...built.descriptor.measuredRecallByKind },
    searchParamsByKind: { ...built.descriptor.searchParamsByKind },
    indexMemoryBytes: info.memoryBytes,
    fileBytes: fs.statSync(job.indexFile).size,
    memoryBefore,
    memoryAfter,
    ...(truth ? { truth } : {}),
  };
}

serveWorker(main);
