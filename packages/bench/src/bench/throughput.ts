/**
 * The throughput section of pnpm bench (issue 11): precisions x core splits, against the Python peer
 * run in the same session. Pure summarising and formatting; the measuring is in workers/throughput.ts
 * and python.ts.
 */
import type { ModelDtype } from '@sis/core';
import type { Headline } from '../compare';
import { fixed, ms, table, withRange } from '../format';
import type { PythonReferenceResult } from '../python';
import { runStats, type RunStats } from '../stats';
import type { Split, StageCpu, ThroughputEntry, ThroughputResult } from '../workers/throughput';

export interface PythonFigures {
  graph: string;
  modelAlone: RunStats;
  endToEnd: RunStats;
  wallSeconds: RunStats;
  decodeCpuMs: number;
  preprocessCpuMs: number;
}

export interface SplitFigures {
  split: Split;
  modelAlone: RunStats;
  reindex: RunStats;
  reindexWallSeconds: RunStats;
  /** Per run: reindex / model alone of the same run. */
  reindexOverModelAlone: RunStats;
  reindexCpuMs: number;
  modelAloneCpuMs: number;
  decodeWaitMs: number;
  otherCores?: RunStats;
}

export interface DtypeFigures {
  dtype: ModelDtype;
  splits: SplitFigures[];
  /** The split with the highest median reindex rate. */
  best: SplitFigures;
  python?: PythonFigures;
}

export interface ThroughputSection {
  folder: string;
  label: string;
  images: number;
  runs: number;
  batchSize: number;
  stageCpu?: StageCpu;
  dtypes: DtypeFigures[];
  skipped: { dtype: ModelDtype; reason: string }[];
  pythonNote?: string;
}

export function summarisePython(result: PythonReferenceResult): PythonFigures {
  return {
    graph: result.graph,
    modelAlone: runStats(result.modelAlone),
    endToEnd: runStats(result.endToEnd.map((run) => run.imagesPerSecond)),
    wallSeconds: runStats(result.endToEnd.map((run) => run.wallSeconds)),
    decodeCpuMs: result.decodeCpuMsPerImage,
    preprocessCpuMs: result.preprocessCpuMsPerImage,
  };
}

function summariseSplit(entry: ThroughputEntry): SplitFigures {
  const { runs } = entry;
  const median = (pick: (run: (typeof runs)[number]) => number) => runStats(runs.map(pick)).median;
  const others = runs.map((run) => run.otherCores);
  return {
    split: entry.split,
    modelAlone: runStats(runs.map((run) => run.modelOnlyImagesPerSecond)),
    reindex: runStats(runs.map((run) => run.reindexImagesPerSecond)),
    reindexWallSeconds: runStats(runs.map((run) => run.reindexElapsedMs / 1000)),
    reindexOverModelAlone: runStats(runs.map((run) => run.reindexImagesPerSecond / run.modelOnlyImagesPerSecond)),
    reindexCpuMs: median((run) => run.reindexCpuMs),
    modelAloneCpuMs: median((run) => run.modelOnlyCpuMs),
    decodeWaitMs: median((run) => run.decodeWaitMs),
    otherCores: others.every((cores) => cores !== undefined) ? runStats(others as number[]) : undefined,
  };
}

export function summariseThroughput(
  result: ThroughputResult,
  context: { folder: string; label: string; runs: number; batchSize: number; python: Partial<Record<ModelDtype, PythonFigures>>; pythonNote?: string },
): ThroughputSection {
  const dtypes: DtypeFigures[] = [];
  for (const entry of result.entries) {
    let figures = dtypes.find((d) => d.dtype === entry.dtype);
    if (!figures) {
      const split = summariseSplit(entry);
      figures = { dtype: entry.dtype, splits: [], best: split, python: context.python[entry.dtype] };
      dtypes.push(figures);
    }
    const split = summariseSplit(entry);
    figures.splits.push(split);
    if (split.reindex.median > figures.best.reindex.median || figures.splits.length === 1) figures.best = split;
  }
  return {
    folder: context.folder,
    label: context.label,
    images: result.entries[0]?.runs[0]?.embedded ?? 0,
    runs: context.runs,
    batchSize: context.batchSize,
    stageCpu: result.stageCpu,
    dtypes,
    skipped: result.skipped,
    pythonNote: context.pythonNote,
  };
}

function splitName(split: Split): string {
  return `${split.threads === 0 ? 'default' : split.threads} / ${split.decodeThreads}${split.spinning === false ? ' no spin' : ''}`;
}

