/**
 * The search lives in the URL (`?q=…&k=…&min=…`, or `?similar=<id>&k=…`), so it can be bookmarked, shared, and walked
 * with back/forward. A composite query adds its terms, one `t` each, in order: `t=<weight>,img,<id>` (an indexed
 * image) or `t=<weight>,text,<text>`, e.g. `?q=golden+retriever&t=2,text,snow&t=-1,img,42`.
 */

export const DEFAULT_K = 12;

/** One term of a composite query besides `q`: an indexed image ("More/Less like this") or a text, with its weight. */
export interface UrlTerm {
  kind: 'img' | 'text';
  /** The image id, or the text. */
  value: string;
  /** Finite, not 0; negative subtracts. */
  weight: number;
}

export interface UrlState {
  /** Text query ('' for none). */
  q: string;
  /** Id of an indexed image, for "find similar". */
  similar?: string;
  k: number;
  /** Score threshold (cosine, -1 to 1). */
  minScore?: number;
  /** Terms combined with q (none: a plain search). */
  terms?: UrlTerm[];
  /** The filter bar: `folder`, `from`, `to` (YYYY-MM-DD), `type`; and `sort` (newest / oldest; absent: by score). */
  filter?: UrlFilter;
  sort?: UrlSort;
}

export interface UrlFilter {
  folder?: string;
  from?: string;
  to?: string;
  type?: string;
}

export type UrlSort = 'newest' | 'oldest';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function parseFilter(params: URLSearchParams): UrlFilter | undefined {
  const filter: UrlFilter = {};
  const folder = params.get('folder')?.trim();
  if (folder) filter.folder = folder;
  for (const name of ['from', 'to'] as const) {
    const day = params.get(name)?.trim();
    if (day && DAY.test(day)) filter[name] = day;
  }
  const type = params.get('type')?.trim().toLowerCase();
  if (type && /^[a-z0-9]+$/.test(type)) filter.type = type;
  return Object.keys(filter).length > 0 ? filter : undefined;
}

const TERM = /^([^,]+),(img|text),(.+)$/s;

export function parseTerm(raw: string): UrlTerm | undefined {
  const match = TERM.exec(raw.trim());
  if (!match) return undefined;
  const weight = Number(match[1]);
  const value = match[3]!.trim();
  if (!Number.isFinite(weight) || weight === 0 || value === '') return undefined;
  if (match[2] === 'img' && !/^\d+$/.test(value)) return undefined;
  return { kind: match[2] as UrlTerm['kind'], value, weight };
}

export function formatTerm(term: UrlTerm): string {
  return `${term.weight},${term.kind},${term.value}`;
}

/**
 * Adds `weight` to the term for this image or text (a second "More like this" makes it +2), or a new term at the end;
 * a term whose weight comes to 0 ("More" then "Less") is removed.
 */
export function addTerm(terms: readonly UrlTerm[], kind: UrlTerm['kind'], value: string, weight: number): UrlTerm[] {
  const existing = terms.findIndex((term) => term.kind === kind && term.value === value);
  if (existing < 0) return [...terms, { kind, value, weight }];
  const next = Math.round((terms[existing]!.weight + weight) * 1000) / 1000;
  return next === 0 ? terms.filter((_, i) => i !== existing) : terms.map((term, i) => (i === existing ? { ...term, weight: next } : term));
}

export function parseUrlState(search: string): UrlState {
  const params = new URLSearchParams(search);
  const kText = params.get('k') ?? '';
  const k = /^\d{1,7}$/.test(kText) && Number(kText) >= 1 ? Number(kText) : DEFAULT_K;
  const minText = params.get('min');
  const min = minText === null || minText.trim() === '' ? NaN : Number(minText);
  const similar = params.get('similar')?.trim();
  const terms = params.getAll('t').flatMap((raw) => parseTerm(raw) ?? []);
  const filter = parseFilter(params);
  const sort = params.get('sort');
  return {
    q: (params.get('q') ?? '').trim(),
    ...(similar && /^\d+$/.test(similar) && { similar }),
    k,
    ...(Number.isFinite(min) && min >= -1 && min <= 1 && { minScore: min }),
    ...(terms.length > 0 && { terms }),
    ...(filter && { filter }),
    ...((sort === 'newest' || sort === 'oldest') && { sort }),
  };
}

export function formatUrlState(state: UrlState): string {
  const params = new URLSearchParams();
  if (state.similar) params.set('similar', state.similar);
  else if (state.q) params.set('q', state.q);
  for (const term of state.terms ?? []) params.append('t', formatTerm(term));
  params.set('k', String(state.k));
  if (state.minScore !== undefined) params.set('min', String(state.minScore));
  for (const [name, value] of Object.entries(state.filter ?? {})) if (value) params.set(name, value);
  if (state.sort) params.set('sort', state.sort);
  return `?${params.toString()}`;
}

export function sameUrlState(a: UrlState, b: UrlState): boolean {
  return formatUrlState(a) === formatUrlState(b);
}
