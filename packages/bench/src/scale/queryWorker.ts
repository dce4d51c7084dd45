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
import { QUERY_KINDS, type QueryKindName } from './queryKinds';
import { FileVectorSource, readMatrix } from './vectorFile';

export interface QueryJob {
  label: string;
  indexFile: string;
  dimension: number;
  mmap: boolean;
  queriesFile: string;
  truthFile: string;
  /** Queries [0, syntheticQueries) are synthetic, the next realQueries real photos, the rest caption texts. */
  syntheticQueries: number;
  realQueries: number;
  /** nprobe values to measure recall per kind at as well (IVF only; batch search, untimed). */
  sweep?: number[];
  /** The build's parameters per kind of query: caption texts are searched with the text kind's, as the engine does. */
  paramsByKind?: { image?: Record<string, number>; text?: Record<string, number> };
  /**
   * Re-score rerankFactor * k candidates with the stored vectors (read from the collection's vector file, as
   * the engine reads them from its catalogue), as ImageLibrary.search does for an approximate index.
   */
  rerank?: { baseFile: string; rows: number; factor: number };
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
  recall: { all: number; synthetic: number | null; real: number | null; caption: number | null };
  /** Latency and recall of each kind of query (re-ranked when asked); rawRecall: FAISS's own top k. */
  byKind: Record<QueryKindName, { queries: number; latency: Summary | null; recall: number | null; rawRecall: number | null; params: Record<string, number> }>;
  rerankFactor: number | null;
  /** recall@k per kind at other nprobe values (IVF), the tuned one included. */
  sweep: { nprobe: number; recall: Record<QueryKindName, number | null> }[];
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

  const kindOf = (q: number): QueryKindName => (q < job.syntheticQueries ? 'synthetic' : q < job.syntheticQueries + job.realQueries ? 'real' : 'caption');
  const expectedOf = (q: number) => {
    const expected = new Set<number>();
    for (let j = 0; j < job.k; j++) {
      const id = Number(truth[q * job.k + j]);
      if (id >= 0) expected.add(id);
    }
    return expected;
  };
  const latencies: number[] = [];
  const latencyByKind: Record<QueryKindName, number[]> = { synthetic: [], real: [], caption: [] };
  const found: Record<QueryKindName, number> = { synthetic: 0, real: 0, caption: 0 };
  const wanted: Record<QueryKindName, number> = { synthetic: 0, real: 0, caption: 0 };
  // Spread the timed queries over every kind alike when timing only some.
  const order = Array.from({ length: timed }, (_, i) => Math.floor((i * nq) / timed));
  const rawFound: Record<QueryKindName, number> = { synthetic: 0, real: 0, caption: 0 };
  const paramsOf = (kind: QueryKindName) => (kind === 'caption' ? job.paramsByKind?.text : job.paramsByKind?.image) ?? {};
  const defaults = { ...(info.nprobe !== undefined ? { nprobe: info.nprobe } : {}), ...(info.efSearch !== undefined ? { efSearch: info.efSearch } : {}) };
  const stored = job.rerank ? new FileVectorSource(fs.openSync(job.rerank.baseFile, 'r'), job.rerank.rows, job.dimension) : undefined;
  const dot = (a: Float32Array, b: Float32Array, offset: number) => {
    let sum = 0;
    for (let j = 0; j < a.length; j++) sum += a[j]! * b[offset + j]!;
    return sum;
  };
  let current = '';
  for (const [i, q] of order.entries()) {
    const kind = kindOf(q);
    const params = { ...defaults, ...paramsOf(kind) };
    const key = JSON.stringify(params);
    if (key !== current) {
      index.setSearchParameters(params);
      current = key;
    }
    const query = row(q);
    const start = performance.now();
    let hits = index.search(query, stored ? job.k * job.rerank!.factor : job.k);
    const raw = hits.slice(0, job.k);
    if (stored) {
      const { ids, vectors } = stored.byIds(hits.map((hit) => hit.id));
      hits = ids
        .map((id, r) => ({ id, score: dot(query, vectors, r * job.dimension) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, job.k);
    }
    const elapsed = performance.now() - start;
    latencies.push(elapsed);
    const expected = expectedOf(q);
    latencyByKind[kind].push(elapsed);
    wanted[kind] += expected.size;
    found[kind] += hits.filter((hit) => expected.has(hit.id)).length;
    rawFound[kind] += raw.filter((hit) => expected.has(hit.id)).length;
    if (i % 10 === 0 || i === order.length - 1) reporter.progress(`${job.label}: queries`, i + 1, order.length, 'queries');
  }
  index.setSearchParameters(defaults);
  const ratio = (f: number, w: number) => (w === 0 ? null : f / w);
  const byKind = Object.fromEntries(
    QUERY_KINDS.map((kind) => [
      kind,
      {
        queries: latencyByKind[kind].length,
        latency: latencyByKind[kind].length > 0 ? summarize(latencyByKind[kind]) : null,
        recall: ratio(found[kind], wanted[kind]),
        rawRecall: ratio(rawFound[kind], wanted[kind]),
        params: { ...defaults, ...paramsOf(kind) },
      },
    ]),
  ) as QueryResult['byKind'];

  // Recall per kind at other nprobe values: where each kind of query crosses the target.
  const sweep: QueryResult['sweep'] = [];
  if (info.nprobe !== undefined && job.sweep && job.sweep.length > 0) {
    const tuned = info.nprobe;
    // The text kind's value (often most lists) is measured one query at a time above: batch-searching every query there would take long.
    for (const nprobe of [...new Set([...job.sweep, tuned])].filter((n) => n >= 1 && n <= (info.nlist ?? n)).sort((a, b) => a - b)) {
      index.setSearchParameters({ nprobe });
      const result = index.searchBatch(queries, job.k);
      const f: Record<QueryKindName, number> = { synthetic: 0, real: 0, caption: 0 };
      const w: Record<QueryKindName, number> = { synthetic: 0, real: 0, caption: 0 };
      for (let q = 0; q < nq; q++) {
        const expected = expectedOf(q);
        const kind = kindOf(q);
        w[kind] += expected.size;
        for (let j = 0; j < result.k; j++) if (expected.has(Number(result.ids[q * result.k + j]))) f[kind]++;
      }
      sweep.push({ nprobe, recall: { synthetic: ratio(f.synthetic, w.synthetic), real: ratio(f.real, w.real), caption: ratio(f.caption, w.caption) } });
      reporter.progress(`${job.label}: recall at other nprobe`, sweep.length, job.sweep.length + 1, 'values');
    }
    index.setSearchParameters({ nprobe: tuned });
  }
  const memoryAfterQueries = memorySnapshot();
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
      all: ratio(found.synthetic + found.real + found.caption, wanted.synthetic + wanted.real + wanted.caption) ?? 1,
      synthetic: ratio(found.synthetic, wanted.synthetic),
      real: ratio(found.real, wanted.real),
      caption: ratio(found.caption, wanted.caption),
    },
    byKind,
    rerankFactor: job.rerank?.factor ?? null,
    sweep,
  };
}

serveWorker(main);
