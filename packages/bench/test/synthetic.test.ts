import { ClusteredVectors, gaussian, seededRandom, sigmaForCosine } from '../src/synthetic';

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

function rows(block: Float32Array, dimension: number): Float32Array[] {
  return Array.from({ length: block.length / dimension }, (_, i) => block.subarray(i * dimension, (i + 1) * dimension));
}

describe('seeded random numbers', () => {
  it('are deterministic per seed, in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const values = Array.from({ length: 1000 }, () => a());
    expect(values).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(seededRandom(43)()).not.toBe(values[0]);
  });

  it('gaussian samples have mean 0 and variance 1', () => {
    const normal = gaussian(seededRandom(1));
    const samples = Array.from({ length: 20000 }, normal);
    const mean = samples.reduce((s, v) => s + v, 0) / samples.length;
    const variance = samples.reduce((s, v) => s + (v - mean) ** 2, 0) / samples.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });
});

describe('ClusteredVectors', () => {
  const dimension = 512;

  it('gives unit vectors, deterministically for a seed, in blocks', () => {
    const a = new ClusteredVectors({ count: 300, dimension, seed: 5 });
    const b = new ClusteredVectors({ count: 300, dimension, seed: 5 });
    const blockA = [a.next(100), a.next(200)];
    const blockB = [b.next(100), b.next(200)];
    expect(blockA).toEqual(blockB);
    for (const vector of blockA.flatMap((block) => rows(block, dimension))) expect(Math.sqrt(dot(vector, vector))).toBeCloseTo(1, 5);
  });

  it('is clustered, not uniform: vectors are far more alike within the cloud than random directions', () => {
    const generator = new ClusteredVectors({ count: 400, dimension, seed: 9, clusters: 4 });
    const vectors = rows(generator.next(400), dimension);
    const cosines: number[] = [];
    for (let i = 0; i < 100; i++) for (let j = i + 1; j < 100; j++) cosines.push(dot(vectors[i]!, vectors[j]!));
    // Same cluster: about 0.85^2 ~ 0.72; different clusters: about 0.85^2 * 0.8^2 ~ 0.46. Random 512-d: ~0 +- 0.04.
    const high = cosines.filter((c) => c > 0.6).length / cosines.length;
    const low = cosines.filter((c) => c < 0.3).length / cosines.length;
    expect(high).toBeGreaterThan(0.15); // pairs from the same cluster (1/4 of them)
    expect(low).toBe(0);
    expect(generator.clusterCount).toBe(4);
  });

  it('gathers around a given centre', () => {
    const centre = new Float32Array(dimension);
    centre[3] = 1;
    const vectors = rows(new ClusteredVectors({ count: 50, dimension, seed: 2, centre }).next(50), dimension);
    const meanCosine = vectors.reduce((s, v) => s + dot(v, centre), 0) / vectors.length;
    expect(meanCosine).toBeGreaterThan(0.6);
    expect(meanCosine).toBeLessThan(0.8);
  });

  it('sigmaForCosine gives the asked expected cosine', () => {
    const normal = gaussian(seededRandom(3));
    const sigma = sigmaForCosine(0.85, dimension);
    const base = new Float32Array(dimension);
    base[0] = 1;
    const cosines = Array.from({ length: 200 }, () => {
      const v = base.map((x) => x + sigma * normal());
      return dot(v, base) / Math.sqrt(dot(v, v));
    });
    expect(cosines.reduce((s, c) => s + c, 0) / cosines.length).toBeCloseTo(0.85, 2);
    expect(() => sigmaForCosine(0, dimension)).toThrow(RangeError);
  });
});
