import fs from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { duplicateThresholdOf, duplicatesToCsv, duplicatesToJson, openEngine, type DuplicateGroup, type DuplicateReport } from '@sis/core';
import { loadCliConfig, resolveUserPath, UserFacingError } from './context';
import { createDuplicatesProgress } from './duplicatesProgress';
import { formatDuration } from './format';

export function parseThreshold(value: string): number {
  const threshold = Number(value);
  if (value.trim() === '' || !Number.isFinite(threshold) || threshold <= 0 || threshold > 1) {
    throw new InvalidArgumentError('the threshold is a cosine similarity above 0 and at most 1, e.g. 0.95.');
  }
  return threshold;
}

interface DuplicatesOptions {
  threshold?: number;
  json?: boolean;
  csv?: boolean;
  output?: string;
}

/** `sis duplicates`: near-duplicate groups, read-only (the list is for the user to act on). */
export function registerDuplicatesCommand(program: Command, out: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream }): void {
  program
    .command('duplicates')
    .description('list groups of near-duplicate images (cosine >= threshold) with a suggested keeper; never deletes or moves a file')
    .option('--threshold <cosine>', "group images at least this similar (default: the model's, see README)", parseThreshold)
    .option('--json', 'print the groups as one JSON object')
    .option('--csv', 'print one CSV row per image (group, keep, path, width, height, bytes, modified, score_to_keeper)')
    .option('-o, --output <file>', 'write the JSON or CSV to this file instead of stdout')
    .action(async (options: DuplicatesOptions) => {
      if (options.json && options.csv) throw new UserFacingError('Give --json or --csv, not both.');
      if (options.output && !options.json && !options.csv) throw new UserFacingError('--output writes the --json or --csv export: give one of them.');
      const config = loadCliConfig(program.opts<{ config?: string }>().config);
      const engine = await openEngine(config, { writable: false });
      try {
        const threshold = options.threshold ?? duplicateThresholdOf(engine.embedder.modelName, engine.embedder.family);
        const progress = out.stderr.isTTY ? createDuplicatesProgress(out.stderr) : undefined;
        const report = await engine.duplicates.find({ threshold, ...(progress ? { onProgress: progress.update } : {}) }).finally(() => progress?.stop());
        const text = options.json ? `${JSON.stringify(duplicatesToJson(report), null, 2)}\n` : options.csv ? duplicatesToCsv(report) : `${formatDuplicates(report)}\n`;
        if (options.output) {
          const file = resolveUserPath(options.output);
          fs.writeFileSync(file, text);
          out.stderr.write(`${report.groups.length} groups written to ${file}\n`);
        } else {
          out.stdout.write(text);
        }
        if (report.images === 0) out.stderr.write('The index is empty: run `reindex <folder>` first.\n');
      } finally {
        engine.close();
      }
    });
}

export function formatDuplicates(report: DuplicateReport): string {
  const inGroups = report.groups.reduce((sum, group) => sum + group.images.length, 0);
  const lines = [
    `${report.groups.length} groups of near-duplicates (${inGroups} of ${report.images} images) at cosine >= ${report.threshold}, in ${formatDuration(report.tookMs)}.` +
      ' Nothing was deleted or moved; export with --json or --csv.',
  ];
  for (const group of report.groups) lines.push('', ...formatGroup(group));
  return lines.join('\n');
}

function formatGroup(group: DuplicateGroup): string[] {
  const header = `group ${group.id}: ${group.images.length} images, pair scores ${group.minPairScore.toFixed(4)}-${group.maxPairScore.toFixed(4)}; keep: ${group.keeperReason}`;
  return [
    header,
    ...group.images.map((image) => {
      const mark = image.id === group.keeperId ? 'keep ' : `${image.scoreToKeeper.toFixed(4)}`;
      const size = `${image.width}x${image.height}`.padEnd(11);
      return `  ${mark.padEnd(6)} ${size} ${formatBytes(image.size).padStart(9)}  ${new Date(image.mtimeMs).toISOString().slice(0, 10)}  ${image.path}`;
    }),
  ];
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
