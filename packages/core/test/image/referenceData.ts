import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sharedDir, tinyModelDir } from '../helpers/shared';

export interface ReferenceImage {
  readonly index: number;
  /** Absolute path of the image file. */
  readonly file: string;
  readonly width: number;
  readonly height: number;
}

interface Manifest {
  images: { index: number; path: string; orig_size_wh: [number, number] }[];
  binaries: { pixel_patch_means: { file: string; shape: [number, number, number, number] } };
}

const referenceDir = path.join(tinyModelDir, 'reference');
const manifest = JSON.parse(readFileSync(path.join(referenceDir, 'manifest.json'), 'utf8')) as Manifest;

export const referenceImages: ReferenceImage[] = manifest.images.map((image) => ({
  index: image.index,
  file: path.join(sharedDir, image.path),
  width: image.orig_size_wh[0],
  height: image.orig_size_wh[1],
}));

export const PATCH_GRID = 7;
export const PATCH_SIZE = 32;
const PATCH_VALUES = 3 * PATCH_GRID * PATCH_GRID;

/** Reference [N, 3, 7, 7] means of pixel_values over each 32x32 patch (little-endian float32). */
const patchMeansBytes = readFileSync(path.join(referenceDir, manifest.binaries.pixel_patch_means.file));
const patchMeans = new Float32Array(patchMeansBytes.buffer, patchMeansBytes.byteOffset, patchMeansBytes.byteLength / 4);

export function referencePatchMeans(index: number): Float32Array {
  return patchMeans.subarray(index * PATCH_VALUES, (index + 1) * PATCH_VALUES);
}

/** Same reduction as the reference: mean over each 32x32 patch of a [3, 224, 224] tensor. */
export function patchMeansOf(pixelValues: Float32Array, side = PATCH_GRID * PATCH_SIZE): Float64Array {
  const out = new Float64Array(PATCH_VALUES);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        // `| 0` rather than Math.floor: Math.* calls are ~200x slower inside jest's vm sandbox.
        const patch = (c * PATCH_GRID + ((y / PATCH_SIZE) | 0)) * PATCH_GRID + ((x / PATCH_SIZE) | 0);
        out[patch]! += pixelValues[(c * side + y) * side + x]!;
      }
    }
  }
  return out.map((sum) => sum / (PATCH_SIZE * PATCH_SIZE));
}

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    max = Math.max(max, Math.abs(a[i]! - b[i]!));
  }
  return max;
}

export function loadClipConfig(): unknown {
  return JSON.parse(readFileSync(path.join(tinyModelDir, 'preprocessor_config.json'), 'utf8'));
}
