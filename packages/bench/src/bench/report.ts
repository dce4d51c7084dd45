import path from 'node:path';
import { describeThreads } from '../config';
import { invocationDir } from '../paths';
import { count, fixed, mib, ms, seconds, shortCount, table, withRange } from '../format';
import type { QuerySizeResult } from '../workers/querySize';
import { QUIET_CORES, type BenchResult, type PerImageMs } from './summary';
import { formatThroughput } from './throughput';
import { formatScaleOut } from '../scaleOut/measure';

function machineLine(result: BenchResult): string {
  const m = result.machine;
  return (
    `Machine: ${m.cpuModel}, ${m.logicalCores} logical cores (Node may use ${m.availableParallelism}), ` +
    `${(m.totalMemoryBytes / 2 ** 30).toFixed(0)} GiB, ${m.platform}/${m.arch}; Node ${m.node}, onnxruntime-node ${m.onnxruntime}, ` +
    `transformers.js ${m.transformers}; load average ${m.loadAverageAtStart.toFixed(2)} at start, ${m.loadAverageAtEnd.toFixed(2)} at end`
  );
}

function stageCells(perImage: PerImageMs | undefined): string[] {
  if (!perImage) return ['-', '-', '-', '-'];
  return [ms(perImage.scan, 3), ms(perImage.decode), ms(perImage.inference), ms(perImage.write, 2)];
}

function relativeFolder(folder: string): string {
  const relative = path.relative(invocationDir(), folder);
  return relative.length < folder.length ? relative : folder;
}

/** "IVF1024,SQ8 (nprobe 16, recall@10 0.97)"; older result files have no index entry. */
function describeIndex(index: QuerySizeResult['index'] | undefined): string {
  if (!index) return '-';
  const details = [
    ...Object.entries(index.searchParams).map(([name, value]) => `${name} ${value}`),
    ...(index.measuredRecall === null ? [] : [`recall@10 ${index.measuredRecall.toFixed(2)}`]),
  ];
  return details.length > 0 ? `${index.type} (${details.join(', ')})` : index.type;
}

