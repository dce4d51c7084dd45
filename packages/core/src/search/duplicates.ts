import type { CatalogueImage } from '../store/types';
import { thresholdGraph, type DuplicatePhase } from './duplicateGraph';

/**
 * Near-duplicate groups of the whole library: connected components of the graph "cosine >= threshold"
 * (duplicateGraph.ts), each with a suggested keeper. Read-only: nothing here deletes, moves or writes a file;
 * the user acts on the exported list (duplicateExport.ts).
 *
 * Results are cached per threshold until the catalogue's change sequence moves (any commit that changes a
 * vector), so paging through the groups or exporting them costs one computation.
 */

/** The part of the image store duplicates read (ImageLibrary satisfies it). */
export interface DuplicateSource {
  readonly dimension: number;
  catalogueGeneration(): number;
  embeddingChunk(afterId: number, limit: number): { ids: number[]; vectors: Float32Array };
  imagesByIds(ids: readonly number[]): Map<number, CatalogueImage>;
}

export interface DuplicateImage extends CatalogueImage {
  /** Cosine with the group's keeper (1 for the keeper itself). */
  scoreToKeeper: number;
  /** EXIF fields in the file; read only to break a tie between candidates for keeper, else null. */
  exifFields: number | null;
}

export interface DuplicatePair {
  a: number;
  b: number;
  /** Cosine similarity, >= the threshold. */
  score: number;
}

export interface DuplicateGroup {
  /** The smallest image id in the group: stable while the group's members stay. */
  id: number;
  /** Keeper first, then by score to the keeper (best first). */
  images: DuplicateImage[];
  keeperId: number;
  /** Why the keeper was suggested, in words. */
  keeperReason: string;
  /** The edges found (cosine >= threshold), best first, at most MAX_PAIRS_PER_GROUP. */
  pairs: DuplicatePair[];
  /** Edges in the group in all (pairs may hold fewer). */
  pairCount: number;
  minPairScore: number;
  maxPairScore: number;
}

export interface DuplicateReport {
  threshold: number;
  /** The catalogue change sequence the groups were computed at. */
  generation: number;
  /** Images compared. */
  images: number;
  /** Groups of two or more, largest first (then by id). */
  groups: DuplicateGroup[];
  /** The FAISS index the k-NN searches ran on ('flat' = exact). */
  index: string;
  tookMs: number;
}

export interface DuplicateOptions {
  threshold: number;
  /** Each phase of the pass as it goes (thresholdGraph's onProgress): clustering in steps, assigning and comparing in images. */
  onProgress?: (done: number, total: number, phase: DuplicatePhase) => void;
  signal?: AbortSignal;
}

export class InvalidDuplicatesError extends Error {
  override readonly name = 'InvalidDuplicatesError';
}

export const MAX_PAIRS_PER_GROUP = 200;
const CHUNK = 10_000;

/** Reads each file's EXIF field count (countExifFields); injected so that a source without files can skip it. */
export type ExifCounter = (filePath: string) => Promise<number | undefined>;

export class DuplicateFinder {
  private readonly cache = new Map<number, { generation: number; report: Promise<DuplicateReport> }>();

  constructor(
    private readonly source: DuplicateSource,
    private readonly countExif?: ExifCounter,
  ) {}

  /** The groups at a threshold: cached until the library changes. */
  find(options: DuplicateOptions): Promise<DuplicateReport> {
    checkThreshold(options.threshold);
    const generation = this.source.catalogueGeneration();
    const cached = this.cache.get(options.threshold);
    if (cached && cached.generation === generation) return cached.report;
    const report = this.compute(options, generation);
    // Old generations are of no further use: keep the cache to the current one.
    for (const [threshold, entry] of this.cache) if (entry.generation !== generation) this.cache.delete(threshold);
    this.cache.set(options.threshold, { generation, report });
    report.catch(() => this.cache.delete(options.threshold));
    return report;
  }

  private async compute(options: DuplicateOptions, generation: number): Promise<DuplicateReport> {
    const start = performance.now();
    const { ids, vectors } = this.readAll();
    const { dimension } = this.source;
    const graph = await thresholdGraph({
      dimension,
      vectors,
      threshold: options.threshold,
      signal: options.signal,
      onProgress: async (done, total, phase) => {
        options.onProgress?.(done, total, phase);
        // Let a server answer other requests between batches.
        await new Promise((resolve) => setImmediate(resolve));
      },
    });
    const edgesByRoot = new Map<number, DuplicatePair[]>();
    const componentOf = new Map<number, number>();
    graph.components.forEach((members, c) => members.forEach((row) => componentOf.set(row, c)));
    for (const edge of graph.edges) {
      const c = componentOf.get(edge.a)!;
      const list = edgesByRoot.get(c) ?? [];
      list.push({ a: ids[edge.a]!, b: ids[edge.b]!, score: edge.score });
      edgesByRoot.set(c, list);
    }
    const groups: DuplicateGroup[] = [];
    for (const [c, members] of graph.components.entries()) {
      const rows = this.source.imagesByIds(members.map((row) => ids[row]!));
      const images = members.flatMap((row) => {
        const image = rows.get(ids[row]!);
        return image ? [{ image, row }] : [];
      });
      if (images.length < 2) continue; // Removed between reading the vectors and the rows.
      const pairs = (edgesByRoot.get(c) ?? []).sort((x, y) => y.score - x.score);
      groups.push(await this.group(images, pairs, vectors, dimension));
    }
    groups.sort((x, y) => y.images.length - x.images.length || x.id - y.id);
    return { threshold: options.threshold, generation, images: ids.length, groups, index: graph.index, tookMs: performance.now() - start };
  }

