import fs from 'node:fs';
import path from 'node:path';
import { compareHeadlines, formatComparison, readHeadlines, type Headline } from './compare';
import { resolveUserPath, timestampForFile } from './paths';

/** Writes a results file (pretty JSON), creating its folder. */
export function writeResult(file: string, result: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
}

/**
 * The end of every command: write the JSON (to --out, or <data dir>/<kind>/<kind>-<time>.json),
 * say where, and print ratios against an earlier run when --compare names one.
 */
export function saveAndCompare(
  kind: 'bench' | 'eval',
  result: { headline: readonly Headline[] },
  options: { out?: string; compare?: string; dataDir: string },
): void {
  const out = options.out ? resolveUserPath(options.out) : path.join(options.dataDir, kind, `${kind}-${timestampForFile()}.json`);
  writeResult(out, result);
  process.stdout.write(`\nResults written to ${out}\n`);
  if (options.compare) {
    const file = resolveUserPath(options.compare);
    process.stdout.write(`\n${formatComparison(compareHeadlines(readHeadlines(file, kind), result.headline), file)}\n`);
  }
}