export function formatBenchReport(result: BenchResult): string {
  const out: string[] = [];
  const { model } = result;
  out.push(
    `Model: ${model.name} (dimension ${model.dimension}), batch size ${model.batchSize}, ONNX Runtime intra-op threads ${describeThreads(model.threads)}, device ${model.device}`,
  );
  out.push(machineLine(result));
  out.push('Figures are medians over the measured runs, (min-max) in brackets; other work on the machine shows as a wide range.');

  const indexing = result.indexing;
  if (indexing) {
    out.push('');
    out.push(
      `## Indexing: ${relativeFolder(indexing.folder)} (${indexing.embedded} images embedded, ${indexing.skipped} skipped), ` +
        `${indexing.runs} runs after ${indexing.warmup} warm-up, each into a fresh data directory; model loaded once (${seconds(indexing.modelLoadMs)})`,
    );
    out.push('');
    const rows: string[][] = [
      [
        `reindex (batches of ${indexing.batchSize}, ${indexing.decodeConcurrency} decodes ahead)`,
        withRange(indexing.real.imagesPerSecond),
        seconds(indexing.real.elapsedMs.median),
        ...stageCells(indexing.real.perImageMs),
        mib(indexing.real.peakRssBytes),
      ],
    ];
    if (indexing.naive) {
      rows.push([
        'naive baseline (one at a time, full decode)',
        withRange(indexing.naive.imagesPerSecond),
        seconds(indexing.naive.elapsedMs.median),
        ...stageCells(indexing.naive.perImageMs),
        '-',
      ]);
    }
    rows.push([
      `model alone (prepared pixels, batch ${indexing.batchSize})`,
      withRange(indexing.modelOnly.imagesPerSecond),
      '-',
      '-',
      '-',
      ms(1000 / indexing.modelOnly.imagesPerSecond.median),
      '-',
      '-',
    ]);
    out.push(
      table(
        ['pipeline', 'images/s', 'total', 'scan /img', 'read+decode+preprocess /img', 'inference /img', 'index+catalogue write /img', 'peak RSS'],
        rows,
      ),
    );
    out.push('');
    const ratios: string[] = [];
    if (indexing.realOverNaive) ratios.push(`reindex / naive baseline = ${withRange(indexing.realOverNaive, 2, 'x')}`);
    ratios.push(`reindex / model alone = ${withRange(indexing.realOverModelOnly, 2)} (project bar: >= 0.80)`);
    out.push(`Ratios (per run, then median): ${ratios.join('; ')}`);
    out.push(`No-op reindex of the unchanged folder: ${withRange(indexing.noopMs, 1, 'ms')}`);
    if (indexing.otherCores) {
      out.push(
        `Other processes took ${withRange(indexing.otherCores, 2)} of the ${result.machine.logicalCores} cores during the runs (most over each run's steps; 0 = quiet machine).`,
      );
      const quiet = indexing.quiet;
      out.push(
        quiet
          ? `Quiet runs only (other processes < ${QUIET_CORES} cores throughout), ${quiet.runs} of ${indexing.runs}: reindex ${fixed(quiet.realImagesPerSecond)}` +
              (quiet.naiveImagesPerSecond !== undefined ? `, naive ${fixed(quiet.naiveImagesPerSecond)}` : '') +
              `, model alone ${fixed(quiet.modelOnlyImagesPerSecond)} images/s; reindex / model alone ${fixed(quiet.realOverModelOnly, 2)}` +
              (quiet.realOverNaive !== undefined ? `, reindex / naive ${fixed(quiet.realOverNaive, 2)}x` : '') +
              '.'
          : `No run was quiet (other processes < ${QUIET_CORES} cores throughout): the figures above are slowed by other work.`,
      );
    }
    out.push(
      `Stages overlap in the reindex: decoding runs while the model infers, so per-image stage times add up to more than 1 / rate. ` +
        `Inference waited ${ms(indexing.real.perImageMs.decodeWait)} per image for decoding.`,
    );
  }

  for (const section of result.throughput ?? []) {
    out.push('');
    out.push(...formatThroughput(section, result.machine.availableParallelism));
  }

  const query = result.query;
  if (query) {
    out.push('');
    out.push(
      `## Query latency: text query end to end (tokenize + text encoder + FAISS top-${query.k} + catalogue lookup), ` +
        `${query.queries} queries after ${query.warmupQueries} warm-up`,
    );
    out.push('');
    out.push(
      table(
        ['index size', 'FAISS index', 'p50', 'p95', 'p99', 'text encoder p50', 'search+lookup p50', 'search+lookup p99', 'other load'],
        query.sizes.map((size) => [
          shortCount(size.size),
          describeIndex(size.index),
          ms(size.endToEnd.median),
          ms(size.endToEnd.p95),
          ms(size.endToEnd.p99),
          ms(size.textEncoder.median),
          ms(size.searchAndLookup.median),
          ms(size.searchAndLookup.p99),
          size.cpu.otherCores === undefined ? '-' : `${size.cpu.otherCores.toFixed(2)} cores`,
        ]),
      ),
    );
    out.push('');
    out.push(
      table(
        ['index size', 'real + synthetic', 'build', 'save index', 'reader open', 'one checkpoint', 'RSS before build', 'RSS after build', 'peak RSS', 'on disk'],
        query.sizes.map((size) => [
          shortCount(size.size),
          `${count(size.realImages)} + ${count(size.syntheticVectors)}`,
          seconds(size.buildMs),
          seconds(size.saveMs),
          seconds(size.readerOpenMs),
          ms(size.checkpointApplyMs),
          mib(size.rssBeforeBuildBytes),
          mib(size.rssAfterBuildBytes),
          mib(size.maxRssBytes),
          mib(size.catalogueBytes + size.indexFileBytes),
        ]),
      ),
    );
    out.push('');
    out.push(
      'Synthetic vectors: unit length, in clusters gathered around the real photos\' mean direction, added through ImageLibrary.apply ' +
        '(catalogue rows + FAISS), so "build" is the write path a reindex of that many photos would take minus decoding and inference. ' +
        'Each size runs in its own process: its RSS figures (text model + index) belong to it. "other load": cores other ' +
        'processes took during the timed queries. "one checkpoint": one ImageLibrary.apply of as many new images as a ' +
        'reindex commits at a time (checkpointImages), at that index size. "reader open": opening the data directory ' +
        'read-only from the saved index, as every `sis search` process does. "FAISS index": what the engine chose for that ' +
        'size (exact flat search, or an approximate index with the recall@10 against exact search it measured when building it); ' +
        '"build" includes waiting for the engine to finish building it.',
    );
    out.push('');
    out.push(formatFiltered(query.sizes, query.k));
  }

  const cold = result.coldStart;
  if (cold) {
    out.push('');
    out.push(`## Cold start: a new \`node\` process opens the engine and answers one text query (index of ${cold.indexImages} images), ${cold.runs} runs after ${cold.warmup} warm-up`);
    out.push('');
    out.push(
      table(
        ['stage', 'time'],
        [
          ['process start to first answer (spawn -> answer)', withRange(cold.toFirstAnswerMs, 0, 'ms')],
          ['  Node start', withRange(cold.bootMs, 0, 'ms')],
          ['  load modules (@sis/core, transformers.js, onnxruntime, sharp, FAISS, SQLite)', withRange(cold.importMs, 0, 'ms')],
          ['  open engine (model config, catalogue, FAISS index)', withRange(cold.engineOpenMs, 0, 'ms')],
          ['  model load: tokenizer + text model', withRange(cold.textModelLoadMs, 0, 'ms')],
          ['  first query', withRange(cold.firstQueryMs, 0, 'ms')],
          ['vision model load (indexing, image search; not needed for a text query)', withRange(cold.visionModelLoadMs, 0, 'ms')],
        ],
      ),
    );
    out.push('The OS file cache is warm after the first run (model files are read from memory): a first start after boot is slower.');
  }

  if (result.scaleOut) {
    out.push('');
    out.push('## Scale out: the catalogue in PostgreSQL, and search replicas (synthetic 512-float rows; a throwaway PostgreSQL cluster)');
    out.push('');
    out.push(formatScaleOut(result.scaleOut));
    out.push(
      'Commit: one checkpoint (one transaction) at that many stored rows. Replica load: opening a replica on that catalogue, ' +
        'from PostgreSQL (binary COPY of every vector, then the index the automatic plan chooses is built, plus the row copy it ' +
        'serves from) and from its local cache (the index file it saved, brought forward by the change log). Catch-up: from ' +
        "a writer's commit to the replica searching it, woken by LISTEN/NOTIFY.",
    );
  }
  if (result.duplicates) out.push(...formatDuplicatesSection(result.duplicates));
  return out.join('\n');
}

