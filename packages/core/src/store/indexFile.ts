import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { removeQuietly, renameDurably, temporaryPathFor, writeFileAtomic } from './atomicFile';
import { IndexSaveError } from './errors';
import { kindOfFactory, type IndexDescriptor } from './indexPlan';
import { VectorIndex } from './vectorIndex';

/**
 * image_index.faiss and its sidecar image_index.json. The sidecar says which catalogue state the index file
 * holds (catalogue id, generation, count, dimension) and carries the file's SHA-256, so that an index file that is stale,
 * half-replaced or damaged is never loaded: it is rebuilt from the catalogue instead. The checksum also keeps
 * damaged bytes away from FAISS's reader, which can abort the process on some corrupt headers.
 *
 * Format 2 adds the index descriptor (factory string, what it was built for, tuned search parameters): the
 * file holds catalogue ids as FAISS labels. Format 1 files (a positional IndexFlatIP) are rebuilt.
 */

export const INDEX_FILE_NAME = 'image_index.faiss';
export const INDEX_SIDECAR_FILE_NAME = 'image_index.json';

const SIDECAR_FORMAT_VERSION = 2;
/** Room kept free on the disk beyond the index file itself when saving. */
const FREE_SPACE_MARGIN_BYTES = 16 * 1024 * 1024;
const HASH_READ_BYTES = 8 * 1024 * 1024;

export interface IndexSidecar {
  formatVersion: number;
  catalogueId: string;
  generation: number;
  ntotal: number;
  dimension: number;
  sha256: string;
  savedAt: string;
  index: IndexDescriptor;
}

/** Which committed catalogue state an index holds. */
export interface CatalogueVersion {
  catalogueId: string;
  generation: number;
}

/** The catalogue state a loaded index must match. */
export interface ExpectedIndexState extends CatalogueVersion {
  ntotal: number;
  dimension: number;
}

export type IndexLoadResult =
  | { index: VectorIndex; descriptor: IndexDescriptor }
  | {
      rebuildReason: string;
      /**
       * The saved index when it is intact but stale (another generation of the same catalogue) and trained:
       * its training (IVF centroids, quantiser ranges) can be reused instead of training again.
       */
      stale?: { index: VectorIndex; descriptor: IndexDescriptor; generation: number };
    };

export interface LoadIndexOptions {
  /** Memory-map IVF lists (read-only index): for readers. */
  mmap?: boolean;
  /** Also hand back an intact index of an earlier generation of any kind (it is brought forward by the change log). */
  keepStale?: boolean;
}

export function indexFilePaths(dataDir: string): { indexPath: string; sidecarPath: string } {
  return { indexPath: path.join(dataDir, INDEX_FILE_NAME), sidecarPath: path.join(dataDir, INDEX_SIDECAR_FILE_NAME) };
}

/**
 * Atomically replaces image_index.faiss, then its sidecar. A crash between the two leaves a new index with the
 * old sidecar: the checksum no longer matches, so the next open rebuilds. Nothing is replaced on failure.
 */
