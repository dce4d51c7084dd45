import path from 'node:path';
import type { AppConfig } from '../config';
import { ConfigError } from '../config';

/** One prefix rewrite: a worker that mounts the coordinator's `from` folder at `to`. */
export interface PathMapping {
  from: string;
  to: string;
}

/** What the queue needs from the configuration (SIS_QUEUE_URL, SIS_CATALOGUE_URL, SIS_QUEUE_PATH_MAP, SIS_QUEUE_BATCH_IMAGES). */
export interface QueueSettings {
  /** redis://... : credentials travel only here (and in the catalogue URL), never in queued jobs. */
  url: string;
  catalogueUrl: string;
  pathMap: readonly PathMapping[];
  batchImages: number;
}

/** True when reindex work goes through the queue (SIS_QUEUE_URL is set). */
export function usesQueue(config: Pick<AppConfig, 'queueUrl'>): boolean {
  return config.queueUrl !== '';
}

/** The queue settings of a configuration; a clear error when the queue is not (fully) configured. */
export function queueSettingsOf(config: Pick<AppConfig, 'queueUrl' | 'catalogueUrl' | 'queuePathMap' | 'queueBatchImages'>): QueueSettings {
  if (config.queueUrl === '') {
    throw new ConfigError('No queue configured: set SIS_QUEUE_URL=redis://host:6379 (and SIS_CATALOGUE_URL=postgres://...) to use embedding workers.');
  }
  if (config.catalogueUrl === '') {
    throw new ConfigError(
      'SIS_QUEUE_URL is set but SIS_CATALOGUE_URL is not: workers on other hosts commit to a shared catalogue, so the queue needs the PostgreSQL one (SIS_CATALOGUE_URL=postgres://...).',
    );
  }
  return { url: config.queueUrl, catalogueUrl: config.catalogueUrl, pathMap: config.queuePathMap, batchImages: config.queueBatchImages };
}

/** The path a worker reads a coordinator's file at: the longest matching prefix rewritten; unmapped paths unchanged. */
export function mapPath(file: string, mappings: readonly PathMapping[]): string {
  let best: PathMapping | undefined;
  for (const mapping of mappings) {
    const from = mapping.from.replace(/\/+$/, '');
    if ((file === from || file.startsWith(`${from}/`)) && (!best || from.length > best.from.replace(/\/+$/, '').length)) best = mapping;
  }
  if (!best) return file;
  const from = best.from.replace(/\/+$/, '');
  return path.join(best.to, file.slice(from.length));
}
