/** The kinds of query the scale run times and scores separately (queries file order: synthetic, real, caption). */
export type QueryKindName = 'synthetic' | 'real' | 'caption';
export const QUERY_KINDS: readonly QueryKindName[] = ['synthetic', 'real', 'caption'];
export const KIND_LABELS: Record<QueryKindName, string> = { synthetic: 'synthetic', real: 'real photo', caption: 'caption text' };
