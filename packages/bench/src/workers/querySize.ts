/**
 * Query latency at one index size, in its own process so that its memory figures belong to that size.
 * Starts from a copy of a data directory holding real indexed photos, fills the index up to the size
 * with synthetic clustered unit vectors through the ordinary write API (ImageLibrary.apply: catalogue
 * rows + FAISS), then times text queries end to end through the engine's Searcher.
 */
import path from 'node:path';
import { ImageLibrary, openEngine, type AppConfig, type IndexedImageInput } from '@sis/core';
import { serveWorker, type WorkerReporter } from '../ipc';
import { cpuShare, cpuSnapshot, maxRssBytes, type CpuShare } from '../machine';
import { median, summarize, type Summary } from '../stats';
import { ClusteredVectors } from '../synthetic';
import { copyDataDir, filesSize, removeDir, scratchDataDir } from '../workdir';
import { measureFiltered, syntheticMetadata, type FilteredSection } from './filteredQueries';

export interface QuerySizeJob {
  config: AppConfig;
  seedDir: string;
  workDir: string;
  size: number;
  /** Timed queries. */
  queries: string[];
  /** Run first, not timed. */
  warmupQueries: string[];
  k: number;
  /** Vectors per ImageLibrary.apply call (one catalogue transaction each). */
  chunk: number;
  seed: number;
}

export interface QuerySizeResult {
  size: number;
  vectors: number;
  realImages: number;
  syntheticVectors: number;
  clusters: number;
  /** Adding the synthetic vectors: catalogue transactions + FAISS adds (+ past 200k, the approximate index's background build). */
  buildMs: number;
  /** Writing image_index.faiss. */
  saveMs: number;
  /** The FAISS index the engine chose at this size (ImageLibrary.stats().index), as the queries used it. */
  index: { type: string; choice: string; searchParams: Record<string, number>; measuredRecall: number | null; memoryBytes: number };
  /**
   * One indexer checkpoint at this size: ImageLibrary.apply of checkpointImages new vectors (median of 3),
   * measured after the queries. What each commit of a reindex costs once the library is this big.
   */
  checkpointImages: number;
  checkpointApplyMs: number;
  /** Opening the data directory read-only afterwards, with the saved index (what each `sis search` process pays before its query). */
  readerOpenMs: number;
  rssBeforeBuildBytes: number;
  rssAfterBuildBytes: number;
  /** Peak resident memory of the process up to the end of the timed queries. */
  maxRssBytes: number;
  indexFileBytes: number;
  catalogueBytes: number;
  queries: number;
  k: number;
  /** CPU use during the timed end-to-end queries (otherCores: other work on the machine). */
  cpu: CpuShare;
  /** searchText: tokenize + text encoder + FAISS top-k + catalogue lookup. */
  endToEnd: Summary;
  /** embedTexts of one query alone (tokenize + text encoder). */
  textEncoder: Summary;
  /** ImageLibrary.search alone (FAISS top-k + catalogue lookup), on the same query vectors. */
  searchAndLookup: Summary;
  /** The same query vectors unfiltered and under 1%, 10%, 50% selective filters (filteredQueries.ts). */
  filtered: FilteredSection;
}

function meanVector(vectors: Float32Array[], dimension: number): Float32Array | undefined {
  if (vectors.length === 0) return undefined;
  const sum = new Float32Array(dimension);
  for (const vector of vectors) for (let i = 0; i < dimension; i++) sum[i]! += vector[i]!;
  return sum;
}

