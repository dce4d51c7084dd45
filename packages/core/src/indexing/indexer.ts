import path from 'node:path';
import type { Embedder } from '../embedding';
import type { ClipPreprocessSpec, PreparedImage, SkipReason } from '../image';
import { ImageSkipError } from '../image';
import { readImageMetadata, type ImageMetadata } from '../metadata';
import { planReindex, type KnownFile } from './plan';
import { batchPrefetchLimits, prefetchMap } from './prefetch';
import { RateMeter, type ReindexProgress } from './progress';
import { assertScannableRoot, scanImages, scanOptionsOf, type ScannedFile, type ScanProblem } from './scan';

/** The part of the image library an indexer writes to (ImageLibrary satisfies it). */
export interface LibraryWriter {
  fileStates(): ReadonlyMap<string, KnownFile>;
  apply(changes: {
    upsertIndexed: { path: string; size: number; mtimeMs: number; width: number; height: number; embedding: Float32Array; metadata?: ImageMetadata }[];
    upsertSkipped: { path: string; size: number; mtimeMs: number; reason: string; message: string }[];
    removePaths: string[];
  }): void;
  /** Makes what was applied so far quick to reopen (the store decides what that takes). */
  checkpoint(): void;
  recordReindex(): void;
  /** Claims the folder's reindex across processes sharing the catalogue; throws while another holds it. */
  claimReindex?(root: string): { release(): void };
  /** Records the identity of unchanged files (rows from before it was kept). */
  recordFileIdentities?(files: readonly { path: string; device: string; inode: string }[]): void;
  /** Indexed files whose metadata (folder, type, EXIF...) has not been read: a reindex reads it without re-embedding. */
  pathsWithoutMetadata?(): string[];
  recordMetadata?(entries: readonly { path: string; metadata: ImageMetadata }[]): void;
  /** Resolves when background work started by earlier changes has finished; awaited before the final checkpoint. */
  settled?(): Promise<void>;
}

/**
 * file -> pixel values. Given `metadataRoot`, it may also read the file's metadata (DecodePool does, on its
 * worker): `metadata` null when unreadable; absent, the indexer reads it itself.
 */
export type PrepareImage = (file: string, spec: ClipPreprocessSpec, metadataRoot?: string) => Promise<PreparedImage & { readonly metadata?: ImageMetadata | null }>;

export interface SkippedFile {
  path: string;
  reason: SkipReason | ScanProblem['reason'];
  message: string;
}

/** Wall time spent in each stage, in milliseconds. Decoding overlaps inference, so they can add up to more than the total. */
export interface StageTimings {
  scanMs: number;
  decodeMs: number;
  /** Time inference waited for decoded images: near zero when decoding keeps up. */
  decodeWaitMs: number;
  inferenceMs: number;
  writeMs: number;
}

export interface ReindexSummary {
  root: string;
  seen: number;
  embedded: number;
  unchanged: number;
  /** Files skipped in this run, with reasons (new or changed bad files, unreadable folders). */
  skipped: SkippedFile[];
  /** Bad files skipped before and unchanged since (not retried). */
  unchangedSkipped: number;
  removed: number;
  elapsedMs: number;
  imagesPerSecond: number;
  timings: StageTimings;
  /** True when the run was stopped early; what was done is committed. */
  cancelled: boolean;
}

export interface IndexerSettings {
  imageExtensions: readonly string[];
  includeHidden: boolean;
  /** Follow symlinks that lead outside the indexed folder (SIS_FOLLOW_SYMLINKS). */
  followSymlinks?: boolean;
  batchSize: number;
  /** Commit to the catalogue after this many images, so a crash loses at most this much work. */
  checkpointImages: number;
  /** ...or after this many milliseconds, whichever comes first. */
  checkpointMs?: number;
  /** Requests the decode pool works on at once (default 2); at least two batches are requested ahead (batchPrefetchLimits). */
  decodeConcurrency?: number;
  /** Also rewrite image_index.faiss at a checkpoint when this long has passed since the last write, so readers opening mid-run need not rebuild it. */
  indexSaveMs?: number;
}

export interface ReindexOptions {
  onProgress?: (progress: ReindexProgress) => void;
  signal?: AbortSignal;
}

