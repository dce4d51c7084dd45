import { constants } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import type { AllowedRoots } from '../roots';

/** The catalogue facts a served file must still match. */
export interface IndexedFileFacts {
  path: string;
  size: number;
  mtimeMs: number;
  device?: string | null;
  inode?: string | null;
}

export type OpenedIndexedFile =
  | { ok: true; handle: FileHandle; size: number; mtimeMs: number }
  | { ok: false; reason: 'gone' | 'outside-roots' | 'changed'; message: string };

export interface ServePolicy {
  roots: AllowedRoots;
  /** SIS_FOLLOW_SYMLINKS: files indexed through links out of a root may be served (the path must still be in a root). */
  followSymlinks: boolean;
}

const GONE = 'The image is in the index but its file is gone; reindex its folder.';
const CHANGED = 'The image file changed (or was replaced) since it was indexed; reindex its folder.';
const OUTSIDE = 'The image file is no longer inside the folders this server serves (it was replaced by a link leading elsewhere); reindex its folder.';

/**
 * Opens the file of an indexed image at request time and checks that it is still the file that was indexed:
 * its real path inside an allowed root (no symlink out of a root), a regular file with the catalogue's size,
 * mtime and (where recorded) device and inode. The checks hold for the descriptor that is then read: the last
 * component is opened with O_NOFOLLOW, and on Linux the descriptor's own path is checked again.
 */
export async function openIndexedFile(file: IndexedFileFacts, policy: ServePolicy): Promise<OpenedIndexedFile> {
  let real: string;
  try {
    real = await fs.realpath(file.path);
  } catch {
    return { ok: false, reason: 'gone', message: GONE };
  }
  const inside = async (candidate: string) => (await policy.roots.containsRealPath(candidate)) || (policy.followSymlinks && policy.roots.containsPath(file.path));
  if (!(await inside(real))) return { ok: false, reason: 'outside-roots', message: OUTSIDE };
  let handle: FileHandle;
  try {
    // O_NONBLOCK: a FIFO put in the file's place must not hang the request (it fails the file check below).
    handle = await fs.open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ELOOP: the last component became a symlink after realpath.
    return code === 'ELOOP' ? { ok: false, reason: 'changed', message: CHANGED } : { ok: false, reason: 'gone', message: GONE };
  }
  try {
    const opened = await fs.readlink(`/proc/self/fd/${handle.fd}`).catch(() => real);
    if (opened !== real && !(await inside(opened))) return fail(handle, { ok: false, reason: 'outside-roots', message: OUTSIDE });
    const stats = await handle.stat({ bigint: true });
    const mtimeMs = Number(stats.mtimeNs / 1_000_000n);
    const sameIdentity = file.inode === undefined || file.inode === null || (String(stats.ino) === file.inode && String(stats.dev) === file.device);
    if (!stats.isFile() || Number(stats.size) !== file.size || mtimeMs !== file.mtimeMs || !sameIdentity) {
      return fail(handle, { ok: false, reason: 'changed', message: CHANGED });
    }
    return { ok: true, handle, size: Number(stats.size), mtimeMs };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

async function fail(handle: FileHandle, result: Extract<OpenedIndexedFile, { ok: false }>): Promise<OpenedIndexedFile> {
  await handle.close();
  return result;
}
