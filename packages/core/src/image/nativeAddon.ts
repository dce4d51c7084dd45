/**
 * Loads one of the Node-API addons that scripts/setup.sh builds into native/build (resample, jpegDecode, similarity).
 * Returns undefined when it is not built (no C compiler, headers or library) or `disableVariable` is '0':
 * each caller then runs its fallback, which gives the same result.
 */
import path from 'node:path';

export function loadNativeAddon<T>(name: string, disableVariable: string): T | undefined {
  if (process.env[disableVariable] === '0') return undefined;
  try {
    // packages/core/native/build: two levels above both src/image and dist/image.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(path.resolve(__dirname, '../../native/build', `${name}.node`)) as T;
  } catch {
    return undefined;
  }
}
