/**
 * Scale run, step 2: the collection and the queries as vector files. base: the synthetic vectors, then the
 * real photos' (ids 1..rows in that order); queries: fresh synthetic vectors from the same distribution
 * (never indexed), then the real query photos, then the caption texts.
 */
import fs from 'node:fs';
import { serveWorker, type WorkerReporter } from '../ipc';
import { ClusteredCorpus, normaliseInPlace } from './corpus';
import { readMatrix, writeMatrix, writeRows } from './vectorFile';

export interface GenerateJob {
  dimension: number;
  synthetic: number;
  syntheticQueries: number;
  seed: number;
  realFile: string;
  realQueriesFile: string;
  captionQueriesFile: string;
  baseFile: string;
  queriesFile: string;
}

export interface GenerateResult {
  rows: number;
  synthetic: number;
  real: number;
  queries: number;
  syntheticQueries: number;
  realQueries: number;
  captionQueries: number;
  topics: number;
  subjects: number;
  /** Mean cosine of 2000 random pairs of the collection. */
  randomPairCosine: number;
  elapsedMs: number;
}

const CHUNK = 20_000;

async function main(job: GenerateJob, reporter: WorkerReporter): Promise<GenerateResult> {
  const start = performance.now();
  const { dimension } = job;
  const real = readMatrix(job.realFile, dimension);
  const realRows = real.length / dimension;
  // The real photos' mean direction is the cone the synthetic vectors gather in.
  const common = new Float32Array(dimension);
  for (let i = 0; i < real.length; i++) common[i % dimension]! += real[i]!;
  const corpus = new ClusteredCorpus({ dimension, seed: job.seed, ...(realRows > 0 ? { common: normaliseInPlace(common) } : {}) });

  const fd = fs.openSync(job.baseFile, 'w');
  const chunk = new Float32Array(CHUNK * dimension);
  let pairSum = 0;
  let pairs = 0;
  try {
    for (let first = 0; first < job.synthetic; first += CHUNK) {
      const n = Math.min(CHUNK, job.synthetic - first);
      const rows = corpus.sample(n, job.seed * 1_000_003 + first + 1, chunk.subarray(0, n * dimension));
      writeRows(fd, rows, first, dimension);
      // Random pairs from each chunk (vectors of a chunk are independent draws): 2000 pairs in all.
      for (let p = 0; p < Math.ceil((2000 * CHUNK) / Math.max(job.synthetic, CHUNK)) && n >= 2; p++) {
        const a = (p * 7919 + first) % n;
        const b = (a + 1 + ((first * 31 + p) % (n - 1))) % n;
        let dot = 0;
        for (let k = 0; k < dimension; k++) dot += rows[a * dimension + k]! * rows[b * dimension + k]!;
        pairSum += dot;
        pairs++;
      }
      reporter.progress('generating clustered vectors', first + n, job.synthetic, 'vectors');
    }
    writeRows(fd, real, job.synthetic, dimension);
  } finally {
    fs.closeSync(fd);
  }

  const realQueries = readMatrix(job.realQueriesFile, dimension);
  const captionQueries = readMatrix(job.captionQueriesFile, dimension);
  const queries = new Float32Array(job.syntheticQueries * dimension + realQueries.length + captionQueries.length);
  corpus.sample(job.syntheticQueries, job.seed * 7 + 999_983, queries.subarray(0, job.syntheticQueries * dimension));
  queries.set(realQueries, job.syntheticQueries * dimension);
  queries.set(captionQueries, job.syntheticQueries * dimension + realQueries.length);
  writeMatrix(job.queriesFile, queries);

  return {
    rows: job.synthetic + realRows,
    synthetic: job.synthetic,
    real: realRows,
    queries: queries.length / dimension,
    syntheticQueries: job.syntheticQueries,
    realQueries: realQueries.length / dimension,
    captionQueries: captionQueries.length / dimension,
    topics: corpus.topics,
    subjects: corpus.subjects,
    randomPairCosine: pairs > 0 ? pairSum / pairs : Number.NaN,
    elapsedMs: performance.now() - start,
  };
}

serveWorker(main);
