/** Plain-text tables and number formatting for the printed reports. */

export type Align = 'left' | 'right';

/** Renders rows as a Markdown-compatible table (pipes), columns padded; numbers-looking cells align right. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly Align[]): string {
  const columns = header.length;
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)));
  const alignOf = (i: number): Align => align?.[i] ?? (i === 0 ? 'left' : 'right');
  const pad = (cell: string, i: number) => (alignOf(i) === 'left' ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!));
  const line = (cells: readonly string[]) => `| ${Array.from({ length: columns }, (_, i) => pad(cells[i] ?? '', i)).join(' | ')} |`;
  const rule = `| ${widths.map((width, i) => (alignOf(i) === 'left' ? '-'.repeat(width) : `${'-'.repeat(Math.max(1, width - 1))}:`)).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

export function ms(value: number | null | undefined, digits?: number): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  const d = digits ?? (Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);
  return `${value.toFixed(d)} ms`;
}

export function seconds(valueMs: number | null | undefined): string {
  if (valueMs === null || valueMs === undefined || !Number.isFinite(valueMs)) return '-';
  const s = valueMs / 1000;
  return `${s.toFixed(s >= 100 ? 0 : s >= 10 ? 1 : 2)} s`;
}

export function mib(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '-';
  return `${Math.round(bytes / 1024 / 1024)} MiB`;
}

export function fixed(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  return value.toFixed(digits);
}

export function percent(fraction: number | null | undefined, digits = 1): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '-';
  return `${(fraction * 100).toFixed(digits)}%`;
}

export function count(value: number): string {
  return value.toLocaleString('en-US');
}

/** "1000,100k,1M" style: 1000 -> 1k, 100000 -> 100k, 1000000 -> 1M. */
export function shortCount(value: number): string {
  if (value >= 1_000_000 && value % 1_000_000 === 0) return `${value / 1_000_000}M`;
  if (value >= 1000 && value % 1000 === 0) return `${value / 1000}k`;
  return String(value);
}

/** "17.9 (17.1-18.4)": the median with the range over runs. */
export function withRange(stats: { median: number; min: number; max: number } | undefined, digits = 1, unit = ''): string {
  if (!stats) return '-';
  const suffix = unit === '' ? '' : unit === 'x' ? 'x' : ` ${unit}`;
  if (stats.min === stats.max) return `${stats.median.toFixed(digits)}${suffix}`;
  return `${stats.median.toFixed(digits)}${suffix} (${stats.min.toFixed(digits)}-${stats.max.toFixed(digits)})`;
}
