import type { Engine, ReindexJobs } from '@sis/core';
import type { Logger } from 'pino';
import type { AllowedRoots } from './roots';
import type { UploadDecodeBudget } from './uploadBudget';

/** Bounds on what one request may ask for; each violation is a BAD_USER_INPUT error. */
export interface ApiLimits {
  /** Largest k (SIS_MAX_RESULTS). */
  maxResults: number;
  /** Longest text query, in characters. */
  maxQueryLength: number;
  /** Largest uploaded image, decoded (SIS_MAX_UPLOAD_BYTES). */
  maxUploadBytes: number;
  /** Most pixels (width x height) an image may declare (SIS_MAX_PIXELS). */
  maxPixels: number;
  /** Deepest field nesting of a GraphQL operation (introspection excepted). */
  maxQueryDepth: number;
}

/** What every resolver gets: the one shared engine, the job registry, and request facts. */
export interface ApiContext {
  engine: Engine;
  jobs: ReindexJobs;
  roots: AllowedRoots;
  limits: ApiLimits;
  /** Bounds decoding of uploaded images (searchByImage). */
  uploads: UploadDecodeBudget;
  logger: Logger;
  /** Origin this request reached the server at (e.g. http://127.0.0.1:4000): image URLs are built on it. */
  baseUrl: string;
}
