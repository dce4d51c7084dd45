/**
 * Decoding on worker threads: each worker runs prepareClipImage (sharp decode + PIL-exact resize,
 * crop and normalisation) and hands the pixel values back without a copy. The main thread is left to
 * inference, which blocks it while the model runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ImageSkipError, type ClipPreprocessSpec, type ImageLimits, type PreparedImage, type SkipReason } from '../image';
import type { ImageMetadata } from '../metadata';

export interface DecodeRequest {
  id: number;
  path: string;
  spec: ClipPreprocessSpec;
  maxPixels: number;
  /** Also make the file's metadata from the decoded bytes (imageMetadataOfDecoded, folders relative to this root). */
  metadataRoot?: string;
}

export type DecodeReply =
  | { id: number; ok: true; pixelValues: Float32Array; width: number; height: number; metadata?: ImageMetadata | null }
  | { id: number; ok: false; reason?: SkipReason; message: string };

export interface DecodePoolOptions {
  /** Worker threads (>= 1). */
  threads: number;
  limits: ImageLimits;
  /** Requests each worker holds at once (default DECODE_REQUESTS_PER_THREAD). */
  perThread?: number;
  /** The compiled worker script (default: decodeWorker.js beside this module). */
  workerScript?: string;
}

/** Requests each worker holds at once by default: one image's JavaScript runs while sharp decodes the next. */
export const DECODE_REQUESTS_PER_THREAD = 2;

/**
 * A prepared image, with its metadata when it was asked for (imageMetadataOfDecoded, from the bytes and header
 * the worker decoded): null when it could not be made, absent when not asked for.
 */
export type PreparedWithMetadata = PreparedImage & { readonly metadata?: ImageMetadata | null };

interface Pending {
  resolve: (image: PreparedWithMetadata) => void;
  reject: (error: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  inFlight: number;
}

export class DecodePool {
  private readonly workers: PoolWorker[];
  private readonly pending = new Map<number, Pending & { worker: PoolWorker }>();
  private nextId = 0;
  private closed = false;
  readonly perThread: number;

  constructor(private readonly options: DecodePoolOptions) {
    if (!Number.isInteger(options.threads) || options.threads < 1) throw new RangeError(`decode threads must be >= 1, got ${options.threads}`);
    const script = options.workerScript ?? defaultWorkerScript();
    this.perThread = options.perThread ?? DECODE_REQUESTS_PER_THREAD;
    this.workers = Array.from({ length: options.threads }, () => this.startWorker(script));
  }

  get threads(): number {
    return this.workers.length;
  }

  /** Requests the pool can work on at once: what a prefetching consumer should keep in flight. */
  get capacity(): number {
    return this.workers.length * this.perThread;
  }

  /**
   * Same contract as prepareClipImage for a file path: rejects with ImageSkipError for bad files. With
   * `metadataRoot`, the worker also makes the file's metadata from the bytes it decoded: off the main thread,
   * which is blocked while the model runs, so that reading it does not delay the next batch.
   */
  prepare(file: string, spec: ClipPreprocessSpec, metadataRoot?: string): Promise<PreparedWithMetadata> {
    if (this.closed) return Promise.reject(new Error('the decode pool is closed'));
    const target = this.workers.reduce((best, candidate) => (candidate.inFlight < best.inFlight ? candidate : best));
    const id = this.nextId++;
    return new Promise<PreparedWithMetadata>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker: target });
      if (target.inFlight++ === 0) target.worker.ref();
      const request: DecodeRequest = { id, path: file, spec, maxPixels: this.options.limits.maxPixels, ...(metadataRoot !== undefined ? { metadataRoot } : {}) };
      target.worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map(({ worker }) => worker.terminate()));
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      pending.reject(new Error('the decode pool was closed'));
    }
  }

  private startWorker(script: string): PoolWorker {
    const entry: PoolWorker = { worker: new Worker(script), inFlight: 0 };
    // An idle pool must not keep the process alive; a busy one must.
    entry.worker.unref();
    entry.worker.on('message', (reply: DecodeReply) => this.settle(reply));
    entry.worker.on('error', (error: Error) => this.failWorker(entry, error));
    entry.worker.on('exit', (code) => {
      if (!this.closed) this.failWorker(entry, new Error(`a decode worker exited with code ${code}`));
    });
    return entry;
  }

  private settle(reply: DecodeReply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if (--pending.worker.inFlight === 0) pending.worker.worker.unref();
    if (reply.ok) {
      const { pixelValues, width, height, metadata } = reply;
      pending.resolve(metadata === undefined ? { pixelValues, width, height } : { pixelValues, width, height, metadata });
    }
    else pending.reject(reply.reason ? new ImageSkipError(reply.reason, reply.message) : new Error(reply.message));
  }

  /** A crashed worker fails its own requests and is replaced, so one bad file cannot stop a run. */
  private failWorker(entry: PoolWorker, error: Error): void {
    for (const [id, pending] of this.pending) {
      if (pending.worker !== entry) continue;
      this.pending.delete(id);
      pending.reject(error);
    }
    const index = this.workers.indexOf(entry);
    if (index < 0 || this.closed) return;
    entry.worker.removeAllListeners();
    void entry.worker.terminate();
    this.workers[index] = this.startWorker(this.options.workerScript ?? defaultWorkerScript());
  }
}

/**
 * decodeWorker.js beside this module; when this module runs from its TypeScript source (ts-jest), the
 * compiled one in the package's dist/ (a worker thread cannot load .ts).
 */
function defaultWorkerScript(): string {
  const candidates = [path.join(__dirname, 'decodeWorker.js'), path.resolve(__dirname, '../../dist/indexing/decodeWorker.js')];
  const found = candidates.find((candidate) => fs.existsSync(candidate));
  if (!found) throw new Error(`the decode worker script is missing (${candidates.join(' or ')}): build @sis/core first`);
  return found;
}
