/**
 * The scale run: a million clustered synthetic vectors plus real photos, indexed exactly and with the
 * engine's automatic choice, each built and then queried in its own process (honest memory figures), one
 * after the other (they would compete for the CPU otherwise).
 */
import path from 'node:path';
import { RERANK_FACTOR, type AppConfig, type IndexSettings } from '@sis/core';
import { runWorker } from '../ipc';
import { machineInfo, type MachineInfo } from '../machine';
import type { ProgressDisplay } from '../progress';
import { makeWorkDir, removeDir } from '../workdir';
import type { BuildJob, BuildResult } from './buildWorker';
import type { EmbedJob, EmbedResult } from './embedWorker';
import type { GenerateJob, GenerateResult } from './generateWorker';
import type { QueryJob, QueryResult } from './queryWorker';

export interface ScaleOptions {
  /** Synthetic vectors (default 1,000,000). */
  vectors: number;
  /** Synthetic queries (fresh draws, never indexed). */
  syntheticQueries: number;
  /** Real photos (not indexed) used as queries. */
  realQueries: number;
  /** Captions (of the query photos' set, never tuned on) used as text queries. */
  captionQueries: number;
  captionsFile: string;
  /** nprobe values at which recall per kind is measured too (IVF). */
  sweep: number[];
  k: number;
  warmup: number;
  /** Exact search is slow at this size: time only this many of its queries (all when undefined). */
  exactTimed?: number;
  /** Photos indexed along with the synthetic vectors. */
  folder: string;
  /** Photos the real queries come from. */
  queryFolder: string;
  /** The automatic choice's settings (target recall, memory budget; factory to compare another index). */
  settings: Partial<IndexSettings>;
  /** Also query the automatic index memory-mapped, as readers load it. */
  mmap: boolean;
  seed: number;
  workDir?: string;
  keep: boolean;
}

export interface ScaleBar {
  /** The lowest recall@10 of the query kinds (each must reach it). */
  recall: { value: number; required: number; pass: boolean; byKind: Record<string, number | null> };
  /** p50 of exact search / p50 of the automatic index. */
  speedup: { value: number; required: number; pass: boolean };
  /** Resident memory of the automatic index / of the flat one. */
  memory: { value: number; required: number; pass: boolean };
}

export interface ScaleResult {
  kind: 'bench-scale';
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  model: { name: string; dimension: number };
  options: ScaleOptions;
  real: EmbedResult;
  corpus: GenerateResult;
  exact: { build: BuildResult; query: QueryResult };
  automatic: { build: BuildResult; query: QueryResult; mmapQuery?: QueryResult };
  bar: ScaleBar;
}

const script = (name: string) => path.join(__dirname, `${name}.js`);

