import { seededRandom } from './helpers';

/**
 * Small clustered unit vectors (as embeddings of a photo collection are): `clusters` random centres, each
 * vector a centre plus Gaussian noise, normalised. Approximate indexes are tested on these, where the exact
 * answer is computed by brute force.
 */
export class ClusteredSet {
  readonly centres: Float32Array[];
  private readonly random: () => number;

  constructor(
    readonly dimension: number,
    clusters: number,
    seed: number,
    private readonly noise = 0.35,
  ) {
    this.random = seededRandom(seed);
    this.centres = Array.from({ length: clusters }, () => normalise(Float32Array.from({ length: dimension }, () => this.gaussian())));
  }

  /** n vectors, row after row. */
  vectors(n: number): Float32Array {
    const out = new Float32Array(n * this.dimension);
    for (let i = 0; i < n; i++) out.set(this.one(), i * this.dimension);
    return out;
  }

  one(): Float32Array {
    const centre = this.centres[Math.floor(this.random() * this.centres.length)]!;
    const sigma = this.noise / Math.sqrt(this.dimension);
    return normalise(Float32Array.from(centre, (value) => value + sigma * this.gaussian()));
  }

  private gaussian(): number {
    return Math.sqrt(-2 * Math.log(1 - this.random())) * Math.cos(2 * Math.PI * this.random());
  }
}

export function normalise(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const value of vector) sum += value * value;
  const norm = Math.sqrt(sum);
  return vector.map((value) => value / norm);
}

export function row(vectors: Float32Array, i: number, dimension: number): Float32Array {
  return vectors.subarray(i * dimension, (i + 1) * dimension);
}

/** Exact top-k ids by inner product over (id, vector) pairs. */
export function exactTopK(query: Float32Array, ids: readonly number[], vectors: Float32Array, k: number): number[] {
  const d = query.length;
  const scored = ids.map((id, i) => {
    let dot = 0;
    for (let j = 0; j < d; j++) dot += query[j]! * vectors[i * d + j]!;
    return { id, dot };
  });
  scored.sort((a, b) => b.dot - a.dot);
  return scored.slice(0, k).map((hit) => hit.id);
}

/** Mean share of each query's exact top-k found by `search`. */
export function recallAtK(
  dimension: number,
  queries: Float32Array,
  ids: readonly number[],
  vectors: Float32Array,
  k: number,
  search: (query: Float32Array) => number[],
): number {
  const d = dimension;
  const nq = queries.length / d;
  let found = 0;
  for (let q = 0; q < nq; q++) {
    const query = row(queries, q, d);
    const truth = new Set(exactTopK(query, ids, vectors, k));
    found += search(query)
      .slice(0, k)
      .filter((id) => truth.has(id)).length;
  }
  return found / (nq * k);
}
