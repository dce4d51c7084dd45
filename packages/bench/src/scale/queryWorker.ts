/**
 * Scale run, step 4 (once per index, in a fresh process so that its memory is the index's): loads the
 * index file (read, or memory-mapped as readers do), then times one query at a time, as the app searches,
 * and scores the results against the exact ground truth.
 */
import fs from 'node:fs';
import { VectorIndex } from '@sis/core';
import { serveWorker, type WorkerReporter } from '../ipc';
import { summarize, type Summary } from '../stats';
import { memorySnapshot, type MemorySnapshot } from './memory';
import { readMatrix } from './vectorFile';

export interface QueryJob {
  label: string;
  indexFile: string;
  dimension: number;
  mmap: boolean;
  queriesFile: string;
  truthFile: string;
  /** Queries [0, syntheticQueries) are synthetic, the rest real photos. */
  syntheticQueries: number;
  k: number;
  /** Untimed queries first (from the end of the set). */
  warmup: number;
  /** Time at most this many queries (all when undefined); recall is always over the timed ones. */
  timed?: number;
}

export interface QueryResult {
  label: string;
  mmap: boolean;
  description: string;
  searchParams: Record<string, number>;
  loadMs: number;
  /** Before loading (Node and the native addons loaded). */
  memoryBaseline: MemorySnapshot;
  memoryAfterLoad: MemorySnapshot;
  memoryAfterQueries: MemorySnapshot;
  /** Resident memory the index added: RSS after the queries minus the baseline. */
  indexResidentBytes: number;
  indexMemoryBytes: number;
  mappedBytes: number;
  queries: number;
  latency: Summary;
  recall: { all: number; synthetic: number | null; real: number | null };
}

async function main(job: QueryJob, reporter: WorkerReporter): Promise<QueryResult> {
  const queries = readMatrix(job.queriesFile, job.dimension);
  const truthBytes = fs.readFileSync(job.truthFile);
  const truth = new BigInt64Array(truthBytes.buffer, truthBytes.byteOffset, truthBytes.byteLength / 8);
  const nq = queries.length / job.dimension;
  const timed = Math.min(nq, job.timed ?? nq);
  global.gc?.();
  const memoryBaseline = memorySnapshot();

  const loadStart = performance.now();
  const index = VectorIndex.read(job.indexFile, job.dimension, { mmap: job.mmap });
  const loadMs = performance.now() - loadStart;
  const memoryAfterLoad = memorySnapshot();
  const info = index.info();
  const row = (q: number) => queries.subarray(q * job.dimension, (q + 1) * job.dimension);

  for (let w = 0; w < job.warmup; w++) index.search(row(nq - 1 - (w % nq)), job.k);

  const latencies: number[] = [];
  const found = { synthetic: 0, real: 0 };
  const wanted = { synthetic: 0, real: 0 };
  // Spread the timed queries over synthetic and real ones alike when timing only some.
  const order = Array.from({ length: timed }, (_, i) => Math.floor((i * nq) / timed));
  for (const [i, q] of order.entries()) {
    const start = performance.now();
    const hits = index.search(row(q), job.k);
    latencies.push(performance.now() - start);
    const expected = new Set<number>();
    for (let j = 0; j < job.k; j++) {
      const id = Number(truth[q * job.k + j]);
      if (id >= 0) expected.add(id);
    }
    const kind = q < job.syntheticQueries ? 'synthetic' : 'real';
    wanted[kind] += expected.size;
    found[kind] += hits.filter((hit) => expected.has(hit.id)).length;
    if (i % 10 === 0 || i === order.length - 1) reporter.progress(`${job.label}: queries`, i + 1, order.length, 'queries');
  }
  const memoryAfterQueries = memorySnapshot();
  const ratio = (f: number, w: number) => (w === 0 ? null : f / w);
  return {
    label: job.label,
    mmap: job.mmap,
    description: info.description,
    searchParams: { ...(info.nprobe !== undefined ? { nprobe: info.nprobe } : {}), ...(info.efSearch !== undefined ? { efSearch: info.efSearch } : {}) },
    loadMs,
    memoryBaseline,
    memoryAfterLoad,
    memoryAfterQueries,
    indexResidentBytes: memoryAfterQueries.rss - memoryBaseline.rss,
    indexMemoryBytes: info.memoryBytes,
    mappedBytes: info.mappedBytes,
    queries: order.length,
    latency: summarize(latencies),
    recall: {
      all: ratio(found.synthetic + found.real, wanted.synthetic + wanted.real) ?? 1,
      synthetic: ratio(found.synthetic, wanted.synthetic),
      real: ratio(found.real, wanted.real),
    },
  };
}

serveWorker(main);