export function formatThroughput(section: ThroughputSection, cores: number): string[] {
  const out: string[] = [];
  out.push(
    `## Throughput by precision: ${section.label} (${section.images} images), batch ${section.batchSize}, ${section.runs} runs each; ` +
      `split = ONNX Runtime intra-op threads / decode worker threads (${cores} cores; 'no spin': the vision session without intra-op spinning)`,
  );
  out.push('');
  const fp32Python = section.dtypes.find((d) => d.dtype === 'fp32')?.python;
  const rows = section.dtypes.flatMap((d) =>
    d.splits.map((s) => [
      d.dtype + (s === d.best && d.splits.length > 1 ? ' (best)' : ''),
      splitName(s.split),
      withRange(s.modelAlone),
      withRange(s.reindex),
      withRange(s.reindexOverModelAlone, 2),
      d.python ? fixed(d.python.endToEnd.median) : '-',
      d.python ? `${fixed(s.reindex.median / d.python.endToEnd.median, 2)}x` : '-',
      fp32Python ? `${fixed(s.reindex.median / fp32Python.endToEnd.median, 2)}x` : '-',
      d.python ? `${fixed(d.python.wallSeconds.median, 1)} / ${fixed(s.reindexWallSeconds.median, 1)}` : fixed(s.reindexWallSeconds.median, 1),
      ms(s.reindexCpuMs),
      ms(s.modelAloneCpuMs),
      ms(s.decodeWaitMs),
    ]),
  );
  out.push(
    table(
      [
        'precision', 'split', 'model alone img/s', 'reindex img/s', 'reindex / model alone', 'Python e2e img/s', 'reindex / Python (same graph)',
        'reindex / Python fp32', 'wall s Python / ours', 'CPU /img reindex', 'CPU /img model alone', 'decode wait /img',
      ],
      rows,
    ),
  );
  const pythonRows = section.dtypes.filter((d) => d.python);
  if (pythonRows.length > 0) {
    out.push('');
    out.push(
      `Python reference (PIL + onnxruntime + faiss-cpu, prefetching thread pool, batch ${section.batchSize}), same session: ` +
        pythonRows.map((d) => `${d.dtype} (${d.python!.graph}) model alone ${withRange(d.python!.modelAlone)}, end to end ${withRange(d.python!.endToEnd)} images/s`).join('; '),
    );
    const fp32 = section.dtypes.find((d) => d.dtype === 'fp32');
    if (fp32?.python) out.push(`Model alone, ours / Python, fp32: ${fixed(fp32.best.modelAlone.median / fp32.python.modelAlone.median, 2)}`);
  }
  if (section.pythonNote) out.push(`Python reference: ${section.pythonNote}`);
  for (const skip of section.skipped) out.push(`${skip.dtype}: not measured (${skip.reason})`);
  if (section.stageCpu) {
    const s = section.stageCpu;
    const py = fp32Python;
    out.push('');
    out.push(
      `CPU per image, one at a time (${s.images} images, process CPU time): read ${ms(s.readMs)}, decode ${ms(s.decodeMs)}` +
        (s.nativeJpeg
          ? ` (libjpeg-turbo addon, only the part the crop reads; the whole image ${ms(s.wholeDecodeMs)}, through sharp ${ms(s.sharpDecodeMs)})`
          : ` (sharp; the libjpeg-turbo addon is not built)`) +
        `, resize + crop + normalise ${ms(s.preprocessMs)}; total ${ms(s.totalMs)}` +
        ` (and metadata, from the same bytes and header, ${ms(s.metadataMs)})` +
        (py ? `; PIL: decode ${ms(py.decodeCpuMs)}, read + decode + preprocess ${ms(py.preprocessCpuMs)} (ours / PIL ${fixed(s.totalMs / py.preprocessCpuMs, 2)})` : ''),
    );
  }
  const other = section.dtypes.flatMap((d) => d.splits.map((s) => s.otherCores?.max ?? 0));
  if (other.length > 0) out.push(`Other processes took up to ${fixed(Math.max(...other), 2)} cores during these runs (0 = quiet machine).`);
  return out;
}

export function throughputHeadline(section: ThroughputSection, prefix: string): Headline[] {
  const figures: Headline[] = [];
  for (const d of section.dtypes) {
    figures.push({ key: `${prefix}.${d.dtype}.reindex`, label: `${prefix} ${d.dtype} reindex`, value: d.best.reindex.median, unit: 'images/s', better: 'higher' });
    figures.push({ key: `${prefix}.${d.dtype}.modelAlone`, label: `${prefix} ${d.dtype} model alone`, value: d.best.modelAlone.median, unit: 'images/s', better: 'higher' });
    figures.push({ key: `${prefix}.${d.dtype}.ratio`, label: `${prefix} ${d.dtype} reindex / model alone`, value: d.best.reindexOverModelAlone.median, unit: 'x', better: 'higher' });
  }
  return figures;
}