type Prepared = { file: ScannedFile; image: PreparedImage; metadata: ImageMetadata | undefined; ms: number } | { file: ScannedFile; skip: SkippedFile; ms: number };

/** scan -> plan -> decode (prefetched) -> embed (batched) -> store (checkpointed). */
export class Indexer {
  constructor(
    private readonly library: LibraryWriter,
    private readonly embedder: Embedder,
    private readonly prepareImage: PrepareImage,
    private readonly settings: IndexerSettings,
  ) {}

  async reindex(folder: string, options: ReindexOptions = {}): Promise<ReindexSummary> {
    const root = path.resolve(folder);
    await assertScannableRoot(root);
    const claim = this.library.claimReindex?.(root);
    try {
      return await this.reindexClaimed(root, options);
    } finally {
      claim?.release();
    }
  }

  private async reindexClaimed(root: string, options: ReindexOptions): Promise<ReindexSummary> {
    const startedAt = performance.now();
    const timings: StageTimings = { scanMs: 0, decodeMs: 0, decodeWaitMs: 0, inferenceMs: 0, writeMs: 0 };
    const progress: ReindexProgress = {
      phase: 'scanning', seen: 0, toEmbed: 0, embedded: 0, skipped: 0, removed: 0, unchanged: 0, imagesPerSecond: 0, etaSeconds: undefined,
    };
    const report = () => options.onProgress?.({ ...progress });
    report();

    const scan = await scanImages(root, scanOptionsOf(this.settings));
    timings.scanMs = performance.now() - startedAt;
    const skipped: SkippedFile[] = scan.problems.map((problem) => ({ ...problem }));
    const plan = planReindex(root, scan.files, this.library.fileStates());
    Object.assign(progress, {
      phase: 'embedding', seen: scan.files.length, toEmbed: plan.toEmbed.length, unchanged: plan.unchangedIndexed, skipped: skipped.length,
    });

    const write = (changes: Parameters<LibraryWriter['apply']>[0]) => {
      const writeStart = performance.now();
      this.library.apply(changes);
      timings.writeMs += performance.now() - writeStart;
    };
    if (plan.identityUpdates.length > 0) this.library.recordFileIdentities?.(plan.identityUpdates);
    if (plan.removed.length > 0) {
      write({ upsertIndexed: [], upsertSkipped: [], removePaths: plan.removed });
      progress.removed = plan.removed.length;
    }
    report();

    const cancelled = await this.embedAll(root, plan.toEmbed, progress, skipped, timings, write, report, options.signal);
    if (!cancelled) await this.backfillMetadata(root, options.signal);

    progress.phase = 'saving';
    report();
    const saveStart = performance.now();
    // Work the growth started (e.g. an index rebuilt for the new size) finishes first, so that it is what gets saved.
    if (!cancelled) await this.library.settled?.();
    this.library.checkpoint();
    if (!cancelled) this.library.recordReindex();
    timings.writeMs += performance.now() - saveStart;

    const elapsedMs = performance.now() - startedAt;
    progress.phase = 'done';
    progress.etaSeconds = 0;
    report();
    return {
      root,
      seen: scan.files.length,
      embedded: progress.embedded,
      unchanged: plan.unchangedIndexed,
      skipped,
      unchangedSkipped: plan.unchangedSkipped,
      removed: plan.removed.length,
      elapsedMs,
      imagesPerSecond: progress.embedded > 0 ? progress.embedded / ((performance.now() - startedAt - timings.scanMs) / 1000) : 0,
      timings,
      cancelled,
    };
  }

  /** Returns true when stopped by the signal. Everything embedded before that is committed. */
  /**
   * Reads the metadata of this folder's indexed files that lack it (embedded before it was recorded), from
   * their headers only: no decode, no model. Files that cannot be read keep no metadata (and are retried).
   */
  private async backfillMetadata(root: string, signal: AbortSignal | undefined): Promise<void> {
    if (!this.library.pathsWithoutMetadata || !this.library.recordMetadata) return;
    const inRoot = root.endsWith(path.sep) ? root : root + path.sep;
    const paths = this.library.pathsWithoutMetadata().filter((file) => file.startsWith(inRoot));
    const chunk = 500;
    for (let start = 0; start < paths.length && !signal?.aborted; start += chunk) {
      const read = await Promise.all(paths.slice(start, start + chunk).map(async (file) => ({ path: file, metadata: await readImageMetadata(file, root) })));
      this.library.recordMetadata(read.filter((entry): entry is { path: string; metadata: ImageMetadata } => entry.metadata !== undefined));
    }
  }