async function main(job: QuerySizeJob, reporter: WorkerReporter): Promise<QuerySizeResult> {
  const dataDir = path.join(job.workDir, `query-${job.size}`);
  copyDataDir(job.seedDir, dataDir);
  const engine = await openEngine(scratchDataDir(job.config, dataDir), { writable: true });
  try {
    const { library, embedder, searcher } = engine;
    await embedder.tokenize('load the text model'); // the text tower loads here, not inside a timed query
    const dimension = embedder.dimension;

    // Real photos first (trimmed if the size is smaller than the seed).
    const realPaths = [...library.fileStates()].filter(([, state]) => state.status === 'indexed').map(([filePath]) => filePath);
    if (realPaths.length > job.size) {
      library.apply({ upsertIndexed: [], upsertSkipped: [], removePaths: realPaths.slice(job.size) });
      realPaths.length = job.size;
    }
    const realVectors = realPaths.map((filePath) => library.getByPath(filePath)!.embedding);
    const realImages = library.count();

    const rssBeforeBuildBytes = process.memoryUsage.rss();
    const synthetic = job.size - realImages;
    const generator = new ClusteredVectors({ count: synthetic, dimension, seed: job.seed, centre: meanVector(realVectors, dimension) });
    const label = `index of ${job.size.toLocaleString('en-US')}: adding synthetic vectors`;
    const now = Date.now();
    /** n synthetic images numbered from `first`, as the indexer would hand them to the library. */
    const syntheticImages = (first: number, n: number): IndexedImageInput[] => {
      const block = generator.next(n);
      return Array.from({ length: n }, (_, row) => ({
        path: `/synthetic/${Math.floor((first + row) / 1000)}/${first + row}.jpg`,
        size: 100_000 + ((first + row) % 50_000),
        mtimeMs: now,
        width: 500,
        height: 375,
        embedding: block.subarray(row * dimension, (row + 1) * dimension),
        metadata: syntheticMetadata(first + row),
      }));
    };
    const buildStart = performance.now();
    for (let added = 0; added < synthetic; ) {
      const n = Math.min(job.chunk, synthetic - added);
      library.apply({ upsertIndexed: syntheticImages(added, n), upsertSkipped: [], removePaths: [] });
      added += n;
      reporter.progress(label, added, synthetic, 'vectors');
    }
    // Past 200k vectors the engine replaces the flat index with an approximate one, built in the background
    // (store/indexPlan.ts): wait for it, so that the queries below time the index this size really gets.
    await library.settled();
    const buildMs = performance.now() - buildStart;
    const rssAfterBuildBytes = process.memoryUsage.rss();
    const saveStart = performance.now();
    library.checkpoint();
    const saveMs = performance.now() - saveStart;
    const vectors = library.count();
    const { type, choice, searchParams, measuredRecall, memoryBytes } = library.stats().index;
    const index = { type, choice, searchParams, measuredRecall, memoryBytes };

    // Warm-up: first calls allocate and JIT.
    for (const query of job.warmupQueries) await searcher.searchText(query, job.k);

    // Each query three ways, back to back, so that the parts are measured under the same conditions as the whole.
    const endToEnd: number[] = [];
    const textEncoder: number[] = [];
    const searchAndLookup: number[] = [];
    const queryVectors: Float32Array[] = [];
    const cpuStart = cpuSnapshot();
    const queryLabel = `index of ${job.size.toLocaleString('en-US')}: text queries`;
    for (const [i, query] of job.queries.entries()) {
      let start = performance.now();
      const result = await searcher.searchText(query, job.k);
      endToEnd.push(performance.now() - start);
      if (result.hits.length !== Math.min(job.k, vectors)) throw new Error(`query "${query}" returned ${result.hits.length} hits`);
      start = performance.now();
      const [vector] = await embedder.embedTexts([query.trim()]);
      textEncoder.push(performance.now() - start);
      start = performance.now();
      library.search(vector!, job.k, 'text');
      searchAndLookup.push(performance.now() - start);
      queryVectors.push(vector!);
      if (i % 10 === 0) reporter.progress(queryLabel, i + 1, job.queries.length, 'queries');
    }
    const cpu = cpuShare(cpuStart, cpuSnapshot());
    reporter.log(`index of ${job.size.toLocaleString('en-US')}: filtered searches`);
    const filtered = measureFiltered(library, queryVectors, job.k);
    // Peak memory of building and querying (the steps below load a second copy of the index).
    const peakRssBytes = maxRssBytes();

    const checkpointImages = job.config.checkpointImages;
    const checkpoints: number[] = [];
    for (let i = 0; i < 3; i++) {
      const images = syntheticImages(synthetic + i * checkpointImages, checkpointImages);
      const start = performance.now();
      library.apply({ upsertIndexed: images, upsertSkipped: [], removePaths: [] });
      checkpoints.push(performance.now() - start);
    }
    const finalCount = library.count();
    engine.close();

    const openStart = performance.now();
    const reader = ImageLibrary.open(dataDir, { modelName: embedder.modelName, dimension, precision: embedder.precision, writable: false });
    const readerCount = reader.count();
    const readerOpenMs = performance.now() - openStart;
    reader.close();
    if (readerCount !== finalCount) throw new Error(`a reader sees ${readerCount} images, the writer had ${finalCount}`);

    return {
      size: job.size,
      vectors,
      realImages,
      syntheticVectors: synthetic,
      clusters: generator.clusterCount,
      buildMs,
      saveMs,
      index,
      checkpointImages,
      checkpointApplyMs: median(checkpoints),
      readerOpenMs,
      rssBeforeBuildBytes,
      rssAfterBuildBytes,
      maxRssBytes: peakRssBytes,
      indexFileBytes: filesSize(dataDir, 'image_index'),
      catalogueBytes: filesSize(dataDir, 'catalogue.sqlite'),
      queries: job.queries.length,
      k: job.k,
      cpu,
      endToEnd: summarize(endToEnd),
      textEncoder: summarize(textEncoder),
      searchAndLookup: summarize(searchAndLookup),
      filtered,
    };
  } finally {
    engine.close();
    removeDir(dataDir);
  }
}

serveWorker(main);
