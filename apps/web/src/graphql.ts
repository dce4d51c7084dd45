import { graphql } from './gql';
import type { HitFieldsFragment, IndexFieldsFragment, JobFieldsFragment, ScoreScaleFieldsFragment, SearchQuery } from './gql/graphql';

/**
 * The operations the app sends. Their variable and result types are generated from apps/api/schema.graphql into
 * src/gql (`pnpm codegen`, run by build, lint and test): nothing here re-declares a schema type.
 */

export const HIT_FIELDS = graphql(`
  fragment HitFields on SearchHit {
    id
    path
    imageUrl
    thumbnailUrl
    width
    height
    score
    takenAt
    cameraMake
    cameraModel
    fileType
    latitude
    longitude
  }
`);

export const RESULT_FIELDS = graphql(`
  fragment ResultFields on SearchResult {
    totalImages
    tookMs
    minScore
    hits {
      ...HitFields
    }
  }
`);

export const JOB_FIELDS = graphql(`
  fragment JobFields on ReindexJob {
    id
    dir
    state
    phase
    seen
    toEmbed
    embedded
    skipped
    removed
    unchanged
    imagesPerSecond
    etaSeconds
    liveWorkers
    queueDepth
    elapsedMs
    error
    skippedFiles {
      path
      reason
      message
    }
    model
    buildingModel
  }
`);

export const SCORE_SCALE_FIELDS = graphql(`
  fragment ScoreScaleFields on ScoreScale {
    minScore
    good
    strong
  }
`);

export const INDEX_FIELDS = graphql(`
  fragment IndexFields on IndexStats {
    type
    vectors
    memoryBytes
    fileBytes
  }
`);

export const STATS_QUERY = graphql(`
  query Stats {
    stats {
      images
      modelName
      scoreScale {
        ...ScoreScaleFields
      }
      allowedRoots
      limits {
        maxResults
        maxQueryLength
        maxUploadBytes
      }
      index {
        ...IndexFields
      }
      currentReindexJob {
        ...JobFields
      }
    }
  }
`);

/** Every search operation answers under the alias `result`, so that the page handles them alike. */
export const SEARCH_QUERY = graphql(`
  query Search($query: String!, $k: Int!, $minScore: Float, $filter: SearchFilterInput, $sort: SearchSort) {
    result: search(query: $query, k: $k, minScore: $minScore, filter: $filter, sort: $sort) {
      ...ResultFields
    }
  }
`);

/** A composite query: `query` (may be null) plus weighted terms (see apps/api/README.md, Composite queries). */
export const SEARCH_TERMS_QUERY = graphql(`
  query SearchTerms($query: String, $terms: [SearchTermInput!]!, $k: Int!, $minScore: Float, $filter: SearchFilterInput, $sort: SearchSort) {
    result: search(query: $query, terms: $terms, k: $k, minScore: $minScore, filter: $filter, sort: $sort) {
      ...ResultFields
    }
  }
`);

/** An indexed image a term names (it is not among the hits: terms' images are left out). */
export const IMAGE_QUERY = graphql(`
  query TermImage($id: ID!) {
    image(id: $id) {
      id
      path
      thumbnailUrl
    }
  }
`);

export const SIMILAR_QUERY = graphql(`
  query Similar($imageId: ID!, $k: Int!, $minScore: Float, $filter: SearchFilterInput, $sort: SearchSort) {
    result: similar(imageId: $imageId, k: $k, minScore: $minScore, filter: $filter, sort: $sort) {
      ...ResultFields
    }
    source: image(id: $imageId) {
      id
      path
      thumbnailUrl
    }
  }
`);

export const SEARCH_BY_IMAGE_QUERY = graphql(`
  query SearchByImage($imageBase64: String!, $k: Int!, $minScore: Float, $filter: SearchFilterInput, $sort: SearchSort) {
    result: searchByImage(imageBase64: $imageBase64, k: $k, minScore: $minScore, filter: $filter, sort: $sort) {
      ...ResultFields
    }
  }
`);

export const REINDEX_MUTATION = graphql(`
  mutation Reindex($dir: String!) {
    reindex(dir: $dir) {
      ...JobFields
    }
  }
`);

/** reindex(dir, model): switches the library to another model, then reindexes dir with it. */
export const REINDEX_WITH_MODEL_MUTATION = graphql(`
  mutation ReindexWithModel($dir: String!, $model: String!) {
    reindex(dir: $dir, model: $model) {
      ...JobFields
    }
  }
`);

export const CANCEL_REINDEX_MUTATION = graphql(`
  mutation CancelReindex($id: ID!) {
    cancelReindex(id: $id) {
      ...JobFields
    }
  }
`);

export const REINDEX_JOB_QUERY = graphql(`
  query ReindexJob($id: ID!) {
    reindexJob(id: $id) {
      ...JobFields
    }
  }
`);

/** Names the components use for the generated shapes. */
export type Hit = HitFieldsFragment;
export type ReindexJob = JobFieldsFragment;
export type ReindexJobState = ReindexJob['state'];
export type ScoreScale = ScoreScaleFieldsFragment;
export type IndexInfo = IndexFieldsFragment;
/** What the page shows of any search (text, similar or by image): the shape they share under `result`. */
export type ResultData = Pick<SearchQuery, 'result'> & { source?: { id: string; path: string; thumbnailUrl: string } | null };

export function isFinalState(state: ReindexJobState): boolean {
  return state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED';
}
