import path from 'node:path';
import type { ScannedFile } from './scan';

export interface KnownFile {
  size: number;
  mtimeMs: number;
  status: 'indexed' | 'skipped';
  /** Identity recorded when it was indexed; null/absent for rows from before identity was kept. */
  device?: string | null;
  inode?: string | null;
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
  /** Unchanged files whose recorded identity is missing or only the device differs (a remounted disk): record it. */
  identityUpdates: { path: string; device: string; inode: string }[];
}

export function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

export function planReindex(root: string, scanned: readonly ScannedFile[], known: ReadonlyMap<string, KnownFile>): ReindexPlan {
  const plan: ReindexPlan = { toEmbed: [], unchangedIndexed: 0, unchangedSkipped: 0, removed: [], identityUpdates: [] };
  const scannedPaths = new Set<string>();
  for (const file of scanned) {
    scannedPaths.add(file.path);
    const previous = known.get(file.path);
    // Another inode under the same name, size and mtime (e.g. `cp -p` over it) is another file.
    const sameInode = previous?.inode === undefined || previous.inode === null || previous.inode === file.inode;
    if (previous && previous.size === file.size && previous.mtimeMs === file.mtimeMs && sameInode) {
      if (previous.inode !== file.inode || previous.device !== file.device) plan.identityUpdates.push({ path: file.path, device: file.device, inode: file.inode });
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