export function saveIndexFiles(dataDir: string, index: VectorIndex, version: CatalogueVersion, descriptor: IndexDescriptor): void {
  const { indexPath, sidecarPath } = indexFilePaths(dataDir);
  const tempPath = temporaryPathFor(indexPath);
  const expectedBytes = index.info().serializedBytes;
  try {
    // Check that the file can be created and filled first (the unpatched binding aborted the process when it could not).
    fs.closeSync(fs.openSync(tempPath, 'wx'));
    ensureFreeSpace(dataDir, expectedBytes);
    index.write(tempPath);
    const fd = fs.openSync(tempPath, 'r+');
    let sha256: string;
    try {
      const size = fs.fstatSync(fd).size;
      if (size !== expectedBytes) throw new IndexSaveError(`Writing ${indexPath} produced ${size} bytes, expected ${expectedBytes}.`);
      sha256 = hashFile(fd);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    moveAsideIfNotAFile(indexPath);
    renameDurably(tempPath, indexPath);
    const sidecar: IndexSidecar = {
      formatVersion: SIDECAR_FORMAT_VERSION,
      catalogueId: version.catalogueId,
      generation: version.generation,
      ntotal: index.size,
      dimension: index.dimension,
      sha256,
      savedAt: new Date().toISOString(),
      index: descriptor,
    };
    writeFileAtomic(sidecarPath, `${JSON.stringify(sidecar, null, 2)}\n`);
  } catch (error) {
    removeQuietly(tempPath);
    if (error instanceof IndexSaveError) throw error;
    throw new IndexSaveError(`Could not save ${indexPath}: ${(error as Error).message}`, { cause: error });
  }
}

/** Loads image_index.faiss if the sidecar vouches for it and it matches the expected catalogue state. */
export function loadIndexFile(dataDir: string, expected: ExpectedIndexState, options: LoadIndexOptions = {}): IndexLoadResult {
  const sidecar = readSidecar(indexFilePaths(dataDir).sidecarPath);
  if (typeof sidecar === 'string') return { rebuildReason: sidecar };
  if (sidecar.catalogueId !== expected.catalogueId) return { rebuildReason: 'the saved index belongs to another catalogue' };
  if (sidecar.dimension !== expected.dimension) {
    return { rebuildReason: `the saved index holds vectors of dimension ${sidecar.dimension}, the catalogue ${expected.dimension}` };
  }
  let staleReason: string | undefined;
  if (sidecar.generation !== expected.generation) {
    staleReason = `the saved index is from catalogue generation ${sidecar.generation}, the catalogue is at ${expected.generation}`;
  } else if (sidecar.ntotal !== expected.ntotal) {
    staleReason = `the saved index holds ${sidecar.ntotal} vectors, the catalogue ${expected.ntotal}`;
  }
  if (staleReason === undefined) {
    const loaded = readVerified(dataDir, sidecar, expected.dimension, options);
    if ('rebuildReason' in loaded) return loaded;
    if (loaded.index.size !== expected.ntotal) {
      return { rebuildReason: `${INDEX_FILE_NAME} holds ${loaded.index.size} vectors, the catalogue ${expected.ntotal}` };
    }
    return { index: loaded.index, descriptor: sidecar.index };
  }
  // Stale: worth reading for its training (minutes to redo on a large collection), or, when the caller can
  // bring it forward by the change log, for everything it holds.
  const forward = options.keepStale === true && sidecar.generation < expected.generation;
  if (sidecar.index.kind !== 'ivf' && !forward) return { rebuildReason: staleReason };
  const loaded = readVerified(dataDir, sidecar, expected.dimension, {});
  if ('rebuildReason' in loaded || (!forward && !loaded.index.isTrained) || (forward && loaded.index.size !== sidecar.ntotal)) return { rebuildReason: staleReason };
  return { rebuildReason: staleReason, stale: { index: loaded.index, descriptor: sidecar.index, generation: sidecar.generation } };
}

/** Reads image_index.faiss if it matches the sidecar's checksum. */
function readVerified(dataDir: string, sidecar: IndexSidecar, dimension: number, options: LoadIndexOptions): { index: VectorIndex } | { rebuildReason: string } {
  const { indexPath } = indexFilePaths(dataDir);

  let fd: number;
  try {
    fd = fs.openSync(indexPath, 'r');
  } catch (error) {
    return { rebuildReason: `${INDEX_FILE_NAME} cannot be opened (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  try {
    // Hash through our descriptor, then let FAISS read by path, then check the path still names the inode we
    // hashed: a writer renaming a newer index into place meanwhile cannot slip in unchecked bytes.
    const opened = fs.fstatSync(fd);
    if (!opened.isFile()) return { rebuildReason: `${INDEX_FILE_NAME} is not a regular file` };
    if (hashFile(fd) !== sidecar.sha256) return { rebuildReason: `${INDEX_FILE_NAME} does not match its checksum` };
    let index: VectorIndex;
    try {
      index = VectorIndex.read(indexPath, dimension, { mmap: options.mmap === true });
    } catch (error) {
      return { rebuildReason: `${INDEX_FILE_NAME} cannot be read: ${(error as Error).message}` };
    }
    const current = statOrUndefined(indexPath);
    if (!current || current.ino !== opened.ino || current.dev !== opened.dev) {
      return { rebuildReason: `${INDEX_FILE_NAME} was replaced while it was being loaded` };
    }
    if (index.info().description !== sidecar.index.description) {
      return { rebuildReason: `${INDEX_FILE_NAME} holds a ${index.info().description} index, its sidecar says ${sidecar.index.description}` };
    }
    return { index };
  } finally {
    fs.closeSync(fd);
  }
}

/** The sidecar, or why it cannot be used. */
function readSidecar(sidecarPath: string): IndexSidecar | string {
  let text: string;
  try {
    text = fs.readFileSync(sidecarPath, 'utf8');
  } catch {
    return `${INDEX_SIDECAR_FILE_NAME} is missing`;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `${INDEX_SIDECAR_FILE_NAME} is not valid JSON`;
  }
  if (typeof value !== 'object' || value === null) return `${INDEX_SIDECAR_FILE_NAME} is not an object`;
  const fields = value as Record<string, unknown>;
  const isCount = (field: unknown): field is number => typeof field === 'number' && Number.isSafeInteger(field) && field >= 0;
  const { formatVersion, catalogueId, generation, ntotal, dimension, sha256, savedAt, index } = fields;
  if (formatVersion === 1) return `${INDEX_SIDECAR_FILE_NAME} is from an earlier version (a positional flat index)`;
  if (formatVersion !== SIDECAR_FORMAT_VERSION) return `${INDEX_SIDECAR_FILE_NAME} has an unknown format version`;
  const isText = (field: unknown): field is string => typeof field === 'string';
  if (!isText(catalogueId) || !isCount(generation) || !isCount(ntotal) || !isCount(dimension) || !isText(sha256) || !isText(savedAt)) {
    return `${INDEX_SIDECAR_FILE_NAME} is incomplete`;
  }
  const descriptor = readDescriptor(index);
  if (!descriptor) return `${INDEX_SIDECAR_FILE_NAME} does not describe its index`;
  return { formatVersion, catalogueId, generation, ntotal, dimension, sha256, savedAt, index: descriptor };
}

function readDescriptor(value: unknown): IndexDescriptor | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { factory, description, builtFor, searchParams, measuredRecall, measuredRecallByKind, searchParamsByKind, targetRecall, reason } = value as Record<string, unknown>;
  if (typeof factory !== 'string' || factory === '' || typeof description !== 'string' || typeof builtFor !== 'number' || !Number.isSafeInteger(builtFor) || builtFor < 0) return undefined;
  if (typeof searchParams !== 'object' || searchParams === null) return undefined;
  const params: Record<string, number> = {};
  for (const [name, param] of Object.entries(searchParams)) {
    if (typeof param !== 'number' || !Number.isFinite(param)) return undefined;
    params[name] = param;
  }
  if (!(measuredRecall === null || typeof measuredRecall === 'number') || typeof targetRecall !== 'number') return undefined;
  return {
    factory,
    description,
    kind: kindOfFactory(factory),
    builtFor,
    searchParams: params,
    measuredRecall,
    ...recallByKindOf(measuredRecallByKind),
    ...paramsByKindOf(searchParamsByKind),
    targetRecall,
    reason: typeof reason === 'string' ? reason : '',
  };
}

/** The per-kind search parameters of a sidecar (absent in older ones: every query then uses searchParams). */
function paramsByKindOf(value: unknown): Pick<IndexDescriptor, 'searchParamsByKind'> {
  if (typeof value !== 'object' || value === null) return {};
  const byKind: NonNullable<IndexDescriptor['searchParamsByKind']> = {};
  for (const kind of ['image', 'text'] as const) {
    const params = (value as Record<string, unknown>)[kind];
    if (typeof params !== 'object' || params === null) continue;
    const entries = Object.entries(params);
    if (entries.every(([, param]) => typeof param === 'number' && Number.isFinite(param))) byKind[kind] = Object.fromEntries(entries) as Record<string, number>;
  }
  return { searchParamsByKind: byKind };
}

/** The per-kind recalls of a sidecar (written since they were measured; older sidecars have none). */
function recallByKindOf(value: unknown): Pick<IndexDescriptor, 'measuredRecallByKind'> {
  if (typeof value !== 'object' || value === null) return {};
  const byKind: NonNullable<IndexDescriptor['measuredRecallByKind']> = {};
  for (const kind of ['image', 'text'] as const) {
    const recall = (value as Record<string, unknown>)[kind];
    if (typeof recall === 'number' && Number.isFinite(recall)) byKind[kind] = recall;
  }
  return { measuredRecallByKind: byKind };
}

/** A folder (or other non-file) where the index file belongs cannot be renamed over: it is kept, renamed aside. */
function moveAsideIfNotAFile(indexPath: string): void {
  let stats: fs.Stats;
  try {
    stats = fs.lstatSync(indexPath);
  } catch {
    return;
  }
  if (stats.isFile() || stats.isSymbolicLink()) return;
  fs.renameSync(indexPath, `${indexPath}.not-a-file-${Date.now()}`);
}

function hashFile(fd: number): string {
  const hash = crypto.createHash('sha256');
  const buffer = Buffer.allocUnsafe(HASH_READ_BYTES);
  let offset = 0;
  for (;;) {
    const read = fs.readSync(fd, buffer, 0, buffer.length, offset);
    if (read === 0) break;
    hash.update(buffer.subarray(0, read));
    offset += read;
  }
  return hash.digest('hex');
}

function ensureFreeSpace(dir: string, bytes: number): void {
  let available: number;
  try {
    const stats = fs.statfsSync(dir);
    available = stats.bavail * stats.bsize;
  } catch {
    return; // Not supported here: go ahead.
  }
  if (available < bytes + FREE_SPACE_MARGIN_BYTES) {
    throw new IndexSaveError(
      `Not enough free disk space in ${dir} to save the index: ${formatMiB(bytes)} needed (plus ${formatMiB(FREE_SPACE_MARGIN_BYTES)} kept free), ${formatMiB(available)} available. The catalogue is safe; free some space and run again.`,
    );
  }
}

function formatMiB(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

function statOrUndefined(filePath: string): fs.Stats | undefined {
  try {
    return fs.statSync(filePath);
  } catch {
    return undefined;
  }
}