function formatDuplicatesSection(sizes: NonNullable<BenchResult['duplicates']>): string[] {
  return [
    '',
    `## Duplicates: near-duplicate groups of a whole library (synthetic clustered vectors, 1% with a planted copy at cosine ~0.97), threshold ${sizes[0]?.threshold ?? ''}`,
    '',
    table(
      ['vectors', 'wall time', 'CPU time', 'scored', 'pairs >= T', 'recall of pairs', 'planted pairs found', 'groups', 'max RSS', 'load avg'],
      sizes.map((size) => [
        size.size.toLocaleString('en-US'),
        `${(size.wallMs / 1000).toFixed(1)} s`,
        `${(size.cpuMs / 1000).toFixed(1)} s`,
        size.index,
        size.pairs === undefined ? '-' : size.pairs.toLocaleString('en-US'),
        size.exact ? `${size.exact.pairsFound}/${size.exact.exactPairs}` : '-',
        `${size.plantedFound}/${size.plantedPairs} (${((100 * size.plantedFound) / Math.max(1, size.plantedPairs)).toFixed(1)}%)`,
        String(size.groups),
        `${Math.round(size.maxRssBytes / 2 ** 20)} MiB`,
        size.loadAverage ? size.loadAverage.map((load) => load.toFixed(1)).join(' -> ') : '-',
      ]),
    ),
    'Wall time: DuplicateFinder.find (k-means cells, blocked sgemm scoring, union-find, keepers) in its own process; the vectors come from memory. ' +
      'CPU time: user + system of that process over the same span (all threads); on a machine shared with other work it is the steadier figure. ' +
      "Scored: 'flat' = every pair; 'cells C, P probed' = each vector against the members of its P nearest k-means cells. " +
      'Recall of pairs: pairs >= T the timed pass found / pairs >= T of a pass scoring every pair (sizes up to 20k). Max RSS includes the generated vectors and their copy the finder reads.',
  ];
}


/** Filtered top-k beside unfiltered (workers/filteredQueries.ts). */
function formatFiltered(sizes: readonly QuerySizeResult[], k: number): string {
  const rows = sizes.flatMap((size) => [
    [shortCount(size.size), 'none', '100%', ms(size.filtered.unfiltered.median), ms(size.filtered.unfiltered.p99), '-', '1.00', '-'],
    ...Object.entries(size.filtered.filters).map(([name, figures]) => [
      shortCount(size.size),
      `${name} (date range)`,
      `${(figures.selectedFraction * 100).toFixed(1)}%`,
      ms(figures.search.median),
      ms(figures.search.p99),
      ms(figures.select.median),
      fixed(figures.p50VsUnfiltered, 2),
      figures.recall === null ? '-' : fixed(figures.recall, 3),
    ]),
  ]);
  return [
    `## Filtered search: top-${k} among the images a filter selects, on the query vectors above (search only, no text encoder)`,
    '',
    table(['index size', 'filter', 'selected', 'p50', 'p99', 'of which selecting ids (p50)', 'p50 / unfiltered', `recall@${k} vs exact subset`], rows),
    '',
    'Filtered: selectIds over the cached metadata, then ImageLibrary.searchAmong: the FAISS index searched with an ID selector ' +
      '(exact for a flat index; IVF visits its nprobe lists, skipping other ids), or an exact scan of the stored vectors when the ' +
      'selection is small (EXACT_SUBSET_MAX) and the index approximate. Recall against an exact scan of the selection, on the first 20 queries (up to 200k vectors).',
  ].join('\n');
}
