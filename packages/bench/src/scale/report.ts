import { count, fixed, mib, ms, seconds, table } from '../format';
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
    `Queries: ${count(corpus.queries)} (${count(corpus.syntheticQueries)} fresh synthetic, ${count(corpus.realQueries)} real photos not in the index), ` +
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
        ['  synthetic / real-photo queries', '', `${recall(auto.recall.synthetic)} / ${recall(auto.recall.real)}`],
        ['recall@10 the build measured when tuning', '-', recall(automatic.build.tuningRecall)],
      ],
      ['left', 'right', 'right'],
    ),
  );
  if (exact.query.queries < auto.queries) lines.push(`(exact search latency over ${count(exact.query.queries)} of the queries, spread over the set)`);
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
    `Bar: recall@10 >= ${bar.recall.required}: ${recall(bar.recall.value)} ${verdict(bar.recall.pass)}; ` +
      `p50 at least ${bar.speedup.required}x lower than exact: ${fixed(bar.speedup.value, 1)}x ${verdict(bar.speedup.pass)}; ` +
      `resident memory at most ${bar.memory.required} of flat: ${fixed(bar.memory.value, 2)} ${verdict(bar.memory.pass)}`,
  );
  return lines.join('\n');
}