export async function runScale(config: AppConfig, options: ScaleOptions, progress: ProgressDisplay): Promise<ScaleResult> {
  const startedAt = new Date();
  const machine = machineInfo();
  const workDir = makeWorkDir(options.workDir);
  const cleanup = () => {
    if (!options.keep) removeDir(workDir);
  };
  const onSignal = () => {
    progress.stop();
    cleanup();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const handlers = {
    onProgress: (m: { label: string; value: number; total: number; unit: string }) => progress.update(m.label, m.value, m.total, m.unit),
    onLog: (text: string) => progress.log(text),
  };
  const file = (name: string) => path.join(workDir, name);
  try {
    const real = await runWorker<EmbedJob, EmbedResult>(
      script('embedWorker'),
      {
        config,
        folder: options.folder,
        queryFolder: options.queryFolder,
        queryCount: options.realQueries,
        workDir,
        realFile: file('real.f32'),
        realQueriesFile: file('real-queries.f32'),
        captionsFile: options.captionsFile,
        captionCount: options.captionQueries,
        captionQueriesFile: file('caption-queries.f32'),
        phrasesFile: file('phrases.f32'),
      },
      handlers,
    );
    const { dimension } = real;
    const corpus = await runWorker<GenerateJob, GenerateResult>(
      script('generateWorker'),
      {
        dimension,
        synthetic: options.vectors,
        syntheticQueries: options.syntheticQueries,
        seed: options.seed,
        realFile: file('real.f32'),
        realQueriesFile: file('real-queries.f32'),
        captionQueriesFile: file('caption-queries.f32'),
        baseFile: file('base.f32'),
        queriesFile: file('queries.f32'),
      },
      handlers,
    );
    const build = (job: Omit<BuildJob, 'baseFile' | 'rows' | 'dimension'>) =>
      runWorker<BuildJob, BuildResult>(script('buildWorker'), { ...job, baseFile: file('base.f32'), rows: corpus.rows, dimension }, handlers);
    const query = (job: Pick<QueryJob, 'label' | 'indexFile' | 'mmap' | 'timed' | 'sweep' | 'paramsByKind' | 'rerank'>) =>
      runWorker<QueryJob, QueryResult>(
        script('queryWorker'),
        {
          ...job,
          dimension,
          queriesFile: file('queries.f32'),
          truthFile: file('truth.i64'),
          syntheticQueries: corpus.syntheticQueries,
          realQueries: corpus.realQueries,
          k: options.k,
          warmup: options.warmup,
        },
        handlers,
      );

    const exactBuild = await build({
      label: 'exact',
      settings: { factory: 'Flat' },
      indexFile: file('exact.faiss'),
      truth: { queriesFile: file('queries.f32'), truthFile: file('truth.i64'), k: options.k },
    });
    // Tuned as the engine tunes: held-out stored vectors as image queries, its built-in phrases as text queries.
    const automaticBuild = await build({ label: 'automatic', settings: options.settings, indexFile: file('automatic.faiss'), phrasesFile: file('phrases.f32') });
    // Searched as the engine searches: each kind with its own parameters, an approximate index's candidates re-ranked.
    const approximate = automaticBuild.factory !== 'IDMap2,Flat';
    const engineSearch = {
      paramsByKind: automaticBuild.searchParamsByKind,
      ...(approximate ? { rerank: { baseFile: file('base.f32'), rows: corpus.rows, factor: RERANK_FACTOR } } : {}),
    };
    const automaticQuery = await query({ label: 'automatic', indexFile: file('automatic.faiss'), mmap: false, sweep: options.sweep, ...engineSearch });
    const mmapQuery =
      options.mmap && automaticBuild.description.startsWith('IVF')
        ? await query({ label: 'automatic, memory-mapped', indexFile: file('automatic.faiss'), mmap: true, ...engineSearch })
        : undefined;
    const exactQuery = await query({ label: 'exact', indexFile: file('exact.faiss'), mmap: false, ...(options.exactTimed !== undefined ? { timed: options.exactTimed } : {}) });

    const recallByKind = Object.fromEntries(Object.entries(automaticQuery.byKind).map(([kind, figures]) => [kind, figures.recall]));
    const recall = Math.min(...Object.values(recallByKind).filter((value): value is number => value !== null));
    const speedup = exactQuery.latency.median / automaticQuery.latency.median;
    const memory = automaticQuery.indexResidentBytes / exactQuery.indexResidentBytes;
    return {
      kind: 'bench-scale',
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine,
      model: { name: real.modelName, dimension },
      options,
      real,
      corpus,
      exact: { build: exactBuild, query: exactQuery },
      automatic: { build: automaticBuild, query: automaticQuery, ...(mmapQuery ? { mmapQuery } : {}) },
      bar: {
        recall: { value: recall, required: 0.95, pass: recall >= 0.95, byKind: recallByKind },
        speedup: { value: speedup, required: 5, pass: speedup >= 5 },
        memory: { value: memory, required: 0.5, pass: memory <= 0.5 },
      },
    };
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    cleanup();
  }
}
