import path from 'node:path';
import type { ScannedFile } from './scan';

export interface KnownFile {
  size: number;
  mtimeMs: number;
  status: 'indexed' | 'skipped';
}

/** What an incremental reindex of one folder has to do. */
export interface ReindexPlan {
  /** New files, and files whose size or mtime changed (including previously skipped ones). */
  toEmbed: ScannedFile[];
  unchangedIndexed: number;
  /** Files skipped before and unchanged since: not retried. */
  unchangedSkipped: number;
  /** Catalogue paths under the folder that the scan no longer found. */
  removed: string[];
}

export function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

export function planReindex(root: string, scanned: readonly ScannedFile[], known: ReadonlyMap<string, KnownFile>): ReindexPlan {
  const plan: ReindexPlan = { toEmbed: [], unchangedIndexed: 0, unchangedSkipped: 0, removed: [] };
  const scannedPaths = new Set<string>();
  for (const file of scanned) {
    scannedPaths.add(file.path);
    const previous = known.get(file.path);
    if (previous && previous.size === file.size && previous.mtimeMs === file.mtimeMs) {
      if (previous.status === 'indexed') plan.unchangedIndexed++;
      else plan.unchangedSkipped++;
    } else {
      plan.toEmbed.push(file);
    }
  }
  for (const knownPath of known.keys()) {
    if (!scannedPaths.has(knownPath) && isInside(root, knownPath)) plan.removed.push(knownPath);
  }
  return plan;
}