  private async embedAll(
    root: string,
    files: ScannedFile[],
    progress: ReindexProgress,
    skipped: SkippedFile[],
    timings: StageTimings,
    write: (changes: Parameters<LibraryWriter['apply']>[0]) => void,
    report: () => void,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    const { batchSize, checkpointImages } = this.settings;
    const checkpointMs = this.settings.checkpointMs ?? 30_000;
    const spec = this.embedder.preprocess;
    const meter = new RateMeter();
    meter.start();
    let pending: Parameters<LibraryWriter['apply']>[0] = { upsertIndexed: [], upsertSkipped: [], removePaths: [] };
    const indexSaveMs = this.settings.indexSaveMs ?? 120_000;
    let lastCommit = performance.now();
    let lastIndexSave = performance.now();
    const commit = () => {
      if (pending.upsertIndexed.length + pending.upsertSkipped.length === 0) return;
      write(pending);
      pending = { upsertIndexed: [], upsertSkipped: [], removePaths: [] };
      lastCommit = performance.now();
      if (lastCommit - lastIndexSave >= indexSaveMs) {
        this.library.checkpoint();
        lastIndexSave = performance.now();
        timings.writeMs += lastIndexSave - lastCommit;
      }
    };

    const prepare = async (file: ScannedFile): Promise<Prepared> => {
      const start = performance.now();
      try {
        // The header and EXIF block are read beside the decode, by the decode worker where there is one
        // (cheap, but the main thread is blocked while the model runs); a file without them is still indexed.
        const image = await this.prepareImage(file.path, spec, root);
        const metadata = image.metadata === undefined ? await readImageMetadata(file.path, root) : (image.metadata ?? undefined);
        return { file, image, metadata, ms: performance.now() - start };
      } catch (error) {
        const skip: SkippedFile =
          error instanceof ImageSkipError
            ? { path: file.path, reason: error.reason, message: error.message }
            : { path: file.path, reason: 'corrupt', message: (error as Error).message };
        return { file, skip, ms: performance.now() - start };
      }
    };

    let batch: { file: ScannedFile; image: PreparedImage; metadata: ImageMetadata | undefined }[] = [];
    const flushBatch = async () => {
      if (batch.length === 0) return;
      const inferenceStart = performance.now();
      const embeddings = await this.embedder.embedPixels(batch.map((entry) => entry.image.pixelValues));
      timings.inferenceMs += performance.now() - inferenceStart;
      batch.forEach(({ file, image, metadata }, i) => {
        pending.upsertIndexed.push({ ...file, width: image.width, height: image.height, embedding: embeddings[i]!, ...(metadata ? { metadata } : {}) });
      });
      progress.embedded += batch.length;
      batch = [];
      const done = progress.embedded + pending.upsertSkipped.length;
      progress.imagesPerSecond = meter.rate(progress.embedded);
      progress.etaSeconds = meter.eta(done, files.length);
      if (pending.upsertIndexed.length >= checkpointImages || performance.now() - lastCommit >= checkpointMs) commit();
      report();
    };

    let waitStart = performance.now();
    let cancelled = false;
    for await (const result of prefetchMap(files, batchPrefetchLimits(batchSize, this.settings.decodeConcurrency ?? 2), prepare)) {
      timings.decodeWaitMs += performance.now() - waitStart;
      timings.decodeMs += result.ms;
      if ('skip' in result) {
        skipped.push(result.skip);
        pending.upsertSkipped.push({ ...result.file, reason: result.skip.reason, message: result.skip.message });
        progress.skipped = skipped.length;
      } else {
        batch.push(result);
        if (batch.length >= batchSize) await flushBatch();
      }
      if (signal?.aborted) {
        cancelled = true;
        break;
      }
      waitStart = performance.now();
    }
    await flushBatch();
    commit();
    return cancelled;
  }
}