  private readAll(): { ids: number[]; vectors: Float32Array } {
    const ids: number[] = [];
    const chunks: Float32Array[] = [];
    let after = -1;
    for (;;) {
      const chunk = this.source.embeddingChunk(after, CHUNK);
      if (chunk.ids.length === 0) break;
      ids.push(...chunk.ids);
      chunks.push(chunk.vectors);
      after = chunk.ids.at(-1)!;
    }
    const vectors = new Float32Array(ids.length * this.source.dimension);
    let offset = 0;
    for (const chunk of chunks) {
      vectors.set(chunk, offset);
      offset += chunk.length;
    }
    return { ids, vectors };
  }

  private async group(
    members: { image: CatalogueImage; row: number }[],
    pairs: DuplicatePair[],
    vectors: Float32Array,
    dimension: number,
  ): Promise<DuplicateGroup> {
    const exif = await this.exifForTies(members.map((member) => member.image));
    const { keeper, reason } = suggestKeeper(members.map((member) => member.image), exif);
    const keeperRow = members.find((member) => member.image.id === keeper.id)!.row;
    const images: DuplicateImage[] = members.map(({ image, row }) => ({
      ...image,
      scoreToKeeper: row === keeperRow ? 1 : dot(vectors, dimension, row, keeperRow),
      exifFields: exif.get(image.id) ?? null,
    }));
    images.sort((x, y) => Number(y.id === keeper.id) - Number(x.id === keeper.id) || y.scoreToKeeper - x.scoreToKeeper || x.id - y.id);
    const scores = pairs.map((pair) => pair.score);
    return {
      id: Math.min(...members.map((member) => member.image.id)),
      images,
      keeperId: keeper.id,
      keeperReason: reason,
      pairs: pairs.slice(0, MAX_PAIRS_PER_GROUP),
      pairCount: pairs.length,
      minPairScore: Math.min(...scores),
      maxPairScore: Math.max(...scores),
    };
  }

  /** EXIF counts of the images tied on pixels and bytes with the best of the group (only those are read). */
  private async exifForTies(images: CatalogueImage[]): Promise<Map<number, number>> {
    const counts = new Map<number, number>();
    if (!this.countExif) return counts;
    const best = [...images].sort(byPixelsThenBytes)[0]!;
    const tied = images.filter((image) => byPixelsThenBytes(image, best) === 0);
    if (tied.length < 2) return counts;
    for (const image of tied) {
      const fields = await this.countExif(image.path);
      if (fields !== undefined) counts.set(image.id, fields);
    }
    return counts;
  }
}

function byPixelsThenBytes(x: CatalogueImage, y: CatalogueImage): number {
  return y.width * y.height - x.width * x.height || y.size - x.size;
}

/** Largest pixel count, then largest file, then most EXIF fields, then the oldest in the catalogue (smallest id). */
export function suggestKeeper(images: readonly CatalogueImage[], exifFields: ReadonlyMap<number, number>): { keeper: CatalogueImage; reason: string } {
  const exifOf = (image: CatalogueImage) => exifFields.get(image.id) ?? -1;
  const ranked = [...images].sort((x, y) => byPixelsThenBytes(x, y) || exifOf(y) - exifOf(x) || x.id - y.id);
  const [keeper, runnerUp] = ranked as [CatalogueImage, CatalogueImage];
  const pixels = (image: CatalogueImage) => image.width * image.height;
  let reason: string;
  if (pixels(keeper) > pixels(runnerUp)) reason = `most pixels (${keeper.width}x${keeper.height})`;
  else if (keeper.size > runnerUp.size) reason = `same pixel count, largest file (${keeper.size} bytes)`;
  else if (exifOf(keeper) > exifOf(runnerUp)) reason = `same pixels and file size, most EXIF fields (${exifOf(keeper)})`;
  else reason = 'all alike: the first indexed';
  return { keeper, reason };
}

function dot(vectors: Float32Array, dimension: number, i: number, j: number): number {
  let sum = 0;
  for (let d = 0; d < dimension; d++) sum += vectors[i * dimension + d]! * vectors[j * dimension + d]!;
  return sum;
}

function checkThreshold(threshold: number): void {
  if (!(Number.isFinite(threshold) && threshold > 0 && threshold <= 1)) {
    throw new InvalidDuplicatesError(`The duplicates threshold is a cosine similarity above 0 and at most 1, got ${threshold}`);
  }
}

/** Groups with at least minGroupSize images, after the group with id `after` (cursor pagination), `first` of them. */
export function pageOfGroups(report: DuplicateReport, options: { minGroupSize: number; first: number; after?: number }): { groups: DuplicateGroup[]; totalGroups: number; hasNextPage: boolean } {
  if (!(Number.isInteger(options.minGroupSize) && options.minGroupSize >= 2)) throw new InvalidDuplicatesError(`minGroupSize must be a whole number of at least 2, got ${options.minGroupSize}`);
  if (!(Number.isInteger(options.first) && options.first >= 1)) throw new InvalidDuplicatesError(`first must be a whole number of at least 1, got ${options.first}`);
  const eligible = report.groups.filter((group) => group.images.length >= options.minGroupSize);
  let start = 0;
  if (options.after !== undefined) {
    const at = eligible.findIndex((group) => group.id === options.after);
    if (at < 0) throw new InvalidDuplicatesError(`The cursor names no group of this result (the library may have changed): start again without "after"`);
    start = at + 1;
  }
  const groups = eligible.slice(start, start + options.first);
  return { groups, totalGroups: eligible.length, hasNextPage: start + options.first < eligible.length };
}
