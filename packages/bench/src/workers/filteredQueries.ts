/**
 * Filtered search at one index size (part of the query section): the same query vectors searched unfiltered
 * and under date filters that select 1%, 10% and 50% of the synthetic images, through the engine's filtered
 * path (selectIds over the cached metadata, then ImageLibrary.searchAmong: FAISS ID selector, or an exact
 * scan of small selections), with recall@k against an exact scan of the same selection. The query vectors are
 * text embeddings: searched as text queries (the index's text-kind parameters), as Searcher.searchText does.
 */
import { selectIds, type ImageMetadata, type ImageStore, type SearchFilter } from '@sis/core';
import { summarize, type Summary } from '../stats';

const DAY_MS = 86_400_000;
/** Synthetic images are dated BASE + (n mod 100) days: a range of p days selects p% of them (real photos, dated by mtime, fall outside). */
const BASE_MS = Date.UTC(1990, 0, 1);
export const FILTER_PERCENTS = [1, 10, 50] as const;
/** Recall needs an exact scan of the selection from the catalogue: measured on this many queries (fewer past RECALL_FEWER_ABOVE vectors, where one scan of a 50% selection reads 500k stored vectors). */
const RECALL_QUERIES = 20;
const RECALL_FEWER_ABOVE = 200_000;
const RECALL_QUERIES_LARGE = 5;

export interface FilteredFigures {
  /** Share of the images the filter selects (measured). */
  selectedFraction: number;
  selected: number;
  /** selectIds + searchAmong + row lookup, per query. */
  search: Summary;
  /** Of which choosing the ids (filter over the cached metadata). */
  select: Summary;
  /** recall@k against the exact top-k of the selection (RECALL_QUERIES queries; RECALL_QUERIES_LARGE at large sizes). */
  recall: number | null;
  /** p50 of this / p50 of the unfiltered search. */
  p50VsUnfiltered: number;
}

export interface FilteredSection {
  unfiltered: Summary;
  filters: Record<string, FilteredFigures>;
}

/** Metadata that puts synthetic image n on day n mod 100 of 1990. */
export function syntheticMetadata(n: number): ImageMetadata {
  return {
    folder: `synthetic/${Math.floor(n / 1000)}`,
    fileType: 'jpeg',
    orientation: 'landscape',
    takenAt: BASE_MS + (n % 100) * DAY_MS,
    cameraMake: null,
    cameraModel: null,
    latitude: null,
    longitude: null,
  };
}

export function measureFiltered(library: ImageStore, vectors: readonly Float32Array[], k: number): FilteredSection {
  const unfilteredMs: number[] = [];
  for (const vector of vectors) {
    const start = performance.now();
    library.search(vector, k, 'text');
    unfilteredMs.push(performance.now() - start);
  }
  const unfiltered = summarize(unfilteredMs);
  const total = library.count();
  const filters: Record<string, FilteredFigures> = {};
  for (const percent of FILTER_PERCENTS) {
    const filter: SearchFilter = { takenFrom: BASE_MS, takenTo: BASE_MS + percent * DAY_MS };
    library.filterableImages(); // loaded once and cached, as for every search after the first
    const searchMs: number[] = [];
    const selectMs: number[] = [];
    let selected = 0;
    let found = 0;
    let wanted = 0;
    vectors.forEach((vector, i) => {
      const start = performance.now();
      const ids = selectIds(library.filterableImages(), filter);
      const chosen = performance.now();
      const hits = library.searchAmong(vector, k, ids, { kind: 'text' });
      searchMs.push(performance.now() - start);
      selectMs.push(chosen - start);
      selected = ids.length;
      if (i < (total > RECALL_FEWER_ABOVE ? RECALL_QUERIES_LARGE : RECALL_QUERIES)) {
        const exact = new Set(library.searchAmong(vector, k, ids, { exactSubsetMax: Number.POSITIVE_INFINITY }).map((hit) => hit.image.id));
        found += hits.filter((hit) => exact.has(hit.image.id)).length;
        wanted += exact.size;
      }
    });
    const search = summarize(searchMs);
    filters[`${percent}%`] = {
      selectedFraction: selected / total,
      selected,
      search,
      select: summarize(selectMs),
      recall: wanted > 0 ? found / wanted : null,
      p50VsUnfiltered: search.median / unfiltered.median,
    };
  }
  return { unfiltered, filters };
}
