import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ImageLibrary, type IndexedImageInput, type OpenLibraryOptions, type ScoredImage } from '../../src/store';

export const MODEL = 'test/clip-synthetic';

const tempDirs: string[] = [];

/** A fresh temporary directory, removed after all tests of the file. */
export function makeTempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-store-'));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** Deterministic PRNG, so that failures reproduce. */
export { seededRandom } from '../../src/random';

/** A random direction, uniformly on the sphere (Gaussian components), L2-normalised in float32. */
export function randomUnitVector(dimension: number, random: () => number): Float32Array {
  const vector = new Float32Array(dimension);
  let sumOfSquares = 0;
  for (let i = 0; i < dimension; i++) {
    const gaussian = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    vector[i] = gaussian;
    sumOfSquares += gaussian * gaussian;
  }
  const norm = Math.sqrt(sumOfSquares);
  return vector.map((value) => value / norm);
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  a.forEach((value, i) => {
    const other = b[i] ?? 0;
    dot += value * other;
    normA += value * value;
    normB += other * other;
  });
  return dot / Math.sqrt(normA * normB);
}

/** Exact top-k by cosine over the expected contents: the right answer search must give. */
export function bruteForceTopK(query: Float32Array, vectors: ReadonlyMap<string, Float32Array>, k: number): { path: string; score: number }[] {
  return [...vectors]
    .map(([filePath, vector]) => ({ path: filePath, score: cosine(query, vector) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, Math.max(0, Math.min(k, vectors.size)));
}

/** Asserts that search results are the brute-force top-k (same paths in the same order, scores equal to float32 precision). */
export function expectSameRanking(actual: ScoredImage[], expected: { path: string; score: number }[]): void {
  expect(actual.map((hit) => hit.image.path)).toEqual(expected.map((hit) => hit.path));
  actual.forEach((hit, i) => expect(hit.score).toBeCloseTo(expected[i]?.score ?? Number.NaN, 5));
}

let imageCounter = 0;

/** An indexed-image input with a random unit embedding under root. */
export function makeImage(root: string, dimension: number, random: () => number, name?: string): IndexedImageInput {
  imageCounter++;
  return {
    path: path.join(root, name ?? `image-${imageCounter}.jpg`),
    size: 1000 + Math.floor(random() * 100000),
    mtimeMs: 1_700_000_000_000 + Math.floor(random() * 1e9) + 0.25,
    width: 64 + Math.floor(random() * 1000),
    height: 64 + Math.floor(random() * 1000),
    embedding: randomUnitVector(dimension, random),
  };
}

export function openLibrary(dataDir: string, dimension: number, writable: boolean, modelName = MODEL): ImageLibrary {
  const options: OpenLibraryOptions = { modelName, dimension, writable };
  return ImageLibrary.open(dataDir, options);
}

/**
 * Checks the invariant that matters: every indexed row owns exactly one vector and every vector one row.
 * Searching each stored embedding must return its own row first with score ~1 (random vectors are distinct),
 * and the count must match the expected contents.
 */
export function expectConsistent(library: ImageLibrary, expected: ReadonlyMap<string, Float32Array>): void {
  expect(library.count()).toBe(expected.size);
  expect(library.stats().indexedImages).toBe(expected.size);
  for (const [filePath, vector] of expected) {
    const stored = library.getByPath(filePath);
    expect(stored).toBeDefined();
    expect(Array.from(stored!.embedding)).toEqual(Array.from(vector));
    const [best] = library.search(vector, 1);
    expect(best?.image.path).toBe(filePath);
    expect(best?.score).toBeCloseTo(1, 5);
  }
  // No vector without a row: asking for everything returns each expected image exactly once.
  const everything = library.search(randomUnitVector(library.dimension, Math.random), expected.size + 10);
  expect(everything.map((hit) => hit.image.path).sort()).toEqual([...expected.keys()].sort());
}

/** A pid that belongs to no running process: a child that has already exited. */
export function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  const pid = child.pid ?? 0;
  try {
    process.kill(pid, 0);
  } catch {
    return pid;
  }
  throw new Error(`pid ${pid} is still alive`);
}
