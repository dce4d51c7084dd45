import type { QueryKind } from './tuning';
import { RERANK_FACTOR } from './tuning';
import type { VectorHit } from './vectorIndex';

/** A filter selecting at most this many images is searched by an exact scan of their stored vectors (approximate indexes). */
export const EXACT_SUBSET_MAX = 4096;

/** What a search needs from the library: its index (followingIndex.ts) and the stored vectors (the catalogue). */
export interface VectorSearchSource {
  readonly dimension: number;
  readonly index: {
    readonly exact: boolean;
    search(query: Float32Array, k: number, allowed?: readonly number[], kind?: QueryKind): VectorHit[];
  };
  /** The stored vectors of those ids that exist (found ids, row after row). */
  embeddingsByIds(ids: readonly number[]): { ids: number[]; vectors: Float32Array };
  /**
   * Whether reading stored vectors may fail and the index's own (approximate) scores then do: a replica whose
   * PostgreSQL is unreachable goes on answering from its index alone.
   */
  readonly answersWithoutCatalogue: boolean;
}

/**
 * The k most similar of a unit query, best first: the index's answer when it is exact, else its RERANK_FACTOR * k
 * candidates re-scored with the stored vectors, so that the order and the scores are exact among them (8-bit
 * codes cannot tell apart neighbours whose cosines differ in the third decimal, as photos of one kind often do).
 */
export function nearest(source: VectorSearchSource, unit: Float32Array, k: number, kind?: QueryKind): VectorHit[] {
  if (source.index.exact) return source.index.search(unit, k, undefined, kind);
  return reranked(source, unit, k, source.index.search(unit, k * RERANK_FACTOR, undefined, kind));
}

/**
 * The k most similar among the given ids (a filter's selection), best first: the true top-k of that subset when
 * the index is exact, or when the subset is small enough to scan its stored vectors exactly (exactSubsetMax);
 * otherwise the approximate index searched with a FAISS ID selector (never "search N, then filter"), its
 * candidates re-scored like nearest()'s.
 */
export function nearestAmong(
  source: VectorSearchSource,
  unit: Float32Array,
  k: number,
  ids: readonly number[],
  options: { exactSubsetMax?: number; kind?: QueryKind } = {},
): VectorHit[] {
  if (ids.length === 0 || k < 1) return [];
  if (source.index.exact) return source.index.search(unit, k, ids, options.kind);
  if (ids.length <= (options.exactSubsetMax ?? EXACT_SUBSET_MAX)) return scanExactly(source, unit, k, ids);
  return reranked(source, unit, k, source.index.search(unit, k * RERANK_FACTOR, ids, options.kind));
}

/** The k best of an approximate index's candidates, scored with their stored vectors. */
function reranked(source: VectorSearchSource, unit: Float32Array, k: number, candidates: readonly VectorHit[]): VectorHit[] {
  if (candidates.length === 0) return [];
  try {
    return scanExactly(source, unit, k, candidates.map((hit) => hit.id));
  } catch (error) {
    if (!source.answersWithoutCatalogue) throw error;
    return candidates.slice(0, k);
  }
}

/** The k best of the given ids by their stored vectors, ties broken by id. */
function scanExactly(source: VectorSearchSource, unit: Float32Array, k: number, ids: readonly number[]): VectorHit[] {
  const { ids: found, vectors } = source.embeddingsByIds(ids);
  const d = source.dimension;
  const scored = found.map((id, row) => {
    let score = 0;
    for (let j = 0, offset = row * d; j < d; j++) score += unit[j]! * vectors[offset + j]!;
    return { id, score };
  });
  return scored.sort((a, b) => b.score - a.score || a.id - b.id).slice(0, k);
}
