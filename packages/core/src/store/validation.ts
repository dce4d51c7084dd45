import path from 'node:path';
import type { CatalogueChanges } from './catalogue';
import { InvalidInputError } from './errors';
import type { LibraryChanges } from './types';

/** How far from 1 a stored embedding's L2 norm may be: scores are only cosines for unit vectors. */
const UNIT_NORM_TOLERANCE = 1e-3;

/** Rejects a batch that would store something the catalogue cannot vouch for; returns it unchanged otherwise. */
export function validateChanges(changes: LibraryChanges, dimension: number): CatalogueChanges {
  const seen = new Set<string>();
  const checkPath = (filePath: unknown, list: string): void => {
    if (typeof filePath !== 'string' || filePath === '' || filePath.includes('\0') || !path.isAbsolute(filePath)) {
      throw new InvalidInputError(`${list}: paths must be absolute, got ${JSON.stringify(filePath)}.`);
    }
    if (seen.has(filePath)) throw new InvalidInputError(`${filePath} appears more than once in one batch of changes.`);
    seen.add(filePath);
  };
  const checkFileState = (file: { path: string; size: number; mtimeMs: number }): void => {
    if (!Number.isSafeInteger(file.size) || file.size < 0) throw new InvalidInputError(`${file.path}: invalid size ${file.size}.`);
    if (!Number.isFinite(file.mtimeMs)) throw new InvalidInputError(`${file.path}: invalid mtimeMs ${file.mtimeMs}.`);
  };

  for (const image of changes.upsertIndexed) {
    checkPath(image.path, 'upsertIndexed');
    checkFileState(image);
    for (const [name, value] of [['width', image.width], ['height', image.height]] as const) {
      if (!Number.isSafeInteger(value) || value <= 0) throw new InvalidInputError(`${image.path}: invalid ${name} ${value}.`);
    }
    checkUnitVector(image.embedding, dimension, image.path);
  }
  for (const file of changes.upsertSkipped) {
    checkPath(file.path, 'upsertSkipped');
    checkFileState(file);
    if (typeof file.reason !== 'string' || file.reason === '') throw new InvalidInputError(`${file.path}: a skipped file needs a reason code.`);
    if (typeof file.message !== 'string') throw new InvalidInputError(`${file.path}: the skip message must be a string.`);
  }
  for (const filePath of changes.removePaths) checkPath(filePath, 'removePaths');
  return changes;
}

/** Checks the dimension, finiteness and unit length of an embedding about to be stored. */
export function checkUnitVector(vector: Float32Array, dimension: number, what: string): void {
  const norm = vectorNorm(vector, dimension, what);
  if (Math.abs(norm - 1) > UNIT_NORM_TOLERANCE) {
    throw new InvalidInputError(`${what}: the embedding must be L2-normalised (its norm is ${norm}).`);
  }
}

/** A unit-length copy of a query vector, so that scores are cosines whatever the caller's scaling. */
export function normalisedQuery(vector: Float32Array, dimension: number): Float32Array {
  const norm = vectorNorm(vector, dimension, 'query');
  if (norm === 0) throw new InvalidInputError('The query vector is all zeros.');
  return vector.map((value) => value / norm);
}

function vectorNorm(vector: Float32Array, dimension: number, what: string): number {
  if (!(vector instanceof Float32Array)) throw new InvalidInputError(`${what}: vectors must be Float32Array.`);
  if (vector.length !== dimension) {
    throw new InvalidInputError(`${what}: the vector has dimension ${vector.length}, this library ${dimension}.`);
  }
  let sumOfSquares = 0;
  for (const value of vector) {
    if (!Number.isFinite(value)) throw new InvalidInputError(`${what}: the vector contains ${value}.`);
    sumOfSquares += value * value;
  }
  return Math.sqrt(sumOfSquares);
}
