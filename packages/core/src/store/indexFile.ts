import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { removeQuietly, renameDurably, temporaryPathFor, writeFileAtomic } from './atomicFile';
import { IndexSaveError } from './errors';
import { VectorIndex } from './vectorIndex';

/**
 * image_index.faiss and its sidecar image_index.json. The sidecar says which catalogue state the index file
 * holds (catalogue id, generation, count, dimension) and carries the file's SHA-256, so that an index file that is stale,
 * half-replaced or damaged is never loaded: it is rebuilt from the catalogue instead. The checksum also keeps
 * damaged bytes away from FAISS's reader, which can abort the process on some corrupt headers.
 */

export const INDEX_FILE_NAME = 'image_index.faiss';
export const INDEX_SIDECAR_FILE_NAME = 'image_index.json';

const SIDECAR_FORMAT_VERSION = 1;
/** Room kept free on the disk beyond the index file itself when saving. */
const FREE_SPACE_MARGIN_BYTES = 16 * 1024 * 1024;
/** Generous upper bound of FAISS's IndexFlat header, for the free-space estimate. */
const INDEX_HEADER_BYTES = 1024;
const HASH_READ_BYTES = 8 * 1024 * 1024;

export interface IndexSidecar {
  formatVersion: number;
  catalogueId: string;
  generation: number;
  ntotal: number;
  dimension: number;
  sha256: string;
  savedAt: string;
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

export type IndexLoadResult = { index: VectorIndex } | { rebuildReason: string };

export function indexFilePaths(dataDir: string): { indexPath: string; sidecarPath: string } {
  return { indexPath: path.join(dataDir, INDEX_FILE_NAME), sidecarPath: path.join(dataDir, INDEX_SIDECAR_FILE_NAME) };
}

/**
 * Atomically replaces image_index.faiss, then its sidecar. A crash between the two leaves a new index with the
 * old sidecar: the checksum no longer matches, so the next open rebuilds. Nothing is replaced on failure.
 */
export function saveIndexFiles(dataDir: string, index: VectorIndex, version: CatalogueVersion): void {
  const { indexPath, sidecarPath } = indexFilePaths(dataDir);
  const tempPath = temporaryPathFor(indexPath);
  const expectedDataBytes = index.size * index.dimension * 4;
  try {
    // FAISS's write() aborts the process when it cannot open or fill the file: make sure it can, first.
    fs.closeSync(fs.openSync(tempPath, 'wx'));
    ensureFreeSpace(dataDir, expectedDataBytes + INDEX_HEADER_BYTES);
    index.write(tempPath);
    const fd = fs.openSync(tempPath, 'r+');
    let sha256: string;
    try {
      const size = fs.fstatSync(fd).size;
      if (size < expectedDataBytes) throw new IndexSaveError(`Writing ${indexPath} produced ${size} bytes, expected at least ${expectedDataBytes}.`);
      sha256 = hashFile(fd);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    renameDurably(tempPath, indexPath);
    const sidecar: IndexSidecar = {
      formatVersion: SIDECAR_FORMAT_VERSION,
      catalogueId: version.catalogueId,
      generation: version.generation,
      ntotal: index.size,
      dimension: index.dimension,
      sha256,
      savedAt: new Date().toISOString(),
    };
    writeFileAtomic(sidecarPath, `${JSON.stringify(sidecar, null, 2)}\n`);
  } catch (error) {
    removeQuietly(tempPath);
    if (error instanceof IndexSaveError) throw error;
    throw new IndexSaveError(`Could not save ${indexPath}: ${(error as Error).message}`, { cause: error });
  }
}

/** Loads image_index.faiss if the sidecar vouches for it and it matches the expected catalogue state. */
export function loadIndexFile(dataDir: string, expected: ExpectedIndexState): IndexLoadResult {
  const { indexPath, sidecarPath } = indexFilePaths(dataDir);
  const sidecar = readSidecar(sidecarPath);
  if (typeof sidecar === 'string') return { rebuildReason: sidecar };
  if (sidecar.catalogueId !== expected.catalogueId) return { rebuildReason: 'the saved index belongs to another catalogue' };
  if (sidecar.generation !== expected.generation) {
    return { rebuildReason: `the saved index is from catalogue generation ${sidecar.generation}, the catalogue is at ${expected.generation}` };
  }
  if (sidecar.ntotal !== expected.ntotal || sidecar.dimension !== expected.dimension) {
    return {
      rebuildReason: `the saved index holds ${sidecar.ntotal} vectors of dimension ${sidecar.dimension}, the catalogue ${expected.ntotal} of dimension ${expected.dimension}`,
    };
  }

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
    if (hashFile(fd) !== sidecar.sha256) return { rebuildReason: `${INDEX_FILE_NAME} does not match its checksum` };
    let index: VectorIndex;
    try {
      index = VectorIndex.read(indexPath, expected.dimension);
    } catch (error) {
      return { rebuildReason: `${INDEX_FILE_NAME} cannot be read: ${(error as Error).message}` };
    }
    const current = statOrUndefined(indexPath);
    if (!current || current.ino !== opened.ino || current.dev !== opened.dev) {
      return { rebuildReason: `${INDEX_FILE_NAME} was replaced while it was being loaded` };
    }
    if (index.size !== expected.ntotal) {
      return { rebuildReason: `${INDEX_FILE_NAME} holds ${index.size} vectors, the catalogue ${expected.ntotal}` };
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
  const { formatVersion, catalogueId, generation, ntotal, dimension, sha256, savedAt } = fields;
  if (formatVersion !== SIDECAR_FORMAT_VERSION) return `${INDEX_SIDECAR_FILE_NAME} has an unknown format version`;
  const isText = (field: unknown): field is string => typeof field === 'string';
  if (!isText(catalogueId) || !isCount(generation) || !isCount(ntotal) || !isCount(dimension) || !isText(sha256) || !isText(savedAt)) {
    return `${INDEX_SIDECAR_FILE_NAME} is incomplete`;
  }
  return { formatVersion, catalogueId, generation, ntotal, dimension, sha256, savedAt };
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
