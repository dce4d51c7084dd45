import { gql, type TypedDocumentNode } from '@apollo/client';

/** The operations the app sends, with hand-written result types (see apps/api/schema.graphql). */

export interface Hit {
  id: string;
  path: string;
  imageUrl: string;
  thumbnailUrl: string;
  width: number;
  height: number;
  score: number;
}

export interface SearchResultData {
  hits: Hit[];
  totalImages: number;
  tookMs: number;
  /** The threshold the server applied: the one asked for, or for a text search the model's default (null: none). */
  minScore?: number | null;
}

export interface SourceImage {
  id: string;
  path: string;
  thumbnailUrl: string;
}

/** Every search operation answers under the alias `result`, so that the page handles them alike. */
export interface ResultData {
  result: SearchResultData;
  /** Only for Similar: the image the search started from. */
  source?: SourceImage | null;
}

export interface Limits {
  maxResults: number;
  maxQueryLength: number;
  maxUploadBytes: number;
}

export type ReindexJobState = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
export type ReindexPhase = 'SCANNING' | 'EMBEDDING' | 'SAVING' | 'DONE';

export interface SkippedFile {
  path: string;
  reason: string;
  message: string;
}

export interface ReindexJob {
  id: string;
  dir: string;
  state: ReindexJobState;
  phase: ReindexPhase;
  seen: number;
  toEmbed: number;
  embedded: number;
  skipped: number;
  removed: number;
  unchanged: number;
  imagesPerSecond: number;
  etaSeconds: number | null;
  elapsedMs: number;
  error: string | null;
  skippedFiles: SkippedFile[];
  /** The model this job switches the library to (reindex(dir, model)); null for a plain reindex. */
  model: string | null;
  /** The model whose vectors are being built now; null otherwise. */
  buildingModel: string | null;
}

export interface StatsData {
  stats: {
    images: number;
    modelName: string;
    scoreScale: ScoreScale;
    allowedRoots: string[];
    limits: Limits;
    index: IndexInfo;
    currentReindexJob: ReindexJob | null;
  };
}

/** What a score means for the server's model (SigLIP's cosines run about a third of CLIP's). */
export interface ScoreScale {
  minScore: number;
  good: number;
  strong: number;
}

/** What the server says about its FAISS index (exact or approximate), shown in the footer. */
export interface IndexInfo {
  type: string;
  vectors: number;
  memoryBytes: number;
  fileBytes: number | null;
}

export interface SearchVariables {
  query: string;
  k: number;
  minScore?: number | null;
}

export interface SimilarVariables {
  imageId: string;
  k: number;
  minScore?: number | null;
}

export interface SearchByImageVariables {
  imageBase64: string;
  k: number;
  minScore?: number | null;
}

const RESULT_FIELDS = 'totalImages tookMs minScore hits { id path imageUrl thumbnailUrl width height score }';
const JOB_FIELDS =
  'id dir state phase seen toEmbed embedded skipped removed unchanged imagesPerSecond etaSeconds elapsedMs error skippedFiles { path reason message } model buildingModel';

export const STATS_QUERY: TypedDocumentNode<StatsData, Record<string, never>> = gql`
  query Stats {
    stats {
      images
      modelName
      scoreScale { minScore good strong }
      allowedRoots
      limits { maxResults maxQueryLength maxUploadBytes }
      index { type vectors memoryBytes fileBytes }
      currentReindexJob { ${JOB_FIELDS} }
    }
  }
`;

export const SEARCH_QUERY: TypedDocumentNode<ResultData, SearchVariables> = gql`
  query Search($query: String!, $k: Int!, $minScore: Float) {
    result: search(query: $query, k: $k, minScore: $minScore) { ${RESULT_FIELDS} }
  }
`;

export const SIMILAR_QUERY: TypedDocumentNode<ResultData, SimilarVariables> = gql`
  query Similar($imageId: ID!, $k: Int!, $minScore: Float) {
    result: similar(imageId: $imageId, k: $k, minScore: $minScore) { ${RESULT_FIELDS} }
    source: image(id: $imageId) { id path thumbnailUrl }
  }
`;

export const SEARCH_BY_IMAGE_QUERY: TypedDocumentNode<ResultData, SearchByImageVariables> = gql`
  query SearchByImage($imageBase64: String!, $k: Int!, $minScore: Float) {
    result: searchByImage(imageBase64: $imageBase64, k: $k, minScore: $minScore) { ${RESULT_FIELDS} }
  }
`;

export const REINDEX_MUTATION: TypedDocumentNode<{ reindex: ReindexJob }, { dir: string }> = gql`
  mutation Reindex($dir: String!) {
    reindex(dir: $dir) { ${JOB_FIELDS} }
  }
`;

/** reindex(dir, model): switches the library to another model, then reindexes dir with it. */
export const REINDEX_WITH_MODEL_MUTATION: TypedDocumentNode<{ reindex: ReindexJob }, { dir: string; model: string }> = gql`
  mutation ReindexWithModel($dir: String!, $model: String!) {
    reindex(dir: $dir, model: $model) { ${JOB_FIELDS} }
  }
`;

export const CANCEL_REINDEX_MUTATION: TypedDocumentNode<{ cancelReindex: ReindexJob | null }, { id: string }> = gql`
  mutation CancelReindex($id: ID!) {
    cancelReindex(id: $id) { ${JOB_FIELDS} }
  }
`;

export const REINDEX_JOB_QUERY: TypedDocumentNode<{ reindexJob: ReindexJob | null }, { id: string }> = gql`
  query ReindexJob($id: ID!) {
    reindexJob(id: $id) { ${JOB_FIELDS} }
  }
`;

export function isFinalState(state: ReindexJobState): boolean {
  return state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED';
}
