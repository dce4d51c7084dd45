import path from 'node:path';
import type { ImageMetadata, ReindexJob as CoreReindexJob, SearchResult as CoreSearchResult } from '@sis/core';
import type { ApiContext } from '../context';
import { UserInputError } from '../errors';
import { presentModelName } from '../modelChoices';
import type { Image, ReindexJob, ReindexJobState, ReindexPhase, SearchHit, SearchResult } from './types';

/** Catalogue ids are positive integers; anything else cannot name an image. */
export function parseImageId(id: string): number | undefined {
  if (!/^[1-9][0-9]{0,15}$/.test(id)) return undefined;
  const value = Number(id);
  return Number.isSafeInteger(value) ? value : undefined;
}

export function requireImageId(id: string, argument: string): number {
  const value = parseImageId(id.trim());
  if (value === undefined) throw new UserInputError(`${argument} must be the id of an indexed image (a positive whole number such as "42"), got ${JSON.stringify(id.slice(0, 40))}.`);
  return value;
}

export function presentImage(image: { id: number; path: string; width: number; height: number }, ctx: ApiContext): Image {
  return {
    id: String(image.id),
    path: ctx.roots.relativePath(image.path),
    imageUrl: `${ctx.baseUrl}/images/${image.id}`,
    thumbnailUrl: `${ctx.baseUrl}/thumbnails/${image.id}`,
    width: image.width,
    height: image.height,
  };
}

export function presentSearchResult(result: CoreSearchResult, ctx: ApiContext): SearchResult {
  return {
    hits: result.hits.map((hit) => ({ ...presentImage(hit, ctx), score: hit.score, ...presentHitMetadata(hit.metadata) })),
    totalImages: result.totalImages,
    tookMs: result.tookMs,
    minScore: result.minScore ?? null,
  };
}

/** The recorded metadata a hit shows (all null until a reindex has read the file's). */
export function presentHitMetadata(metadata: ImageMetadata | null): Pick<SearchHit, 'takenAt' | 'cameraMake' | 'cameraModel' | 'fileType' | 'latitude' | 'longitude'> {
  return {
    takenAt: metadata?.takenAt == null ? null : new Date(metadata.takenAt),
    cameraMake: metadata?.cameraMake ?? null,
    cameraModel: metadata?.cameraModel ?? null,
    fileType: metadata?.fileType || null,
    latitude: metadata?.latitude ?? null,
    longitude: metadata?.longitude ?? null,
  };
}

export function presentJob(job: CoreReindexJob, now: number = Date.now()): ReindexJob {
  const { progress, summary } = job;
  return {
    id: job.id,
    dir: job.root,
    model: job.model === undefined ? null : presentModelName(job.model),
    buildingModel: progress.model === undefined ? null : presentModelName(progress.model),
    state: job.state as ReindexJobState,
    phase: progress.phase as ReindexPhase,
    seen: summary?.seen ?? progress.seen,
    toEmbed: progress.toEmbed,
    embedded: summary?.embedded ?? progress.embedded,
    skipped: summary?.skipped.length ?? progress.skipped,
    removed: summary?.removed ?? progress.removed,
    unchanged: summary?.unchanged ?? progress.unchanged,
    imagesPerSecond: summary?.imagesPerSecond ?? progress.imagesPerSecond,
    etaSeconds: progress.etaSeconds ?? null,
    liveWorkers: progress.liveWorkers ?? null,
    queueDepth: progress.queueDepth ?? null,
    createdAt: new Date(job.createdAt),
    startedAt: job.startedAt === undefined ? null : new Date(job.startedAt),
    finishedAt: job.finishedAt === undefined ? null : new Date(job.finishedAt),
    elapsedMs: job.startedAt === undefined ? 0 : (job.finishedAt ?? now) - job.startedAt,
    error: job.error ?? null,
    skippedFiles: (summary?.skipped ?? []).map((file) => ({
      path: path.relative(job.root, file.path).split(path.sep).join('/') || path.basename(file.path),
      reason: file.reason,
      message: file.message,
    })),
  };
}
