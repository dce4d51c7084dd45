/**
 * Duplicates wall time at one library size, in its own process (its memory figures belong to that size):
 * synthetic clustered unit vectors with planted near-duplicates (1% of the vectors get a copy at cosine ~0.97,
 * as a re-encoded or resized photo scores with a trained CLIP), grouped by the engine's DuplicateFinder at
 * threshold 0.95 from an in-memory source (no catalogue reads: those are the same chunked reads any full pass
 * makes). Reports the time, the cells used, the recall of the planted pairs and, with compareExact, the recall
 * of all pairs >= T against a pass that scores every pair (after the timed run, not part of its time).
 */
import os from 'node:os';
import { DuplicateFinder, thresholdGraph, type CatalogueImage, type DuplicateSource } from '@sis/core';
import { serveWorker, type WorkerReporter } from '../ipc';
import { maxRssBytes } from '../machine';
import { ClusteredVectors, gaussian, seededRandom, sigmaForCosine } from '../synthetic';

export interface DuplicatesJob {
  size: number;
  dimension: number;
  seed: number;
  /** Also score every pair and report the recall of pairs >= T (O(n^2): meant for ~20k vectors). */
  compareExact: boolean;
}

export interface ExactComparison {
  /** Pairs >= T that scoring every pair finds. */
  exactPairs: number;
  /** Of those, the pairs the blocked pass finds. */
  pairsFound: number;
  exactMs: number;
}

export interface DuplicatesBenchResult {
  size: number;
  threshold: number;
  plantedPairs: number;
  /** Planted pairs found in one group. */
  plantedFound: number;
  groups: number;
  imagesInGroups: number;
  /** Pairs >= T found (edges of the graph). */
  pairs: number;
  /** How the pairs were scored: 'flat' (every pair) or the cells probed. */
  index: string;
  /** DuplicateFinder.find from start to groups with keepers. */
  wallMs: number;
  /** CPU time of this process over the same span (user + system, all threads): steadier than wall time on a shared machine. */
  cpuMs: number;
  generateMs: number;
  maxRssBytes: number;
  /** 1-minute load average when the timed run started and ended (the machine may be shared). */
  loadAverage: [number, number];
  exact?: ExactComparison;
}

const THRESHOLD = 0.95;
const COPY_COSINE = 0.97;
const PLANTED_SHARE = 0.01;

serveWorker<DuplicatesJob, DuplicatesBenchResult>(async (job, reporter) => {
  const { size, dimension } = job;
  const generateStart = performance.now();
  const planted = Math.floor(size * PLANTED_SHARE);
  const originals = size - planted;
  const vectors = new Float32Array(size * dimension);
  const source = new ClusteredVectors({ dimension, seed: job.seed, count: originals });
  for (let row = 0; row < originals; row += 10_000) {
    const n = Math.min(10_000, originals - row);
    vectors.set(source.next(n), row * dimension);
    reporter.progress('generating', row + n, size, 'vectors');
  }
  // Copy i of original i * stride (spread over the clusters), at cosine ~COPY_COSINE with it.
  const normal = gaussian(seededRandom(job.seed + 1));
  const sigma = sigmaForCosine(COPY_COSINE, dimension);
  const stride = Math.floor(originals / Math.max(1, planted));
  for (let i = 0; i < planted; i++) {
    const from = i * stride * dimension;
    const to = (originals + i) * dimension;
    let norm = 0;
    for (let d = 0; d < dimension; d++) {
      const value = vectors[from + d]! + sigma * normal();
      vectors[to + d] = value;
      norm += value * value;
    }
    norm = Math.sqrt(norm);
    for (let d = 0; d < dimension; d++) vectors[to + d]! /= norm;
  }
  const generateMs = performance.now() - generateStart;

  const ids = Array.from({ length: size }, (_, i) => i + 1);
  const memory: DuplicateSource = {
    dimension,
    catalogueGeneration: () => 1,
    embeddingChunk: (afterId, limit) => {
      const start = Math.max(0, afterId); // ids are row + 1, the first chunk is asked after -1
      const end = Math.min(size, start + limit);
      return { ids: ids.slice(start, end), vectors: vectors.subarray(start * dimension, end * dimension) };
    },
    imagesByIds: (wanted) => new Map(wanted.map((id): [number, CatalogueImage] => [id, { id, path: `/synthetic/${id}.jpg`, size: 1000 + (id % 7), mtimeMs: 0, width: 640, height: 480, indexedAt: 0 }])),
  };
  const finder = new DuplicateFinder(memory);
  const loadAtStart = os.loadavg()[0]!;
  const start = performance.now();
  const cpuBefore = process.cpuUsage();
  const report = await finder.find({ threshold: THRESHOLD, onProgress: (done, total, phase) => reporter.progress(`duplicates at ${size}: ${phase}`, done, total, phase === 'clustering' ? 'steps' : 'vectors') });
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  const groupOf = new Map<number, number>();
  for (const group of report.groups) for (const image of group.images) groupOf.set(image.id, group.id);
  let plantedFound = 0;
  for (let i = 0; i < planted; i++) {
    const a = groupOf.get(i * stride + 1);
    if (a !== undefined && a === groupOf.get(originals + i + 1)) plantedFound++;
  }
  const loadAverage: [number, number] = [loadAtStart, os.loadavg()[0]!];
  const exact = job.compareExact ? await compareWithExact(vectors, dimension, reporter) : undefined;
  return {
    size,
    threshold: THRESHOLD,
    plantedPairs: planted,
    plantedFound,
    groups: report.groups.length,
    imagesInGroups: report.groups.reduce((sum, group) => sum + group.images.length, 0),
    pairs: report.groups.reduce((sum, group) => sum + group.pairCount, 0),
    index: report.index,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    generateMs,
    maxRssBytes: maxRssBytes(),
    loadAverage,
    ...(exact ? { exact } : {}),
  };
});

/** The engine's pass (cells above EXACT_MAX_VECTORS) against every pair scored, on the same vectors. */
async function compareWithExact(vectors: Float32Array, dimension: number, reporter: WorkerReporter): Promise<ExactComparison> {
  const blocked = await thresholdGraph({ dimension, vectors, threshold: THRESHOLD });
  const start = performance.now();
  const exact = await thresholdGraph({ dimension, vectors, threshold: THRESHOLD, exactMaxVectors: Infinity, onProgress: (done, total) => reporter.progress('every pair, for the recall', done, total, 'vectors') });
  const exactMs = performance.now() - start;
  const n = vectors.length / dimension;
  const found = new Set(blocked.edges.map((edge) => edge.a * n + edge.b));
  return { exactPairs: exact.edges.length, pairsFound: exact.edges.filter((edge) => found.has(edge.a * n + edge.b)).length, exactMs };
}
