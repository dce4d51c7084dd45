/** The search lives in the URL (`?q=…&k=…&min=…`, or `?similar=<id>&k=…`), so it can be bookmarked, shared, and walked with back/forward. */

export const DEFAULT_K = 12;

export interface UrlState {
  /** Text query ('' for none). */
  q: string;
  /** Id of an indexed image, for "find similar". */
  similar?: string;
  k: number;
  /** Score threshold (cosine, -1 to 1). */
  minScore?: number;
}

export function parseUrlState(search: string): UrlState {
  const params = new URLSearchParams(search);
  const kText = params.get('k') ?? '';
  const k = /^\d{1,7}$/.test(kText) && Number(kText) >= 1 ? Number(kText) : DEFAULT_K;
  const minText = params.get('min');
  const min = minText === null || minText.trim() === '' ? NaN : Number(minText);
  const similar = params.get('similar')?.trim();
  return {
    q: (params.get('q') ?? '').trim(),
    ...(similar && /^\d+$/.test(similar) && { similar }),
    k,
    ...(Number.isFinite(min) && min >= -1 && min <= 1 && { minScore: min }),
  };
}

export function formatUrlState(state: UrlState): string {
  const params = new URLSearchParams();
  if (state.similar) params.set('similar', state.similar);
  else if (state.q) params.set('q', state.q);
  params.set('k', String(state.k));
  if (state.minScore !== undefined) params.set('min', String(state.minScore));
  return `?${params.toString()}`;
}

export function sameUrlState(a: UrlState, b: UrlState): boolean {
  return formatUrlState(a) === formatUrlState(b);
}
