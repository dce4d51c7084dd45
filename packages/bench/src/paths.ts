import path from 'node:path';

/** packages/bench (this file is src/paths.ts or dist/paths.js). */
export const packageRoot = path.resolve(__dirname, '..');
export const repoRoot = path.resolve(packageRoot, '../..');

/** The shared models and datasets: SIS_SHARED_DIR, else ../shared beside the repository. */
export function sharedDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SIS_SHARED_DIR ? path.resolve(env.SIS_SHARED_DIR) : path.resolve(repoRoot, '../shared');
}

/** pnpm runs package scripts inside packages/bench; paths the user typed are relative to where they typed them. */
export function invocationDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.INIT_CWD ?? process.cwd();
}

export function resolveUserPath(userPath: string): string {
  return path.resolve(invocationDir(), userPath);
}

/** The tiny random-weight CLIP used by --quick. */
export function tinyModelDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(sharedDir(env), 'models/clip-tiny-random');
}

/** Compiled worker scripts live beside this file's compiled form. */
export function workerScript(name: string): string {
  return path.join(__dirname, 'workers', `${name}.js`);
}

/** "2025-11-25T09-30-12" for file names. */
export function timestampForFile(date: Date = new Date()): string {
  return date.toISOString().replace(/\..*$/, '').replace(/:/g, '-');
}
