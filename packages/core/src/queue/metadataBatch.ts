import type { ImageMetadata } from '../metadata';
import type { BatchWriter, ReadMetadata } from './batchEmbedder';
import type { MetadataBatchJob } from './jobs';
import { mapPath, type PathMapping } from './settings';

export interface MetadataBatchResult {
  /** Files whose metadata is recorded now. */
  read: number;
  /** Files whose header could not be read: they stay without metadata (a later reindex tries again). */
  unreadable: number;
}

/**
 * One metadata batch of a queued reindex: each file's header read through the path mapping (the folder relative to
 * the mapped root, so the same on every host) and the metadata recorded under the catalogue paths, in one
 * statement. No decode, no model; recording twice writes the same values, so a retried batch is harmless.
 */
export class MetadataBatchReader {
  constructor(
    private readonly readMetadata: ReadMetadata,
    private readonly writer: Pick<BatchWriter, 'recordMetadata'>,
    private readonly pathMap: readonly PathMapping[],
  ) {}

  async process(job: MetadataBatchJob): Promise<MetadataBatchResult> {
    const localRoot = mapPath(job.root, this.pathMap);
    const read = await Promise.all(job.files.map(async (file) => ({ path: file, metadata: await this.readMetadata(mapPath(file, this.pathMap), localRoot) })));
    const entries = read.filter((entry): entry is { path: string; metadata: ImageMetadata } => entry.metadata !== undefined);
    await this.writer.recordMetadata(entries);
    return { read: entries.length, unreadable: job.files.length - entries.length };
  }
}
