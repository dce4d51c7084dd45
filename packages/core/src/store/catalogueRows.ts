import { decodeEmbedding } from './embeddingCodec';
import { CatalogueError, DEFAULT_PRECISION } from './errors';
import type { CatalogueImage, CatalogueSkippedFile, KnownFileState } from './types';
import type { CatalogueMeta, EmbeddingRows } from './catalogue';

/** Rows as both catalogue implementations select them (same column names in SQLite and PostgreSQL). */

export interface ImageRow {
  id: number;
  path: string;
  size: number;
  mtime_ms: number;
  width: number;
  height: number;
  processed_at: number;
  device: string | null;
  inode: string | null;
}

export interface EmbeddingRow {
  id: number;
  path: string;
  /** Null only in a damaged catalogue (an indexed row whose embedding is missing). */
  embedding: Uint8Array | null;
}

export const IMAGE_COLUMNS = 'images.id, path, size, mtime_ms, width, height, processed_at, device, inode';
/** Schema 1 of the SQLite catalogue (read, not yet migrated) may lack the identity columns. */
export const IMAGE_COLUMNS_WITHOUT_IDENTITY = 'images.id, path, size, mtime_ms, width, height, processed_at, NULL AS device, NULL AS inode';
export const INDEXED = "status = 'indexed'";

export function toCatalogueImage(row: ImageRow): CatalogueImage {
  return {
    id: row.id,
    path: row.path,
    size: row.size,
    mtimeMs: row.mtime_ms,
    width: row.width,
    height: row.height,
    indexedAt: row.processed_at,
    ...identityOf(row),
  };
}

export function toEmbeddingRows(rows: readonly EmbeddingRow[], dimension: number): EmbeddingRows {
  const vectors = new Float32Array(rows.length * dimension);
  rows.forEach((row, i) => vectors.set(decodeRowEmbedding(row, dimension), i * dimension));
  return { ids: rows.map((row) => row.id), vectors };
}

/** The vector of a row as the catalogue stored it; a missing or wrongly sized one means the catalogue is damaged. */
export function decodeRowEmbedding(row: EmbeddingRow, dimension: number): Float32Array {
  const vector = row.embedding ? decodeEmbedding(row.embedding, dimension) : undefined;
  if (!vector) {
    const found = row.embedding ? `has ${row.embedding.byteLength} bytes, expected ${dimension * 4}` : 'is missing';
    throw new CatalogueError(`The stored embedding of ${row.path} (id ${row.id}) ${found}: the catalogue is damaged.`);
  }
  return vector;
}

export interface MetaRow {
  schema_version: number;
  catalogue_id: string;
  model_name: string;
  dimension: number;
  /** Absent in SQLite catalogues of schema 1 read as they are (made before precision was recorded: fp32). */
  precision?: string;
  generation: number;
  last_reindex_at: number | null;
}



export function toCatalogueMeta(row: MetaRow): CatalogueMeta {
  return {
    schemaVersion: row.schema_version,
    catalogueId: row.catalogue_id,
    modelName: row.model_name,
    dimension: row.dimension,
    precision: row.precision ?? DEFAULT_PRECISION,
    generation: row.generation,
    lastReindexAt: row.last_reindex_at,
  };
}

export interface SkippedRow {
  id: number;
  path: string;
  size: number;
  mtime_ms: number;
  skip_reason: string;
  skip_message: string;
  processed_at: number;
}

export const SKIPPED_COLUMNS = 'id, path, size, mtime_ms, skip_reason, skip_message, processed_at';

export function toSkippedFile(row: SkippedRow): CatalogueSkippedFile {
  return { id: row.id, path: row.path, size: row.size, mtimeMs: row.mtime_ms, reason: row.skip_reason, message: row.skip_message, skippedAt: row.processed_at };
}

export interface FileStateRow {
  path: string;
  size: number;
  mtime_ms: number;
  status: KnownFileState['status'];
  device: string | null;
  inode: string | null;
}

export function toFileState(row: FileStateRow): KnownFileState {
  return { size: row.size, mtimeMs: row.mtime_ms, status: row.status, ...identityOf(row) };
}

/** Device and inode when recorded; nothing for rows from before they were (the fields stay absent). */
function identityOf(row: { device: string | null; inode: string | null }): { device?: string; inode?: string } {
  return row.device !== null && row.inode !== null ? { device: row.device, inode: row.inode } : {};
}
