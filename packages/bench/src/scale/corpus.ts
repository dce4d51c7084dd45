/**
 * Synthetic embeddings for the scale run: a million unit vectors with the structure of a large photo
 * collection's CLIP embeddings, which an approximate index's recall depends on (uniform random vectors
 * have no neighbourhoods worth the name, and no index beats brute force on them):
 *
 *   v = normalise( a0 * common + a1 * topic + a2 * subject + a3 * (B_topic z) + a4 * noise )
 *
 * - common: one direction shared by all (CLIP image embeddings fill a narrow cone, not the sphere); the
 *   mean of the real photos' embeddings when given.
 * - topic: one of `topics` random directions (1000: "beach", "dogs", "weddings", ...).
 * - subject: one of `subjectsPerTopic` random directions within the topic (a place, a person, an event);
 *   subjects have log-normal sizes (sigma 1), as bursts and recurring subjects make real collections uneven.
 * - B_topic z: continuous variation inside a topic (pose, light, framing) in a `rank`-dimensional
 *   subspace of its own.
 * - noise: isotropic.
 *
 * With the default weights (squares 0.35, 0.2, 0.15, 0.2, 0.1) two unrelated vectors have a cosine of
 * about 0.35, two of the same topic 0.55, of the same subject 0.7, and a vector's nearest neighbour
 * (among a million) about 0.85: the scale run reports the measured values next to its results.
 */

import { seededRandom } from '@sis/core';

export interface CorpusOptions {
  dimension: number;
  seed: number;
  topics?: number;
  subjectsPerTopic?: number;
  rank?: number;
  /** Squared weights of common, topic, subject, subspace and noise (they sum to 1). */
  weights?: [number, number, number, number, number];
  /** The common direction (e.g. the mean of real embeddings); random when omitted. */
  common?: Float32Array;
}

export const DEFAULT_WEIGHTS: [number, number, number, number, number] = [0.35, 0.2, 0.15, 0.2, 0.1];


/** Standard normal samples (Box-Muller, both outputs used). */
function gaussian(random: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    const u = 1 - random();
    const v = random();
    const radius = Math.sqrt(-2 * Math.log(u));
    spare = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  };
}

function randomUnit(normal: () => number, dimension: number): Float32Array {
  const vector = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) vector[i] = normal();
  return normaliseInPlace(vector);
}

export function normaliseInPlace(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i]! * vector[i]!;
  const norm = Math.sqrt(sum) || 1;
  for (let i = 0; i < vector.length; i++) vector[i]! /= norm;
  return vector;
}

export class ClusteredCorpus {
  readonly dimension: number;
  readonly topics: number;
  readonly subjects: number;
  private readonly rank: number;
  private readonly weights: number[];
  private readonly common: Float32Array;
  private readonly topicDirections: Float32Array[];
  private readonly subjectDirections: Float32Array[];
  private readonly subjectTopic: Int32Array;
  private readonly bases: Float32Array[];
  private readonly cumulative: Float64Array;

  constructor(options: CorpusOptions) {
    const { dimension, seed } = options;
    this.dimension = dimension;
    this.topics = options.topics ?? 1000;
    const perTopic = options.subjectsPerTopic ?? 10;
    this.subjects = this.topics * perTopic;
    this.rank = options.rank ?? 8;
    this.weights = (options.weights ?? DEFAULT_WEIGHTS).map(Math.sqrt);
    const normal = gaussian(seededRandom(seed));
    this.common = options.common ? normaliseInPlace(Float32Array.from(options.common)) : randomUnit(normal, dimension);
    this.topicDirections = Array.from({ length: this.topics }, () => randomUnit(normal, dimension));
    // Columns of N(0, 1/d) entries: unit length on average, so z ~ N(0, I/rank) gives a unit-length variation.
    this.bases = Array.from({ length: this.topics }, () => Float32Array.from({ length: this.rank * dimension }, () => normal() / Math.sqrt(dimension)));
    this.subjectDirections = [];
    this.subjectTopic = new Int32Array(this.subjects);
    const sizes: number[] = [];
    for (let topic = 0; topic < this.topics; topic++) {
      for (let s = 0; s < perTopic; s++) {
        this.subjectTopic[this.subjectDirections.length] = topic;
        this.subjectDirections.push(randomUnit(normal, dimension));
        sizes.push(Math.exp(normal()));
      }
    }
    const total = sizes.reduce((sum, size) => sum + size, 0);
    this.cumulative = new Float64Array(sizes.length);
    let running = 0;
    sizes.forEach((size, i) => {
      running += size / total;
      this.cumulative[i] = running;
    });
  }

  /** n vectors drawn with the given seed (the same seed gives the same vectors), written into `out` from row 0. */
  sample(n: number, seed: number, out: Float32Array = new Float32Array(n * this.dimension)): Float32Array {
    const { dimension, rank } = this;
    const [w0, w1, w2, w3, w4] = this.weights as [number, number, number, number, number];
    const normal = gaussian(seededRandom(seed));
    const random = seededRandom(seed ^ 0x9e3779b9);
    const z = new Float32Array(rank);
    const noiseSigma = w4 / Math.sqrt(dimension);
    for (let i = 0; i < n; i++) {
      const subject = this.pickSubject(random());
      const topic = this.subjectTopic[subject]!;
      const topicDirection = this.topicDirections[topic]!;
      const subjectDirection = this.subjectDirections[subject]!;
      const basis = this.bases[topic]!;
      for (let j = 0; j < rank; j++) z[j] = normal() / Math.sqrt(rank);
      const offset = i * dimension;
      let sum = 0;
      for (let k = 0; k < dimension; k++) {
        let variation = 0;
        for (let j = 0; j < rank; j++) variation += basis[j * dimension + k]! * z[j]!;
        const value = w0 * this.common[k]! + w1 * topicDirection[k]! + w2 * subjectDirection[k]! + w3 * variation + noiseSigma * normal();
        out[offset + k] = value;
        sum += value * value;
      }
      const norm = Math.sqrt(sum);
      for (let k = 0; k < dimension; k++) out[offset + k]! /= norm;
    }
    return out;
  }

  private pickSubject(u: number): number {
    let low = 0;
    let high = this.cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.cumulative[middle]! < u) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
