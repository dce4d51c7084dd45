import fs from 'node:fs';
import path from 'node:path';

/**
 * Kills a `sis` child process (SIGKILL, by itself) at a fixed point of a reindex, with no hook in the product:
 * a module preloaded with NODE_OPTIONS=--require wraps the built engine's ImageLibrary methods (the same module
 * instance the CLI loads) and fs.renameSync.
 *
 * - `before-commit`: at the nth checkpoint that adds images, before its transaction starts;
 * - `after-commit`: right after the nth such checkpoint commits (the index file not yet saved);
 * - `mid-save`: during the nth save of image_index.faiss, once the new file is written in full and fsynced and
 *   before it is renamed over the old one.
 *
 * With `none` it never kills itself, only appends each commit's image count to `commitsFile` (also written
 * for the other points), so that a test can time a kill from outside relative to the run's first commit.
 *
 * Before it dies the process writes `markerFile` ({ point, nth, committedImages }), so a test can assert that the
 * kill landed where it meant it to (a kill that never happens would otherwise pass as "nothing broke").
 */
export type CrashPoint = 'before-commit' | 'after-commit' | 'mid-save' | 'none';

const HOOK = `
const fs = require('node:fs');
const point = process.env.SIS_TEST_CRASH_AT;
const nth = Number(process.env.SIS_TEST_CRASH_NTH || '1');
const marker = process.env.SIS_TEST_CRASH_MARKER;
let seen = 0;
let committedImages = 0;
const die = () => {
  fs.writeFileSync(marker, JSON.stringify({ point, nth, committedImages }));
  process.kill(process.pid, 'SIGKILL');
};
const core = require(require.resolve('@sis/core', { paths: [process.env.SIS_TEST_CRASH_RESOLVE_FROM] }));
const apply = core.ImageLibrary.prototype.apply;
core.ImageLibrary.prototype.apply = function (changes) {
  const adds = changes.upsertIndexed.length > 0;
  if (adds && point === 'before-commit' && ++seen === nth) die();
  const result = apply.call(this, changes);
  if (adds) committedImages += changes.upsertIndexed.length;
  if (adds && process.env.SIS_TEST_COMMITS_FILE) fs.appendFileSync(process.env.SIS_TEST_COMMITS_FILE, changes.upsertIndexed.length + '\\n');
  if (adds && point === 'after-commit' && ++seen === nth) die();
  return result;
};
const rename = fs.renameSync;
fs.renameSync = function (from, to) {
  if (point === 'mid-save' && String(to).endsWith('image_index.faiss') && ++seen === nth) die();
  return rename.call(this, from, to);
};
`;

/**
 * Environment for a `sis` child that kills itself at `point` (the nth time it is reached); the hook and the
 * marker file live in `dir`.
 */
export function crashAtEnv(point: CrashPoint, nth: number, dir: string): { env: NodeJS.ProcessEnv; markerFile: string; commitsFile: string } {
  const hookFile = path.join(dir, 'crash-hook.js');
  const markerFile = path.join(dir, 'crash-marker.json');
  const commitsFile = path.join(dir, 'crash-commits.txt');
  fs.writeFileSync(hookFile, HOOK);
  fs.rmSync(markerFile, { force: true });
  fs.rmSync(commitsFile, { force: true });
  return {
    markerFile,
    commitsFile,
    env: {
      SIS_TEST_COMMITS_FILE: commitsFile,
      NODE_OPTIONS: `--require ${hookFile}`,
      SIS_TEST_CRASH_AT: point,
      SIS_TEST_CRASH_NTH: String(nth),
      SIS_TEST_CRASH_MARKER: markerFile,
      SIS_TEST_CRASH_RESOLVE_FROM: path.resolve(__dirname, '../../dist'),
    },
  };
}

/** What the marker file says about the kill, or undefined when the process never reached the point. */
export function readCrashMarker(markerFile: string): { point: CrashPoint; nth: number; committedImages: number } | undefined {
  return fs.existsSync(markerFile) ? (JSON.parse(fs.readFileSync(markerFile, 'utf8')) as { point: CrashPoint; nth: number; committedImages: number }) : undefined;
}
