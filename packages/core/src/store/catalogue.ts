import crypto from 'node:crypto';
import Database from 'better-sqlite3';
import { decodeEmbedding, encodeEmbedding } from './embeddingCodec';
import { CatalogueError, DEFAULT_PRECISION, type ModelIdentity } from './errors';
import type { CatalogueImage, IndexedImageInput, KnownFileState, CatalogueSkippedFile, SkippedFileInput, StoredImage } from './types';

export const CATALOGUE_FILE_NAME = 'catalogue.sqlite';
export const CATALOGUE_SCHEMA_VERSION = 1;

/** How long a statement waits for another connection's write lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

/**
 * 16 KiB pages: a 512-float embedding is 2 KiB, and with SQLite's default 4 KiB pages only one fits per page
 * (the file doubles in size). Only takes effect when the database is created.
 */
const PAGE_SIZE = 16384;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  schema_version INTEGER NOT NULL,
  -- Random, set at creation: ties image_index.json to this catalogue (generations restart in a recreated one).
  catalogue_id TEXT NOT NULL,
  model_name TEXT NOT NULL,
  dimension INTEGER NOT NULL CHECK (dimension > 0),
  precision TEXT NOT NULL DEFAULT 'fp32',
  generation INTEGER NOT NULL DEFAULT 0,
  last_reindex_at INTEGER
);
-- One row per file seen. Indexed rows have a position (their row in image_index.faiss) and one embedding;
-- skipped rows have neither, but keep why they were skipped so that an unchanged bad file is not retried.
-- AUTOINCREMENT: ids are never reused, so an id held by a reader or a client always means the same file.
CREATE TABLE IF NOT EXISTS images (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  path TEXT NOT NULL UNIQUE,
  size INTEGER NOT NULL,
  mtime_ms REAL NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('indexed', 'skipped')),
  width INTEGER,
  height INTEGER,
  position INTEGER,
  skip_reason TEXT,
  skip_message TEXT,
  processed_at INTEGER NOT NULL,
  CHECK (
    (status = 'indexed' AND position IS NOT NULL AND width IS NOT NULL AND height IS NOT NULL AND skip_reason IS NULL)
    OR (status = 'skipped' AND position IS NULL AND skip_reason IS NOT NULL)
  )
);
CREATE INDEX IF NOT EXISTS images_by_position ON images (position) WHERE position IS NOT NULL;
-- The vectors live apart from the rows: renumbering positions after a removal then rewrites small rows,
-- not every 2 KiB vector (10x faster on large libraries).
CREATE TABLE IF NOT EXISTS embeddings (
  image_id INTEGER PRIMARY KEY REFERENCES images (id) ON DELETE CASCADE,
  vector BLOB NOT NULL
);
`;

export interface CatalogueMeta extends ModelIdentity {
  precision: string;
  schemaVersion: number;
  catalogueId: string;
  generation: number;
  lastReindexAt: number | null;
}

/** The catalogue side of one LibraryChanges batch, already validated. */
export interface CatalogueChanges {
  upsertIndexed: readonly IndexedImageInput[];
  upsertSkipped: readonly SkippedFileInput[];
  removePaths: readonly string[];
}

/** What the vector index must do to follow a committed batch. */
export interface CommittedChanges {
  /** Positions whose vectors are gone, ascending: remove them (order-preserving compaction). */
  removedPositions: number[];
  /** Ids of the rows whose vectors are gone (removed, re-embedded or now skipped): the vector index's labels. */
  removedIds: number[];
  /** Ids of the rows whose vectors were appended, in position order (same order as upsertIndexed). */
  appendedIds: number[];
  indexedCount: number;
  generation: number;
}

interface MetaRow {
  schema_version: number;
  catalogue_id: string;
  model_name: string;
  dimension: number;
  /** Absent in catalogues made before the column existed (read-only connections cannot add it). */
  precision?: string;
  generation: number;
  last_reindex_at: number | null;
}

interface ImageRow {
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

interface StoredImageRow extends ImageRow {
  /** Null only in a damaged catalogue (an indexed row whose embedding is missing). */
  embedding: Buffer | null;
}

/**
 * File identity columns (issue 10): added to catalogues made before them by ALTER TABLE on the writer's open;
 * rows from before are NULL until the next reindex fills them. A reader of a catalogue no writer has upgraded
 * yet selects NULL in their place.
 */
const IDENTITY_COLUMNS = ['device', 'inode'] as const;

function imageColumns(hasIdentity: boolean): string {
  return `images.id, path, size, mtime_ms, width, height, processed_at, ${hasIdentity ? 'device, inode' : 'NULL AS device, NULL AS inode'}`;
}

/** The SQLite catalogue: one row per file plus a one-row meta table. All SQL lives here. */
export class Catalogue {
  private hasIdentity = false;

  private constructor(
    private readonly db: Database.Database,
    readonly filePath: string,
  ) {
    this.hasIdentity = this.identityColumnsExist();
  }

  /** Opens (creating the file if needed) without changing anything yet: the caller takes the writer lock first. */
  static openForWriting(filePath: string): Catalogue {
    const db = new Database(filePath);
    // Before anything else touches the file: a page size only applies while the database is still empty.
    db.pragma(`page_size = ${PAGE_SIZE}`);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('foreign_keys = ON');
    return new Catalogue(db, filePath);
  }

  /** Undefined if the file does not exist or has no schema yet (a writer is creating it). Never writes. */
  static openForReading(filePath: string): Catalogue | undefined {
    let db: Database.Database;
    try {
      db = new Database(filePath, { readonly: true, fileMustExist: true });
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CANTOPEN') return undefined;
      throw error;
    }
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const catalogue = new Catalogue(db, filePath);
    if (!catalogue.hasSchema()) {
      db.close();
      return undefined;
    }
    return catalogue;
  }

  /** An empty, schema-only catalogue in memory: what a reader sees before anything was indexed. */
  static empty(model: ModelIdentity): Catalogue {
    const catalogue = new Catalogue(new Database(':memory:'), ':memory:');
    catalogue.initialise(model);
    return catalogue;
  }

  /** Runs fn inside a write transaction: no other connection can write (or run this) meanwhile. */
  withExclusiveAccess<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** Runs fn in one read transaction, so that everything it reads comes from the same committed state. */
  snapshot<T>(fn: () => T): T {
    return this.db.transaction(fn).deferred();
  }

  /**
   * Writer setup: WAL (readers keep reading while the writer commits), FULL sync (a commit survives power
   * loss, so generations never go backwards and a saved index can never be mistaken for a newer state),
   * the schema, and the meta row on first use. Returns the meta as stored (the model of the first writer).
   */
  initialise(model: ModelIdentity): CatalogueMeta {
    if (this.filePath !== ':memory:') this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    return this.db
      .transaction(() => {
        const existing = this.hasSchema() ? this.readMeta() : undefined;
        if (existing) {
          // Catalogues from before precision was recorded: their vectors are fp32 (the only precision then).
          if (!this.metaHasPrecision()) this.db.exec(`ALTER TABLE meta ADD COLUMN precision TEXT NOT NULL DEFAULT '${DEFAULT_PRECISION}'`);
          this.addIdentityColumns();
          return existing;
        }
        this.db.exec(SCHEMA);
        this.addIdentityColumns();
        this.db
          .prepare('INSERT INTO meta (id, schema_version, catalogue_id, model_name, dimension, precision, generation) VALUES (1, ?, ?, ?, ?, ?, 0)')
          .run(CATALOGUE_SCHEMA_VERSION, crypto.randomUUID(), model.modelName, model.dimension, model.precision ?? DEFAULT_PRECISION);
        return this.requireMeta();
      })
      .immediate();
  }

  readMeta(): CatalogueMeta | undefined {
    const row = this.db
      .prepare<[], MetaRow>('SELECT * FROM meta WHERE id = 1')
      .get();
    if (!row) return undefined;
    if (row.schema_version > CATALOGUE_SCHEMA_VERSION) {
      throw new CatalogueError(
        `${this.filePath} was written by a newer version of this tool (catalogue schema ${row.schema_version}, ` +
          `this version reads up to ${CATALOGUE_SCHEMA_VERSION}): upgrade, or use another data directory.`,
      );
    }
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

  requireMeta(): CatalogueMeta {
    const meta = this.readMeta();
    if (!meta) throw new CatalogueError(`${this.filePath} has no meta row: it is not a catalogue of this tool.`);
    return meta;
  }

  generation(): number {
    return this.requireMeta().generation;
  }

  countIndexed(): number {
    return this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM images WHERE position IS NOT NULL').get()?.n ?? 0;
  }

  skippedCountsByReason(): Record<string, number> {
    const rows = this.db
      .prepare<[], { reason: string; n: number }>(
        "SELECT skip_reason AS reason, COUNT(*) AS n FROM images WHERE status = 'skipped' GROUP BY skip_reason ORDER BY skip_reason",
      )
      .all();
    return Object.fromEntries(rows.map((row) => [row.reason, row.n]));
  }

  fileStates(): Map<string, KnownFileState> {
    const states = new Map<string, KnownFileState>();
    const identity = this.hasIdentity ? 'device, inode' : 'NULL AS device, NULL AS inode';
    const rows = this.db
      .prepare<[], { path: string; size: number; mtime_ms: number; status: KnownFileState['status']; device: string | null; inode: string | null }>(
        `SELECT path, size, mtime_ms, status, ${identity} FROM images`,
      )
      .iterate();
    for (const row of rows) states.set(row.path, { size: row.size, mtimeMs: row.mtime_ms, status: row.status, ...identityOf(row) });
    return states;
  }

  /** Records the file identity of rows whose file is unchanged (rows from before identity was kept, or a remounted disk). */
  recordFileIdentities(files: readonly { path: string; device: string; inode: string }[]): void {
    if (!this.hasIdentity || files.length === 0) return;
    const update = this.db.prepare<[string, string, string], unknown>('UPDATE images SET device = ?, inode = ? WHERE path = ?');
    this.db.transaction(() => files.forEach((file) => update.run(file.device, file.inode, file.path))).immediate();
  }

  skipped(): CatalogueSkippedFile[] {
    return this.db
      .prepare<[], { id: number; path: string; size: number; mtime_ms: number; skip_reason: string; skip_message: string; processed_at: number }>(
        "SELECT id, path, size, mtime_ms, skip_reason, skip_message, processed_at FROM images WHERE status = 'skipped' ORDER BY path",
      )
      .all()
      .map((row) => ({
        id: row.id,
        path: row.path,
        size: row.size,
        mtimeMs: row.mtime_ms,
        reason: row.skip_reason,
        message: row.skip_message,
        skippedAt: row.processed_at,
      }));
  }

  getStoredImage(key: { path: string } | { id: number }, dimension: number): StoredImage | undefined {
    const sql = `SELECT ${imageColumns(this.hasIdentity)}, embeddings.vector AS embedding FROM images LEFT JOIN embeddings ON embeddings.image_id = images.id
      WHERE images.${'path' in key ? 'path' : 'id'} = ? AND position IS NOT NULL`;
    const row = this.db.prepare<[string | number], StoredImageRow>(sql).get('path' in key ? key.path : key.id);
    if (!row) return undefined;
    return { ...toCatalogueImage(row), embedding: this.decodeRowEmbedding(row, dimension) };
  }

  /** Indexed rows by id (ids that are gone or no longer indexed are simply absent). */
  getImagesByIds(ids: readonly number[]): Map<number, CatalogueImage> {
    const rows = this.db
      .prepare<[string], ImageRow>(
        `SELECT ${imageColumns(this.hasIdentity)} FROM images WHERE id IN (SELECT value FROM json_each(?)) AND position IS NOT NULL`,
      )
      .all(JSON.stringify(ids));
    return new Map(rows.map((row) => [row.id, toCatalogueImage(row)]));
  }

  /** Ids of the indexed rows in position order: entry i owns vector i of the index. */
  indexedIdsInPositionOrder(): number[] {
    return this.db
      .prepare<[], { id: number }>('SELECT id FROM images WHERE position IS NOT NULL ORDER BY position')
      .all()
      .map((row) => row.id);
  }

  /** Stored embeddings in position order, streamed (the whole set need not fit in JS memory twice). */
  *embeddingsInPositionOrder(dimension: number): Generator<Float32Array> {
    const rows = this.db
      .prepare<[], { id: number; path: string; embedding: Buffer | null }>(
        `SELECT images.id, path, embeddings.vector AS embedding FROM images LEFT JOIN embeddings ON embeddings.image_id = images.id
         WHERE position IS NOT NULL ORDER BY position`,
      )
      .iterate();
    for (const row of rows) yield this.decodeRowEmbedding(row, dimension);
  }

  /** Ids of the indexed rows, ascending (the vector index's labels). */
  indexedIds(): number[] {
    return this.db
      .prepare<[], { id: number }>('SELECT id FROM images WHERE position IS NOT NULL ORDER BY id')
      .all()
      .map((row) => row.id);
  }

  /**
   * Up to `limit` stored embeddings of indexed rows with id > afterId, by id: one self-contained query per
   * chunk, so a caller may await between chunks while other statements run on this connection.
   */
  embeddingChunk(afterId: number, limit: number, dimension: number): { ids: number[]; vectors: Float32Array } {
    const rows = this.db
      .prepare<[number, number], { id: number; path: string; embedding: Buffer | null }>(
        `SELECT images.id, path, embeddings.vector AS embedding FROM images LEFT JOIN embeddings ON embeddings.image_id = images.id
         WHERE images.id > ? AND position IS NOT NULL ORDER BY images.id LIMIT ?`,
      )
      .all(afterId, limit);
    const vectors = new Float32Array(rows.length * dimension);
    rows.forEach((row, i) => vectors.set(this.decodeRowEmbedding(row, dimension), i * dimension));
    return { ids: rows.map((row) => row.id), vectors };
  }

  /** The stored embeddings of the given indexed ids (those that are gone are left out), in the order given. */
  embeddingsByIds(ids: readonly number[], dimension: number): { ids: number[]; vectors: Float32Array } {
    const rows = this.db
      .prepare<[string], { id: number; path: string; embedding: Buffer | null }>(
        `SELECT images.id, images.path, embeddings.vector AS embedding FROM json_each(?) AS wanted
         JOIN images ON images.id = wanted.value LEFT JOIN embeddings ON embeddings.image_id = images.id
         WHERE position IS NOT NULL ORDER BY wanted.key`,
      )
      .all(JSON.stringify(ids));
    const vectors = new Float32Array(rows.length * dimension);
    rows.forEach((row, i) => vectors.set(this.decodeRowEmbedding(row, dimension), i * dimension));
    return { ids: rows.map((row) => row.id), vectors };
  }

  /** True when the indexed rows' positions are exactly 0..n-1 (what apply's renumbering relies on). */
  positionsAreContiguous(): boolean {
    const row = this.db
      .prepare<[], { n: number; distinct_n: number; low: number | null; high: number | null }>(
        'SELECT COUNT(*) AS n, COUNT(DISTINCT position) AS distinct_n, MIN(position) AS low, MAX(position) AS high FROM images WHERE position IS NOT NULL',
      )
      .get();
    if (!row || row.n === 0) return true;
    return row.distinct_n === row.n && row.low === 0 && row.high === row.n - 1;
  }

  /** Repair: renumbers positions 0..n-1 keeping their order, and bumps the generation (the saved index no longer applies). */
  renumberPositions(): void {
    this.db
      .transaction(() => {
        const update = this.db.prepare<[number, number], unknown>('UPDATE images SET position = ? WHERE id = ?');
        this.indexedIdsInPositionOrder().forEach((id, position) => update.run(position, id));
        this.bumpGeneration();
      })
      .immediate();
  }

  /**
   * One transaction: delete/replace rows, renumber the surviving vectors' positions (order-preserving, the
   * same compaction FAISS's removeIds does), append new vectors at the end, bump the generation if the
   * vectors changed. Checks the invariants before committing; on any error nothing is changed.
   */
  apply(changes: CatalogueChanges, now: number): CommittedChanges {
    return this.db
      .transaction((): CommittedChanges => {
        const indexedBefore = this.countIndexed();
        // Every path that loses its vector: removed, re-embedded, or now skipped.
        const rowOf = this.db.prepare<[string], { id: number; position: number | null }>('SELECT id, position FROM images WHERE path = ?');
        const deleteEmbedding = this.db.prepare<[number], unknown>('DELETE FROM embeddings WHERE image_id = ?');
        const removed = new Set<number>();
        const removedIds: number[] = [];
        let embeddingsDeleted = 0;
        const loseVector = (filePath: string): void => {
          const row = rowOf.get(filePath);
          if (row?.position === undefined || row.position === null) return;
          removed.add(row.position);
          removedIds.push(row.id);
          embeddingsDeleted += deleteEmbedding.run(row.id).changes;
        };
        changes.removePaths.forEach(loseVector);
        changes.upsertIndexed.forEach((image) => loseVector(image.path));
        changes.upsertSkipped.forEach((file) => loseVector(file.path));
        if (embeddingsDeleted !== removed.size) {
          throw new CatalogueError(`${removed.size - embeddingsDeleted} indexed rows had no stored embedding: the catalogue is damaged; nothing was committed.`);
        }
        const removedPositions = [...removed].sort((a, b) => a - b);

        const deleteRow = this.db.prepare<[string], unknown>('DELETE FROM images WHERE path = ?');
        for (const filePath of changes.removePaths) deleteRow.run(filePath);
        this.compactPositions(removedPositions);

        let nextPosition = indexedBefore - removedPositions.length;
        const upsertIndexed = this.db.prepare<[string, number, number, number, number, number, number], { id: number }>(
          `INSERT INTO images (path, size, mtime_ms, status, width, height, position, processed_at)
           VALUES (?, ?, ?, 'indexed', ?, ?, ?, ?)
           ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, status = 'indexed',
             width = excluded.width, height = excluded.height, position = excluded.position,
             skip_reason = NULL, skip_message = NULL, processed_at = excluded.processed_at
           RETURNING id`,
        );
        const insertEmbedding = this.db.prepare<[number, Buffer], unknown>('INSERT INTO embeddings (image_id, vector) VALUES (?, ?)');
        const setIdentity = this.db.prepare<[string | null, string | null, number], unknown>('UPDATE images SET device = ?, inode = ? WHERE id = ?');
        const appendedIds = changes.upsertIndexed.map((image) => {
          const row = upsertIndexed.get(image.path, image.size, image.mtimeMs, image.width, image.height, nextPosition++, now);
          if (!row) throw new CatalogueError(`Upserting ${image.path} returned no row id.`);
          if (this.hasIdentity) setIdentity.run(image.device ?? null, image.inode ?? null, row.id);
          insertEmbedding.run(row.id, encodeEmbedding(image.embedding));
          return row.id;
        });

        const upsertSkipped = this.db.prepare<[string, number, number, string, string, number], unknown>(
          `INSERT INTO images (path, size, mtime_ms, status, skip_reason, skip_message, processed_at)
           VALUES (?, ?, ?, 'skipped', ?, ?, ?)
           ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, status = 'skipped',
             width = NULL, height = NULL, position = NULL,
             skip_reason = excluded.skip_reason, skip_message = excluded.skip_message, processed_at = excluded.processed_at`,
        );
        const setIdentityByPath = this.db.prepare<[string | null, string | null, string], unknown>('UPDATE images SET device = ?, inode = ? WHERE path = ?');
        for (const file of changes.upsertSkipped) {
          upsertSkipped.run(file.path, file.size, file.mtimeMs, file.reason, file.message, now);
          if (this.hasIdentity) setIdentityByPath.run(file.device ?? null, file.inode ?? null, file.path);
        }

        const indexedCount = this.countIndexed();
        if (indexedCount !== nextPosition || !this.positionsAreContiguous()) {
          throw new CatalogueError(
            `Catalogue positions would be inconsistent after this change (${indexedCount} indexed rows, expected positions 0..${nextPosition - 1}); nothing was committed.`,
          );
        }
        const vectorsChanged = removedPositions.length > 0 || appendedIds.length > 0;
        if (vectorsChanged) this.bumpGeneration();
        return { removedPositions, removedIds, appendedIds, indexedCount, generation: this.generation() };
      })
      .immediate();
  }

  recordReindex(at: number): void {
    this.db.prepare<[number], unknown>('UPDATE meta SET last_reindex_at = ? WHERE id = 1').run(at);
  }

  close(): void {
    if (!this.db.open) return;
    if (!this.db.readonly && this.filePath !== ':memory:') {
      // Back to a rollback journal while no one writes: a WAL database cannot be opened from a
      // read-only folder (a backup, a read-only mount), a rollback-journal one can. The next writer
      // switches to WAL again. Fails harmlessly (stays WAL) while another connection reads.
      try {
        this.db.pragma('journal_mode = DELETE');
      } catch {
        // busy: keep WAL
      }
    }
    this.db.close();
  }

  private identityColumnsExist(): boolean {
    const columns = this.db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('images')").all();
    return IDENTITY_COLUMNS.every((name) => columns.some((column) => column.name === name));
  }

  /** Writers only, inside initialise's transaction: ALTER TABLE guarded by a column check (idempotent). */
  private addIdentityColumns(): void {
    const columns = new Set(this.db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('images')").all().map((column) => column.name));
    for (const name of IDENTITY_COLUMNS) if (!columns.has(name)) this.db.exec(`ALTER TABLE images ADD COLUMN ${name} TEXT`);
    this.hasIdentity = true;
  }

  private hasSchema(): boolean {
    return this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() !== undefined;
  }

  private metaHasPrecision(): boolean {
    return this.db.prepare<[], { name: string }>('PRAGMA table_info(meta)').all().some((column) => column.name === 'precision');
  }

  private bumpGeneration(): void {
    this.db.prepare('UPDATE meta SET generation = generation + 1 WHERE id = 1').run();
  }

  /** Shifts every surviving position down by the number of removed positions below it (one UPDATE per moved row). */
  private compactPositions(removedPositions: readonly number[]): void {
    const lowest = removedPositions[0];
    if (lowest === undefined) return;
    const rowsAbove = this.db
      .prepare<[number], { id: number; position: number }>(
        'SELECT id, position FROM images WHERE position > ? ORDER BY position',
      )
      .all(lowest);
    const update = this.db.prepare<[number, number], unknown>('UPDATE images SET position = ? WHERE id = ?');
    let removedBelow = 1;
    for (const row of rowsAbove) {
      while (removedBelow < removedPositions.length && (removedPositions[removedBelow] ?? Infinity) < row.position) removedBelow++;
      // Rows sitting at a removed position are being replaced (upserts): their position is rewritten below.
      if (removedPositions[removedBelow] === row.position) continue;
      update.run(row.position - removedBelow, row.id);
    }
  }

  private decodeRowEmbedding(row: { id: number; path: string; embedding: Buffer | null }, dimension: number): Float32Array {
    const vector = row.embedding ? decodeEmbedding(row.embedding, dimension) : undefined;
    if (!vector) {
      const found = row.embedding ? `has ${row.embedding.byteLength} bytes, expected ${dimension * 4}` : 'is missing';
      throw new CatalogueError(`The stored embedding of ${row.path} (id ${row.id}) ${found}: the catalogue is damaged.`);
    }
    return vector;
  }
}

function toCatalogueImage(row: ImageRow): CatalogueImage {
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

/** Device and inode when recorded; nothing for rows from before they were (the fields stay absent). */
function identityOf(row: { device: string | null; inode: string | null }): { device?: string; inode?: string } {
  return row.device !== null && row.inode !== null ? { device: row.device, inode: row.inode } : {};
}
