/**
 * Run-to-run comparison. Every result file carries a flat `headline` list of its key figures, each
 * saying which direction is better, so that files written by different versions of these scripts
 * can still be compared on the figures they share.
 */
import fs from 'node:fs';
import { table } from './format';

export interface Headline {
  /** Stable identifier, e.g. "indexing.real.imagesPerSecond". */
  key: string;
  label: string;
  value: number;
  unit: string;
  better: 'higher' | 'lower';
}

export interface ComparedFigure {
  key: string;
  label: string;
  unit: string;
  old: number | undefined;
  current: number | undefined;
  /** current / old; undefined when either is missing or old is 0. */
  ratio: number | undefined;
  verdict: 'better' | 'worse' | 'within noise' | 'only in old' | 'only in new' | 'n/a';
}

/** Ratios within 1 +- tolerance are reported as noise. */
export function compareHeadlines(old: readonly Headline[], current: readonly Headline[], tolerance = 0.05): ComparedFigure[] {
  const oldByKey = new Map(old.map((figure) => [figure.key, figure]));
  const seen = new Set<string>();
  const rows: ComparedFigure[] = [];
  for (const figure of current) {
    seen.add(figure.key);
    const before = oldByKey.get(figure.key);
    if (!before) {
      rows.push({ key: figure.key, label: figure.label, unit: figure.unit, old: undefined, current: figure.value, ratio: undefined, verdict: 'only in new' });
      continue;
    }
    const ratio = before.value !== 0 && Number.isFinite(before.value) && Number.isFinite(figure.value) ? figure.value / before.value : undefined;
    let verdict: ComparedFigure['verdict'] = 'n/a';
    if (ratio !== undefined) {
      if (Math.abs(ratio - 1) <= tolerance) verdict = 'within noise';
      else verdict = (ratio > 1) === (figure.better === 'higher') ? 'better' : 'worse';
    }
    rows.push({ key: figure.key, label: figure.label, unit: figure.unit, old: before.value, current: figure.value, ratio, verdict });
  }
  for (const figure of old) {
    if (!seen.has(figure.key)) {
      rows.push({ key: figure.key, label: figure.label, unit: figure.unit, old: figure.value, current: undefined, ratio: undefined, verdict: 'only in old' });
    }
  }
  return rows;
}

function formatValue(value: number | undefined, unit: string): string {
  if (value === undefined) return '-';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : Math.abs(value) >= 1 ? 2 : 3;
  return `${value.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}

export function formatComparison(rows: readonly ComparedFigure[], oldName: string): string {
  return [
    `Compared with ${oldName} (ratio = this run / that run):`,
    table(
      ['figure', 'that run', 'this run', 'ratio', ''],
      rows.map((row) => [
        row.label,
        formatValue(row.old, row.unit),
        formatValue(row.current, row.unit),
        row.ratio === undefined ? '-' : `${row.ratio.toFixed(2)}x`,
        row.verdict,
      ]),
      ['left', 'right', 'right', 'right', 'left'],
    ),
  ].join('\n');
}

/** Reads a result file written by `pnpm bench` or `pnpm eval`; throws a one-line error if it is not one. */
export function readHeadlines(file: string, kind: string): Headline[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`Cannot read ${file}: ${(error as Error).message}`);
  }
  const result = parsed as { kind?: unknown; headline?: unknown };
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray(result.headline)) {
    throw new Error(`${file} is not a result file of pnpm ${kind} (no "headline" list)`);
  }
  if (result.kind !== undefined && result.kind !== kind) throw new Error(`${file} holds ${String(result.kind)} results, not ${kind} results`);
  return (result.headline as unknown[]).filter(
    (item): item is Headline =>
      typeof item === 'object' &&
      item !== null &&
      typeof (item as Headline).key === 'string' &&
      typeof (item as Headline).value === 'number' &&
      ((item as Headline).better === 'higher' || (item as Headline).better === 'lower'),
  );
}
