import type { Embedder } from '../embedding';
import type { ClipPreprocessSpec, PreparedImage } from '../image';
import { ImageSkipError } from '../image';
import type { SkippedFile } from '../indexing';
import { batchPrefetchLimits, prefetchMap } from '../indexing/prefetch';
import type { IndexedImageInput, SkippedFileInput } from '../store';
import type { EmbedBatchJob, QueuedFile } from './jobs';
import { mapPath, type PathMapping } from './settings';

/** Reads and preprocesses one file (a decode pool, or prepareClipImage in this thread). */
export type ReadImage = (file: string, spec: ClipPreprocessSpec) => Promise<PreparedImage>;

/** Where a worker commits each batch: one transaction, upserts keyed by path (a retried batch never duplicates a row). */
export interface BatchWriter {
  commit(changes: { upsertIndexed: IndexedImageInput[]; upsertSkipped: SkippedFileInput[] }): void | Promise<void>;
  /** The run is complete: record when the catalogue was last reindexed. */
  recordReindex(): void | Promise<void>;
}

export interface BatchEmbedderSettings {
  /** Images per inference call (SIS_BATCH_SIZE). */
  inferenceBatch: number;
  /** Images decoded at once while the model runs. */
  decodeConcurrency: number;
  /** Prefix rewrites for a host that mounts the folders elsewhere (SIS_QUEUE_PATH_MAP). */
  pathMap: readonly PathMapping[];
}

export interface BatchResult {
  embedded: number;
  skipped: SkippedFile[];
  timings: { decodeMs: number; inferenceMs: number; writeMs: number };
}

/**
 * One queued batch: read (through the path mapping), decode, embed, commit, composed by injection (reader,
 * embedder, writer) so that a spec can run it with fakes. A file that cannot be read or decoded is committed as
 * skipped with its typed reason (never retried while unchanged); anything else fails the batch, which the queue retries.
 */
export class BatchEmbedder {
  constructor(
    private readonly read: ReadImage,
    private readonly embedder: Embedder,
    private readonly writer: BatchWriter,
    private readonly settings: BatchEmbedderSettings,
  ) {}

  async process(job: EmbedBatchJob): Promise<BatchResult> {
    const timings = { decodeMs: 0, inferenceMs: 0, writeMs: 0 };
    const spec = this.embedder.preprocess;
    const upsertIndexed: IndexedImageInput[] = [];
    const upsertSkipped: SkippedFileInput[] = [];
    const skipped: SkippedFile[] = [];

    type Read = { file: QueuedFile; image: PreparedImage } | { file: QueuedFile; skip: SkippedFile };
    const readOne = async (file: QueuedFile): Promise<Read> => {
      const start = performance.now();
      try {
        return { file, image: await this.read(mapPath(file.path, this.settings.pathMap), spec) };
      } catch (error) {
        // Paths in skip records are the catalogue's (coordinator's), whatever this host calls them.
        const skip: SkippedFile =
          error instanceof ImageSkipError
            ? { path: file.path, reason: error.reason, message: error.message }
            : { path: file.path, reason: 'corrupt', message: (error as Error).message };
        return { file, skip };
      } finally {
        timings.decodeMs += performance.now() - start;
      }
    };

    let pending: { file: QueuedFile; image: PreparedImage }[] = [];
    const embedPending = async () => {
      if (pending.length === 0) return;
      const start = performance.now();
      const vectors = await this.embedder.embedPixels(pending.map((entry) => entry.image.pixelValues));
      timings.inferenceMs += performance.now() - start;
      pending.forEach(({ file, image }, i) => {
        upsertIndexed.push({ ...file, width: image.width, height: image.height, embedding: vectors[i]! });
      });
      pending = [];
    };

    const options = batchPrefetchLimits(this.settings.inferenceBatch, this.settings.decodeConcurrency);
    for await (const result of prefetchMap(job.files, options, readOne)) {
      if ('skip' in result) {
        skipped.push(result.skip);
        upsertSkipped.push({ ...result.file, reason: result.skip.reason, message: result.skip.message });
      } else {
        pending.push(result);
        if (pending.length >= this.settings.inferenceBatch) await embedPending();
      }
    }
    await embedPending();

    const writeStart = performance.now();
    await this.writer.commit({ upsertIndexed, upsertSkipped });
    timings.writeMs = performance.now() - writeStart;
    return { embedded: upsertIndexed.length, skipped, timings };
  }
}
