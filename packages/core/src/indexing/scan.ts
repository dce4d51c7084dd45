import fs from 'node:fs/promises';
import path from 'node:path';

export interface ScannedFile {
  path: string;
  size: number;
  mtimeMs: number;
  /** File identity (st_dev, st_ino as decimal strings): a file swapped for another under the same name differs. */
  device: string;
  inode: string;
}

/** A folder or file the scan could not look into; reported, never fatal. */
export interface ScanProblem {
  path: string;
  reason: 'unreadable' | 'not-found' | 'outside-root';
  message: string;
}

export interface ScanOptions {
  /** Lower-case extensions with the dot, e.g. ".jpg". */
  extensions: readonly string[];
  includeHidden: boolean;
  /** Follow symbolic links that lead outside the scanned folder (SIS_FOLLOW_SYMLINKS); default: report and skip them. */
  followSymlinks?: boolean;
}

/** The scan options of a configuration or of indexer settings (SIS_IMAGE_EXTENSIONS, SIS_INCLUDE_HIDDEN, SIS_FOLLOW_SYMLINKS). */
export function scanOptionsOf(settings: { imageExtensions: readonly string[]; includeHidden: boolean; followSymlinks?: boolean }): ScanOptions {
  return { extensions: settings.imageExtensions, includeHidden: settings.includeHidden, followSymlinks: settings.followSymlinks };
}

export interface ScanResult {
  files: ScannedFile[];
  problems: ScanProblem[];
}

export class ScanRootError extends Error {
  override readonly name = 'ScanRootError';
}

/** Checks the folder a user asked to index before any work starts. */
export async function assertScannableRoot(root: string): Promise<void> {
  let stats;
  try {
    stats = await fs.stat(root);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ScanRootError(code === 'ENOENT' ? `Folder not found: ${root}` : `Cannot open folder ${root}: ${(error as Error).message}`);
  }
  if (!stats.isDirectory()) throw new ScanRootError(`Not a folder: ${root}`);
  try {
    await fs.access(root, fs.constants.R_OK | fs.constants.X_OK);
  } catch {
    throw new ScanRootError(`Folder is not readable: ${root}`);
  }
}

/**
 * Recursive scan for image files. Symlinks that stay inside the folder are followed; those that lead outside it
 * are reported ('outside-root') and not followed unless options.followSymlinks. Each folder and each file is
 * visited once (by device and inode), so symlink loops and duplicate links are harmless.
 */
export async function scanImages(root: string, options: ScanOptions): Promise<ScanResult> {
  const extensions = new Set(options.extensions.map((extension) => extension.toLowerCase()));
  const files: ScannedFile[] = [];
  const problems: ScanProblem[] = [];
  const seen = new Set<string>();
  const rootStats = await fs.stat(root, { bigint: true });
  const realRoot = await fs.realpath(root);
  seen.add(`${rootStats.dev}:${rootStats.ino}`);
  const pending: string[] = [root];

  while (pending.length > 0) {
    const folder = pending.pop()!;
    let names: string[];
    try {
      names = decodableNames(await fs.readdir(folder, { encoding: 'buffer' }), folder, problems, extensions).sort();
    } catch (error) {
      problems.push({ path: folder, reason: 'unreadable', message: `cannot list folder: ${(error as Error).message}` });
      continue;
    }
    const subfolders: string[] = [];
    for (const name of names) {
      if (!options.includeHidden && name.startsWith('.')) continue;
      const entryPath = path.join(folder, name);
      let stats;
      let isLink = false;
      try {
        // bigint: whole milliseconds from the nanosecond mtime, without float rounding. lstat first: only links need more.
        stats = await fs.lstat(entryPath, { bigint: true });
        if (stats.isSymbolicLink()) {
          isLink = true;
          stats = await fs.stat(entryPath, { bigint: true });
        }
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // A dangling symlink or a file deleted while we scan: only worth a word if it looked like an image.
        if (extensions.has(path.extname(name).toLowerCase())) {
          problems.push({ path: entryPath, reason: code === 'ENOENT' ? 'not-found' : 'unreadable', message: (error as Error).message });
        }
        continue;
      }
      const looksLikeImage = extensions.has(path.extname(name).toLowerCase());
      if (isLink && !options.followSymlinks && (stats.isDirectory() || looksLikeImage) && !(await linkStaysInside(realRoot, entryPath))) {
        problems.push({
          path: entryPath,
          reason: 'outside-root',
          message: 'a symbolic link leading outside the indexed folder: not followed (SIS_FOLLOW_SYMLINKS=1 follows such links)',
        });
        continue;
      }
      const identity = `${stats.dev}:${stats.ino}`;
      if (stats.isDirectory()) {
        if (!seen.has(identity)) {
          seen.add(identity);
          subfolders.push(entryPath);
        }
      } else if (stats.isFile() && extensions.has(path.extname(name).toLowerCase()) && !seen.has(identity)) {
        seen.add(identity);
        files.push({ path: entryPath, size: Number(stats.size), mtimeMs: Number(stats.mtimeNs / 1_000_000n), device: String(stats.dev), inode: String(stats.ino) });
      }
    }
    // Depth-first in name order, so the scan order is stable.
    pending.push(...subfolders.reverse());
  }
  return { files, problems };
}

/** True when the symlink `entryPath` leads to a real path inside `realRoot`. */
async function linkStaysInside(realRoot: string, entryPath: string): Promise<boolean> {
  const real = await fs.realpath(entryPath).catch(() => undefined);
  if (real === undefined) return false;
  const relative = path.relative(realRoot, real);
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}

/**
 * Paths are strings everywhere downstream (catalogue, URLs, JSON), so a name whose bytes are not
 * UTF-8 cannot be addressed: it is reported (when it looks like an image) instead of failing later.
 */
function decodableNames(rawNames: Buffer[], folder: string, problems: ScanProblem[], extensions: ReadonlySet<string>): string[] {
  const names: string[] = [];
  for (const raw of rawNames) {
    const name = raw.toString('utf8');
    if (Buffer.from(name, 'utf8').equals(raw)) {
      names.push(name);
    } else if (extensions.has(path.extname(name).toLowerCase())) {
      problems.push({ path: path.join(folder, name), reason: 'unreadable', message: 'the file name is not valid UTF-8: rename the file to index it' });
    }
  }
  return names;
}
