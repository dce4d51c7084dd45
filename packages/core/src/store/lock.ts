import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { removeQuietly, temporaryPathFor } from './atomicFile';
import { StoreError, WriterLockError, type LockHolder } from './errors';

export const LOCK_FILE_NAME = 'writer.lock';

/** What the lock file holds: the holder, plus a token that tells this lock apart from an earlier one with the same pid. */
interface LockRecord extends LockHolder {
  token: string;
}

/** Tokens of the locks this process holds: a lock file naming our own pid but an unknown token is a leftover. */
const tokensHeldByThisProcess = new Set<string>();

export interface AcquireLockOptions {
  /**
   * Runs fn while no other process can run its own fn: used to make taking over a stale lock race-free
   * (two processes must not both delete it and both believe they hold the lock). The library passes the
   * catalogue's SQLite write lock here.
   */
  withExclusiveAccess?: <T>(fn: () => T) => T;
}

/**
 * The single-writer lock of a data directory: a file holding the pid, hostname, start time and a token.
 * Readers never take it. A lock whose process is gone (same host, pid not alive) is stale and taken over.
 */
export class WriterLock {
  private released = false;

  private constructor(
    readonly lockPath: string,
    private readonly record: LockRecord,
  ) {}

  get holder(): LockHolder {
    return { pid: this.record.pid, hostname: this.record.hostname, startedAt: this.record.startedAt };
  }

  static acquire(dataDir: string, options: AcquireLockOptions = {}): WriterLock {
    const lockPath = path.join(dataDir, LOCK_FILE_NAME);
    const record: LockRecord = {
      pid: process.pid,
      hostname: os.hostname(),
      startedAt: new Date().toISOString(),
      token: crypto.randomBytes(16).toString('hex'),
    };
    if (!tryCreateLockFile(lockPath, record)) {
      const existing = readLockFile(lockPath);
      if (existing && isHolderAlive(existing)) throw new WriterLockError(dataDir, lockPath, existing);
      const runExclusively = options.withExclusiveAccess ?? (<T>(fn: () => T): T => fn());
      runExclusively(() => takeOverStaleLock(dataDir, lockPath, record));
    }
    tokensHeldByThisProcess.add(record.token);
    return new WriterLock(lockPath, record);
  }

  /** Deletes the lock file if it is still ours. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    tokensHeldByThisProcess.delete(this.record.token);
    if (readLockFile(this.lockPath)?.token === this.record.token) removeQuietly(this.lockPath);
  }
}

/** Called with exclusive access: re-checks the lock (another process may have taken it over meanwhile), then replaces it. */
function takeOverStaleLock(dataDir: string, lockPath: string, record: LockRecord): void {
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = readLockFile(lockPath);
    if (existing && isHolderAlive(existing)) throw new WriterLockError(dataDir, lockPath, existing);
    removeQuietly(lockPath);
    // A writer that starts right now may still win the plain create between our delete and our create: then we retry and see it.
    if (tryCreateLockFile(lockPath, record)) return;
  }
  throw new StoreError(`Could not take the writer lock ${lockPath}: it keeps changing. Is another indexer starting?`);
}

/**
 * Creates the lock file only if none exists, with its whole content at once: the record is written to a
 * temporary file which is then hard-linked to the lock path (link fails if the path exists). Filesystems
 * without hard links fall back to an exclusive create followed by the write.
 */
function tryCreateLockFile(lockPath: string, record: LockRecord): boolean {
  const content = `${JSON.stringify(record)}\n`;
  const tempPath = temporaryPathFor(lockPath);
  try {
    fs.writeFileSync(tempPath, content, { flag: 'wx' });
    try {
      fs.linkSync(tempPath, lockPath);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    }
  } catch {
    // Fall through to the plain exclusive create.
  } finally {
    removeQuietly(tempPath);
  }
  try {
    fs.writeFileSync(lockPath, content, { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** The lock file's record; undefined if there is none or it is unreadable (a damaged lock file counts as stale). */
function readLockFile(lockPath: string): LockRecord | undefined {
  let text: string;
  try {
    text = fs.readFileSync(lockPath, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return undefined;
    const { pid, hostname, startedAt, token } = value as Record<string, unknown>;
    if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return undefined;
    if (typeof hostname !== 'string' || typeof startedAt !== 'string' || typeof token !== 'string') return undefined;
    return { pid, hostname, startedAt, token };
  } catch {
    return undefined;
  }
}

function isHolderAlive(holder: LockRecord): boolean {
  // We cannot see processes on another host: assume it is alive, the error message says how to clear it.
  if (holder.hostname !== os.hostname()) return true;
  // Our own pid: alive only if this process really took that lock (a container restart reuses low pids).
  if (holder.pid === process.pid) return tokensHeldByThisProcess.has(holder.token);
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
