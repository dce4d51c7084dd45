import type { Embedder } from '../embedding';
import type { ClipPreprocessSpec, PreparedImage } from '../image';
import { ImageSkipError } from '../image';
import type { SkippedFile } from '../indexing';
import type { ImageMetadata } from '../metadata';
import { batchPrefetchLimits, prefetchMap } from '../indexing/prefetch';
import type { IndexedImageInput, SkippedFileInput } from '../store';
import type { EmbedBatchJob, QueuedFile } from './jobs';
import { mapPath, type PathMapping } from './settings';

/**
 * Reads and preprocesses one file (a decode pool, or prepareClipImage in this thread). Given
 * `metadataRoot` it may read the metadata too (the decode pool does, on its worker): `metadata` null when
 * unreadable; absent, the metadata reader runs.
 */
export type ReadImage = (file: string, spec: ClipPreprocessSpec, metadataRoot?: string) => Promise<PreparedImage & { readonly metadata?: ImageMetadata | null }>;

/** Reads a file's metadata (folder relative to root, type, EXIF) from its header; undefined when unreadable. */
export type ReadMetadata = (file: string, root: string) => Promise<ImageMetadata | undefined>;

/** Where a worker commits each batch: one transaction, upserts keyed by path (a retried batch never duplicates a row). */
export interface BatchWriter {
  commit(changes: { upsertIndexed: IndexedImageInput[]; upsertSkipped: SkippedFileInput[] }): void | Promise<void>;
  /** Records the metadata of indexed rows (keyed by path) without touching their vectors; unknown paths are ignored. */
  recordMetadata(entries: readonly { path: string; metadata: ImageMetadata }[]): void | Promise<void>;
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
 * embedder, writer, and optionally a metadata reader, so that filters work on what workers index) so that a
 * spec can run it with fakes. A file that cannot be read or decoded is committed as
 * skipped with its typed reason (never retried while unchanged); anything else fails the batch, which the queue retries.
 */
export class BatchEmbedder {
  constructor(
    private readonly read: ReadImage,
    private readonly embedder: Embedder,
    private readonly writer: BatchWriter,
    private readonly settings: BatchEmbedderSettings,
    private readonly readMetadata?: ReadMetadata,
  ) {}

  async process(job: EmbedBatchJob): Promise<BatchResult> {
    const timings = { decodeMs: 0, inferenceMs: 0, writeMs: 0 };
    const spec = this.embedder.preprocess;
    const upsertIndexed: IndexedImageInput[] = [];
    const upsertSkipped: SkippedFileInput[] = [];
    const skipped: SkippedFile[] = [];

    type Embeddable = { file: QueuedFile; image: PreparedImage; metadata: ImageMetadata | undefined };
    type Read = Embeddable | { file: QueuedFile; skip: SkippedFile };
    // The folder is recorded relative to the root, so both go through the mapping: the same on every host.
    const localRoot = mapPath(job.root, this.settings.pathMap);
    const readOne = async (file: QueuedFile): Promise<Read> => {
      const start = performance.now();
      const localPath = mapPath(file.path, this.settings.pathMap);
      try {
        const image = await this.read(localPath, spec, this.readMetadata ? localRoot : undefined);
        const metadata = image.metadata !== undefined ? (image.metadata ?? undefined) : await this.readMetadata?.(localPath, localRoot);
        return { file, image, metadata };
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

    let pending: Embeddable[] = [];
    const embedPending = async () => {
      if (pending.length === 0) return;
      const start = performance.now();
      const vectors = await this.embedder.embedPixels(pending.map((entry) => entry.image.pixelValues));
      timings.inferenceMs += performance.now() - start;
      pending.forEach(({ file, image, metadata }, i) => {
        upsertIndexed.push({ ...file, width: image.width, height: image.height, embedding: vectors[i]!, ...(metadata ? { metadata } : {}) });
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
