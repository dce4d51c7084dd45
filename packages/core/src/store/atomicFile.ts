import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Crash-safe file replacement: write a temporary file beside the target, fsync it, rename it over the target,
 * fsync the directory. At every moment the target is either the complete old file or the complete new one.
 */

const TEMP_MARKER = '.tmp-';

/** A fresh, unique temporary path in the target's directory (same filesystem, so rename is atomic). */
export function temporaryPathFor(targetPath: string): string {
  const suffix = `${process.pid}-${crypto.randomBytes(6).toString('hex')}`;
  return `${targetPath}${TEMP_MARKER}${suffix}`;
}

/** Atomically replaces targetPath with data. */
export function writeFileAtomic(targetPath: string, data: string | Uint8Array): void {
  const tempPath = temporaryPathFor(targetPath);
  try {
    const fd = fs.openSync(tempPath, 'wx');
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    renameDurably(tempPath, targetPath);
  } catch (error) {
    removeQuietly(tempPath);
    throw error;
  }
}

/** Renames an already fsynced temporary file over the target and makes the rename itself durable. */
export function renameDurably(tempPath: string, targetPath: string): void {
  fs.renameSync(tempPath, targetPath);
  fsyncDirectory(path.dirname(targetPath));
}

/** Makes renames/creations in dir durable. Platforms that cannot fsync a directory (Windows) are skipped. */
export function fsyncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fs.fsyncSync(fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw error;
  } finally {
    fs.closeSync(fd);
  }
}

/** Deletes temporary files a crashed writer left beside targetPath. Only the writer-lock holder may call this. */
export function removeLeftoverTemporaryFiles(targetPath: string): number {
  const dir = path.dirname(targetPath);
  const prefix = `${path.basename(targetPath)}${TEMP_MARKER}`;
  let removed = 0;
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith(prefix) && removeQuietly(path.join(dir, name))) removed++;
  }
  return removed;
}

export function removeQuietly(filePath: string): boolean {
  try {
    fs.unlinkSync(filePath);
    return true;
  } catch {
    return false;
  }
}
