import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export const cliPath = path.resolve(__dirname, '../../dist/cli.js');
export const sharedDir = process.env.SIS_SHARED_DIR ?? path.resolve(__dirname, '../../../../../shared');
export const tinyModelDir = path.join(sharedDir, 'models/clip-tiny-random');
export const photosDir = path.join(sharedDir, 'datasets/flickr8k-photos-500/images');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI to completion; never throws on a non-zero exit. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv, cwd = os.tmpdir()): Promise<CliRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cliPath, ...args], {
      env: { PATH: process.env.PATH, ...env },
      cwd,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [cliPath, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: 'ignore' });
}

/** The first `count` photos of flickr8k-photos-500 (name order), copied into `folder`. */
export function copyPhotos(folder: string, count: number, offset = 0): string[] {
  fs.mkdirSync(folder, { recursive: true });
  return fs
    .readdirSync(photosDir)
    .sort()
    .slice(offset, offset + count)
    .map((name) => {
      fs.copyFileSync(path.join(photosDir, name), path.join(folder, name));
      return path.join(folder, name);
    });
}

/** Test environment for the tiny model and a data directory. */
export function tinyModelEnv(dataDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { SIS_DATA_DIR: dataDir, SIS_MODEL: tinyModelDir, SIS_OFFLINE: '1', ...extra };
}
