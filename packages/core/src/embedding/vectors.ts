/** Scales a vector to unit length in place (cosine similarity = inner product). */
export function normalizeInPlace(vector: Float32Array): Float32Array {
  let sumOfSquares = 0;
  for (let i = 0; i < vector.length; i++) sumOfSquares += vector[i]! * vector[i]!;
  const norm = Math.sqrt(sumOfSquares);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i]! /= norm;
  return vector;
}

/** Splits a row-major [rows, dimension] buffer into unit-length row vectors. */
export function splitRowsNormalized(data: Float32Array, rows: number, dimension: number): Float32Array[] {
  const result: Float32Array[] = [];
  for (let row = 0; row < rows; row++) {
    result.push(normalizeInPlace(data.slice(row * dimension, (row + 1) * dimension)));
  }
  return result;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    normA += a[i]! * a[i]!;
    normB += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(normA * normB);
}
