import { count, fixed, mib, ms, seconds, table } from '../format';
import { KIND_LABELS, QUERY_KINDS } from './queryKinds';
import type { ScaleResult } from './run';

function params(searchParams: Record<string, number>): string {
  const entries = Object.entries(searchParams);
  return entries.length === 0 ? '' : ` (${entries.map(([name, value]) => `${name}=${value}`).join(', ')})`;
}

function gib(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(2)} GiB` : mib(bytes);
}

function recall(value: number | null): string {
  return value === null ? '-' : value.toFixed(4);
}

/** The scale run as text: the figures the issue asks for, then the bar. */
export function formatScaleReport(result: ScaleResult): string {
  const { corpus, real, exact, automatic, bar, machine } = result;
  const auto = automatic.query;
  const lines: string[] = [];
  lines.push(
    `Scale run: ${count(corpus.rows)} vectors of dimension ${result.model.dimension} ` +
      `(${count(corpus.synthetic)} synthetic in ${count(corpus.topics)} topics / ${count(corpus.subjects)} subjects, ` +
      `+ ${count(corpus.real)} real photos embedded by ${result.model.name})`,
  );
  lines.push(
    `Queries: ${count(corpus.queries)} (${count(corpus.syntheticQueries)} fresh synthetic, ${count(corpus.realQueries)} real photos not in the index, ` +
      `${count(corpus.captionQueries)} caption texts of those photos' set), ` +
      `k = ${result.options.k}, one query at a time. Machine: ${machine.cpuModel}, ${machine.logicalCores} cores, ${gib(machine.totalMemoryBytes)}.`,
  );
  const truth = exact.build.truth;
  lines.push(
    `Data: random pairs cosine ${fixed(corpus.randomPairCosine, 2)}; queries' exact nearest neighbour ${fixed(truth?.meanTop1Score, 2)}, ` +
      `10th nearest ${fixed(truth?.meanTop10Score, 2)} (mean cosines).`,
  );
  lines.push('');
  const buildDetail = (b: typeof exact.build) =>
    b.trainMs > 0 ? `${seconds(b.buildMs)} (train ${seconds(b.trainMs)} on ${count(b.trainingVectors)}, add ${seconds(b.addMs)}, tune ${seconds(b.tuneMs)})` : `${seconds(b.buildMs)} (add ${seconds(b.addMs)})`;
  lines.push(
    table(
      ['', `exact: ${exact.build.description}`, `automatic: ${automatic.build.description}${params(auto.searchParams)}`],
      [
        ['build (from vectors in a file)', buildDetail(exact.build), buildDetail(automatic.build)],
        ['index file', gib(exact.build.fileBytes), gib(automatic.build.fileBytes)],
        ['resident memory (RSS added by the loaded index)', gib(exact.query.indexResidentBytes), `${gib(auto.indexResidentBytes)} (${fixed(bar.memory.value, 2)}x)`],
        ['memory the index reports', gib(exact.query.indexMemoryBytes), gib(auto.indexMemoryBytes)],
        ['peak RSS while building', gib(exact.build.memoryAfter.peakRss), gib(automatic.build.memoryAfter.peakRss)],
        ['load time', ms(exact.query.loadMs), ms(auto.loadMs)],
        ['latency p50', ms(exact.query.latency.median), `${ms(auto.latency.median)} (${fixed(bar.speedup.value, 0)}x faster)`],
        ['latency p99', ms(exact.query.latency.p99), ms(auto.latency.p99)],
        [`recall@${result.options.k} vs exact (${count(auto.queries)} queries)`, '1 (it is the reference)', recall(auto.recall.all)],
        ['  synthetic / real-photo / caption-text queries', '', `${recall(auto.recall.synthetic)} / ${recall(auto.recall.real)} / ${recall(auto.recall.caption)}`],
        [
          'recall@10 the build measured when tuning (image / text)',
          '-',
          `${recall(automatic.build.tuningRecallByKind.image ?? automatic.build.tuningRecall)} / ${recall(automatic.build.tuningRecallByKind.text ?? null)}`,
        ],
      ],
      ['left', 'right', 'right'],
    ),
  );
  if (exact.query.queries < auto.queries) lines.push(`(exact search latency over ${count(exact.query.queries)} of the queries, spread over the set)`);
  lines.push('');
  const reranked = auto.rerankFactor !== null ? `, its ${auto.rerankFactor}k candidates re-scored with the stored vectors` : '';
  lines.push(`Per kind of query, searched as the engine searches (each kind with its own tuned parameters${reranked}; one at a time):`);
  lines.push(
    table(
      ['query kind', 'queries', 'parameters', `recall@${result.options.k}`, 'FAISS alone', 'p50', 'p99', 'exact p50', 'exact p99'],
      QUERY_KINDS.map((kind) => {
        const figures = auto.byKind[kind];
        const exactFigures = exact.query.byKind[kind];
        return [
          KIND_LABELS[kind],
          count(figures.queries),
          params(figures.params).trim() || '-',
          recall(figures.recall),
          recall(figures.rawRecall),
          ms(figures.latency?.median),
          ms(figures.latency?.p99),
          ms(exactFigures.latency?.median),
          ms(exactFigures.latency?.p99),
        ];
      }),
      ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    ),
  );
  if (auto.sweep.length > 0) {
    lines.push('');
    lines.push(`recall@${result.options.k} per kind at other nprobe values (FAISS alone, no re-ranking; all queries, batch search; tuned values marked *):`);
    lines.push(
      table(
        ['nprobe', ...QUERY_KINDS.map((kind) => KIND_LABELS[kind])],
        auto.sweep.map((point) => [
          `${point.nprobe}${QUERY_KINDS.some((kind) => auto.byKind[kind].params.nprobe === point.nprobe) ? ' *' : ''}`,
          ...QUERY_KINDS.map((kind) => recall(point.recall[kind])),
        ]),
        ['right', 'right', 'right', 'right'],
      ),
    );
  }
  lines.push('');
  lines.push(`Automatic choice: ${automatic.build.choice}.`);
  const mapped = automatic.mmapQuery;
  if (mapped) {
    const anon = (mapped.memoryAfterQueries.rssAnon ?? 0) - (mapped.memoryBaseline.rssAnon ?? 0);
    const fileBacked = (mapped.memoryAfterQueries.rssFile ?? 0) - (mapped.memoryBaseline.rssFile ?? 0);
    lines.push(
      `Memory-mapped (as readers load it): load ${ms(mapped.loadMs)}, resident ${gib(anon)} heap + ${gib(fileBacked)} of mapped file pages after ` +
        `${count(mapped.queries)} queries (shared page cache), p50 ${ms(mapped.latency.median)}, p99 ${ms(mapped.latency.p99)}, recall ${recall(mapped.recall.all)}.`,
    );
  }
  lines.push(`Real photos: ${count(real.realImages)} indexed and ${count(real.realQueries)} query photos embedded in ${seconds(real.elapsedMs)}; vectors generated in ${seconds(corpus.elapsedMs)}.`);
  lines.push('');
  const verdict = (pass: boolean) => (pass ? 'PASS' : 'FAIL');
  lines.push(
    `Bar: recall@10 >= ${bar.recall.required} for every kind of query (lowest: ${recall(bar.recall.value)}) ${verdict(bar.recall.pass)}; ` +
      `p50 at least ${bar.speedup.required}x lower than exact: ${fixed(bar.speedup.value, 1)}x ${verdict(bar.speedup.pass)}; ` +
      `resident memory at most ${bar.memory.required} of flat: ${fixed(bar.memory.value, 2)} ${verdict(bar.memory.pass)}`,
  );
  return lines.join('\n');
}
