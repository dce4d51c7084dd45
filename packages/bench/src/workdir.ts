import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LOCK_FILE_NAME, resolveModelSource, scanImages, scanOptionsOf, type AppConfig } from '@sis/core';

/** A fresh scratch folder for data directories (each benchmark run indexes into its own). */
export function makeWorkDir(base?: string): string {
  const parent = base ?? os.tmpdir();
  fs.mkdirSync(parent, { recursive: true });
  return fs.mkdtempSync(path.join(parent, 'sis-bench-'));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * The engine keeps a hub model's download cache in <dataDir>/models. A scratch data directory gets a
 * link to the configured data directory's cache, so a hub model is neither downloaded again nor
 * counted in any timing. (Local model folders do not use it.)
 */
export function scratchDataDir(config: AppConfig, dir: string): AppConfig {
  fs.mkdirSync(dir, { recursive: true });
  const source = resolveModelSource(config);
  if (!path.isAbsolute(config.model)) {
    fs.mkdirSync(source.cacheDir, { recursive: true });
    const link = path.join(dir, 'models');
    if (!fs.existsSync(link)) fs.symlinkSync(source.cacheDir, link, 'dir');
  }
  return { ...config, dataDir: dir };
}

/**
 * The first `limit` images of a folder (in the indexer's scan order) as a folder of symbolic links,
 * so that a smaller run still goes through the ordinary scan. Without a limit, the folder itself.
 */
export async function limitedFolder(folder: string, limit: number | undefined, config: AppConfig, workDir: string): Promise<string> {
  if (limit === undefined) return folder;
  const scan = await scanImages(folder, scanOptionsOf(config));
  const target = path.join(workDir, 'images');
  for (const file of scan.files.slice(0, limit)) {
    const link = path.join(target, path.relative(folder, file.path));
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(file.path, link);
  }
  fs.mkdirSync(target, { recursive: true });
  return target;
}

/** Copies the files of a data directory (catalogue, index) into a new one; links are recreated, not followed. */
export function copyDataDir(source: string, target: string): void {
  fs.mkdirSync(target, { recursive: true });
  for (const entry of fs.readdirSync(source, { withFileTypes: true })) {
    if (entry.name === LOCK_FILE_NAME || !entry.isFile()) continue;
    fs.copyFileSync(path.join(source, entry.name), path.join(target, entry.name));
  }
}

/** Total size of the plain files directly in a folder whose names start with `prefix`. */
export function filesSize(dir: string, prefix: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile() && entry.name.startsWith(prefix)) total += fs.statSync(path.join(dir, entry.name)).size;
  }
  return total;
}
