/**
 * Deterministic synthetic embeddings for filling an index to a target size: unit-length, clustered
 * (real photo collections are: many near-duplicates, bursts, recurring subjects), and gathered
 * around a common direction as CLIP image embeddings are (they occupy a narrow cone, not the sphere).
 */

import { seededRandom } from '@sis/core';

export { seededRandom };

/** Standard normal samples (Box-Muller, both outputs used). */
export function gaussian(random: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    const u = 1 - random(); // (0, 1]: log(u) is finite
    const v = random();
    const radius = Math.sqrt(-2 * Math.log(u));
    spare = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  };
}

function normalise(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i]! * vector[i]!;
  const norm = Math.sqrt(sum);
  for (let i = 0; i < vector.length; i++) vector[i]! /= norm;
  return vector;
}

export interface ClusteredOptions {
  dimension: number;
  seed: number;
  /** Number of clusters (default: about sqrt(count), at least 8). */
  clusters?: number;
  /** Direction the cluster centres gather around (e.g. the mean of real image embeddings); random when omitted. */
  centre?: Float32Array;
  /** Expected cosine between a cluster centre and the common direction (default 0.8). */
  centreCosine?: number;
  /** Expected cosine between a vector and its cluster centre (default 0.85). */
  memberCosine?: number;
}

/**
 * Noise of standard deviation sigma per dimension added to a unit vector gives an expected cosine of
 * about 1 / sqrt(1 + sigma^2 * dimension) with it: solve for sigma.
 */
export function sigmaForCosine(cosine: number, dimension: number): number {
  if (!(cosine > 0 && cosine <= 1)) throw new RangeError(`cosine must be in (0, 1], got ${cosine}`);
  return Math.sqrt((1 / (cosine * cosine) - 1) / dimension);
}

/**
 * A generator of `count` unit vectors in clusters. Vectors come in blocks (`next(n)` returns n * dimension
 * floats, row after row), so a million 512-d vectors never need to be in memory at once.
 */
export class ClusteredVectors {
  private readonly normal: () => number;
  private readonly pick: () => number;
  private readonly centres: Float32Array[];
  private readonly memberSigma: number;

  constructor(private readonly options: ClusteredOptions & { count: number }) {
    const { dimension, seed, count } = options;
    if (!Number.isInteger(dimension) || dimension < 1) throw new RangeError(`dimension must be a positive integer, got ${dimension}`);
    const random = seededRandom(seed);
    this.normal = gaussian(random);
    this.pick = random;
    const clusterCount = options.clusters ?? Math.max(8, Math.round(Math.sqrt(count)));
    const centre = options.centre ? normalise(Float32Array.from(options.centre)) : this.randomUnit();
    if (centre.length !== dimension) throw new RangeError(`centre has dimension ${centre.length}, expected ${dimension}`);
    const centreSigma = sigmaForCosine(options.centreCosine ?? 0.8, dimension);
    this.centres = Array.from({ length: clusterCount }, () => this.around(centre, centreSigma));
    this.memberSigma = sigmaForCosine(options.memberCosine ?? 0.85, dimension);
  }

  get dimension(): number {
    return this.options.dimension;
  }

  get clusterCount(): number {
    return this.centres.length;
  }

  /** The next n vectors, row-major. Which cluster each belongs to is random (sizes vary). */
  next(n: number): Float32Array {
    const { dimension } = this.options;
    const block = new Float32Array(n * dimension);
    for (let row = 0; row < n; row++) {
      const centre = this.centres[Math.floor(this.pick() * this.centres.length)]!;
      block.set(this.around(centre, this.memberSigma), row * dimension);
    }
    return block;
  }

  private randomUnit(): Float32Array {
    const vector = new Float32Array(this.options.dimension);
    for (let i = 0; i < vector.length; i++) vector[i] = this.normal();
    return normalise(vector);
  }

  private around(centre: Float32Array, sigma: number): Float32Array {
    const vector = new Float32Array(centre.length);
    for (let i = 0; i < vector.length; i++) vector[i] = centre[i]! + sigma * this.normal();
    return normalise(vector);
  }
}
