import crypto from 'node:crypto';
import Database from 'better-sqlite3';
import type { Catalogue, CatalogueChanges, CatalogueMeta, ChangesSince, CommittedChanges, EmbeddingRows } from './catalogue';
import { decodeRowEmbedding, IMAGE_COLUMNS, IMAGE_COLUMNS_WITHOUT_IDENTITY, INDEXED, toCatalogueImage, toEmbeddingRows, toCatalogueMeta, toSkippedFile, toFileState, SKIPPED_COLUMNS, type EmbeddingRow, type FileStateRow, type ImageRow, type MetaRow, type SkippedRow } from './catalogueRows';
import { encodeEmbedding } from './embeddingCodec';
import { CatalogueError, DEFAULT_PRECISION, type ModelIdentity } from './errors';
import { FILTERABLE_COLUMNS, METADATA_COLUMN_NAMES, metadataValues, toFilterableImage, type FilterableImage, type FilterableRow } from './metadataRows';
import type { ImageMetadata } from '../metadata';
import { LATEST_SCHEMA_VERSION, migrate, refuseNewerSchema, schemaVersionOf } from './sqliteMigrations';
import { SqliteModelStaging } from './sqliteStaging';
import type { CatalogueImage, KnownFileState, CatalogueSkippedFile, StoredImage } from './types';

export const CATALOGUE_FILE_NAME = 'catalogue.sqlite';

/** How long a statement waits for another connection's write lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

/**
 * 16 KiB pages: a 512-float embedding is 2 KiB, and with SQLite's default 4 KiB pages only one fits per page
 * (the file doubles in size). Only takes effect when the database is created.
 */
const PAGE_SIZE = 16384;





/** The SQLite catalogue (catalogue.sqlite in the data directory). All its SQL lives here and in sqliteMigrations.ts. */
export class SqliteCatalogue implements Catalogue {
  private constructor(
    private readonly db: Database.Database,
    readonly filePath: string,
    readonly writable: boolean,
  ) {}

  /** Schema 2 has device and inode; a reader of schema 1 (not migrated yet) selects NULL for them. */
  private get imageColumns(): string {
    return schemaVersionOf(this.db) >= 2 ? IMAGE_COLUMNS : IMAGE_COLUMNS_WITHOUT_IDENTITY;
  }

  get location(): string {
    return this.filePath;
  }

  get staging(): SqliteModelStaging {
    return new SqliteModelStaging(this.db, this.filePath, () => schemaVersionOf(this.db) >= 4);
  }

  /** Opens (creating the file if needed) without changing anything yet: the caller takes the writer lock first. */
  static openForWriting(filePath: string): SqliteCatalogue {
    const db = new Database(filePath);
    // Before anything else touches the file: a page size only applies while the database is still empty.
    db.pragma(`page_size = ${PAGE_SIZE}`);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('foreign_keys = ON');
    return new SqliteCatalogue(db, filePath, true);
  }

  /**
   * Undefined if the file does not exist or has no schema yet (a writer is creating it). Never writes; reads
   * schema 1 (from before versioned migrations) as well, without its change log.
   */
  static openForReading(filePath: string): SqliteCatalogue | undefined {
    let db: Database.Database;
    try {
      db = new Database(filePath, { readonly: true, fileMustExist: true });
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CANTOPEN') return undefined;
      throw error;
    }
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const catalogue = new SqliteCatalogue(db, filePath, false);
    if (schemaVersionOf(db) === 0) {
      db.close();
      return undefined;
    }
    return catalogue;
  }

  /** An empty, schema-only catalogue in memory: what a reader sees before anything was indexed. */
  static empty(model: ModelIdentity): SqliteCatalogue {
    const catalogue = new SqliteCatalogue(new Database(':memory:'), ':memory:', true);
    catalogue.initialise(model);
    return catalogue;
  }

  /** Runs fn inside a write transaction: no other connection can write (or run this) meanwhile. */
  withExclusiveAccess<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  snapshot<T>(fn: () => T): T {
    return this.db.transaction(fn).deferred();
  }

  /**
   * Writer setup: WAL (readers keep reading while the writer commits), FULL sync (a commit survives power
   * loss, so generations never go backwards and a saved index can never be mistaken for a newer state),
   * the schema migrated to the latest, and the meta row on first use.
   */
  initialise(model: ModelIdentity): CatalogueMeta {
    if (this.filePath !== ':memory:') this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    migrate(this.db, this.filePath);
    return this.db
      .transaction(() => {
        const existing = this.readMeta();
        if (existing) return existing;
        this.db
          .prepare('INSERT INTO meta (id, schema_version, catalogue_id, model_name, dimension, precision, generation) VALUES (1, ?, ?, ?, ?, ?, 0)')
          .run(LATEST_SCHEMA_VERSION, crypto.randomUUID(), model.modelName, model.dimension, model.precision ?? DEFAULT_PRECISION);
        return this.readMeta()!;
      })
      .immediate();
  }

  readMeta(): CatalogueMeta | undefined {
    refuseNewerSchema(schemaVersionOf(this.db), this.filePath);
    const row = this.db
      .prepare<[], MetaRow>('SELECT * FROM meta WHERE id = 1')
      .get();
    if (!row) return undefined;
    return toCatalogueMeta(row);
  }

  countIndexed(): number {
    return this.db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM images WHERE ${INDEXED}`).get()?.n ?? 0;
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
    const rows = this.db
      .prepare<[], FileStateRow>(`SELECT path, size, mtime_ms, status, ${schemaVersionOf(this.db) >= 2 ? 'device, inode' : 'NULL AS device, NULL AS inode'} FROM images`)
      .iterate();
    for (const row of rows) states.set(row.path, toFileState(row));
    return states;
  }

  skipped(): CatalogueSkippedFile[] {
    return this.db
      .prepare<[], SkippedRow>(
        `SELECT ${SKIPPED_COLUMNS} FROM images WHERE status = 'skipped' ORDER BY path`,
      )
      .all()
      .map(toSkippedFile);
  }

  getStoredImage(key: { path: string } | { id: number }, dimension: number): StoredImage | undefined {
    const sql = `SELECT ${this.imageColumns}, embeddings.vector AS embedding FROM images LEFT JOIN embeddings ON embeddings.image_id = images.id
      WHERE images.${'path' in key ? 'path' : 'id'} = ? AND ${INDEXED}`;
    const row = this.db.prepare<[string | number], ImageRow & EmbeddingRow>(sql).get('path' in key ? key.path : key.id);
    if (!row) return undefined;
    return { ...toCatalogueImage(row), embedding: decodeRowEmbedding(row, dimension) };
  }

  getImagesByIds(ids: readonly number[]): Map<number, CatalogueImage> {
    const rows = this.db
      .prepare<[string], ImageRow>(`SELECT ${this.imageColumns} FROM images WHERE id IN (SELECT value FROM json_each(?)) AND ${INDEXED}`)
      .all(JSON.stringify(ids));
    return new Map(rows.map((row) => [row.id, toCatalogueImage(row)]));
  }

  indexedImagesChunk(afterId: number, limit: number): CatalogueImage[] {
    return this.db
      .prepare<[number, number], ImageRow>(`SELECT ${this.imageColumns} FROM images WHERE id > ? AND ${INDEXED} ORDER BY id LIMIT ?`)
      .all(afterId, limit)
      .map(toCatalogueImage);
  }

  indexedIds(): number[] {
    return this.db
      .prepare<[], { id: number }>(`SELECT id FROM images WHERE ${INDEXED} ORDER BY id`)
      .all()
      .map((row) => row.id);
  }

  embeddingChunk(afterId: number, limit: number, dimension: number): EmbeddingRows {
    const rows = this.db
      .prepare<[number, number], EmbeddingRow>(
        `SELECT images.id, path, embeddings.vector AS embedding FROM images LEFT JOIN embeddings ON embeddings.image_id = images.id
         WHERE images.id > ? AND ${INDEXED} ORDER BY images.id LIMIT ?`,
      )
      .all(afterId, limit);
    return toEmbeddingRows(rows, dimension);
  }

  embeddingsByIds(ids: readonly number[], dimension: number): EmbeddingRows {
    const rows = this.db
      .prepare<[string], EmbeddingRow>(
        `SELECT images.id, images.path, embeddings.vector AS embedding FROM json_each(?) AS wanted
         JOIN images ON images.id = wanted.value LEFT JOIN embeddings ON embeddings.image_id = images.id
         WHERE ${INDEXED} ORDER BY wanted.key`,
      )
      .all(JSON.stringify(ids));
    return toEmbeddingRows(rows, dimension);
  }

  changesSince(sequence: number, dimension: number): ChangesSince | undefined {
    return this.snapshot(() => {
      // Schema 1 (a reader of a catalogue not yet migrated) has no log: callers rebuild.
      if (schemaVersionOf(this.db) < 2) return undefined;
      const meta = this.db.prepare<[], { generation: number; log_starts_at: number }>('SELECT generation, log_starts_at FROM meta WHERE id = 1').get();
      if (!meta || sequence < meta.log_starts_at || sequence > meta.generation) return undefined;
      const rows = this.db
        .prepare<[number], EmbeddingRow & { indexed: number }>(
          `SELECT changes.image_id AS id, images.path, embeddings.vector AS embedding, images.status = 'indexed' AS indexed
           FROM changes LEFT JOIN images ON images.id = changes.image_id LEFT JOIN embeddings ON embeddings.image_id = changes.image_id
           WHERE changes.generation > ? ORDER BY changes.image_id`,
        )
        .all(sequence);
      const upserted = rows.filter((row) => row.indexed === 1);
      return {
        generation: meta.generation,
        indexedCount: this.countIndexed(),
        removedIds: rows.filter((row) => row.indexed !== 1).map((row) => row.id),
        upserted: toEmbeddingRows(upserted, dimension),
      };
    });
  }

  /**
   * One transaction: delete/replace rows, store the new embeddings, bump the generation and log the ids if
   * the vectors changed. Checks the invariants before committing; on any error nothing is changed.
   */
  apply(changes: CatalogueChanges, now: number): CommittedChanges {
    return this.db
      .transaction((): CommittedChanges => {
        const previousGeneration = this.readMeta()?.generation ?? 0;
        const indexedBefore = this.countIndexed();
        // Every path that loses its vector: removed, re-embedded, or now skipped.
        const rowOf = this.db.prepare<[string], { id: number; status: string }>('SELECT id, status FROM images WHERE path = ?');
        const deleteEmbedding = this.db.prepare<[number], unknown>('DELETE FROM embeddings WHERE image_id = ?');
        const removedIds: number[] = [];
        let embeddingsDeleted = 0;
        const loseVector = (filePath: string): void => {
          const row = rowOf.get(filePath);
          if (row?.status !== 'indexed') return;
          removedIds.push(row.id);
          embeddingsDeleted += deleteEmbedding.run(row.id).changes;
        };
        changes.removePaths.forEach(loseVector);
        changes.upsertIndexed.forEach((image) => loseVector(image.path));
        changes.upsertSkipped.forEach((file) => loseVector(file.path));
        if (embeddingsDeleted !== removedIds.length) {
          throw new CatalogueError(`${removedIds.length - embeddingsDeleted} indexed rows had no stored embedding: the catalogue is damaged; nothing was committed.`);
        }

        const deleteRow = this.db.prepare<[string], unknown>('DELETE FROM images WHERE path = ?');
        for (const filePath of changes.removePaths) deleteRow.run(filePath);

        const upsertIndexed = this.db.prepare<[string, number, number, number, number, number, string | null, string | null], { id: number }>(
          `INSERT INTO images (path, size, mtime_ms, status, width, height, processed_at, device, inode)
           VALUES (?, ?, ?, 'indexed', ?, ?, ?, ?, ?)
           ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, status = 'indexed',
             width = excluded.width, height = excluded.height, device = excluded.device, inode = excluded.inode,
             skip_reason = NULL, skip_message = NULL, processed_at = excluded.processed_at
           RETURNING id`,
        );
        const insertEmbedding = this.db.prepare<[number, Buffer], unknown>('INSERT INTO embeddings (image_id, vector) VALUES (?, ?)');
        // Re-embedded files lose the metadata of their old content (a later reindex reads it when absent here).
        const setMetadata = this.db.prepare<(string | number | null)[], unknown>(
          `UPDATE images SET ${METADATA_COLUMN_NAMES.map((name) => `${name} = ?`).join(', ')} WHERE id = ?`,
        );
        const noMetadata = METADATA_COLUMN_NAMES.map(() => null);
        const appendedIds = changes.upsertIndexed.map((image) => {
          const row = upsertIndexed.get(image.path, image.size, image.mtimeMs, image.width, image.height, now, image.device ?? null, image.inode ?? null);
          if (!row) throw new CatalogueError(`Upserting ${image.path} returned no row id.`);
          setMetadata.run(...(image.metadata ? metadataValues(image.metadata, now) : noMetadata), row.id);
          insertEmbedding.run(row.id, encodeEmbedding(image.embedding));
          return row.id;
        });

        const upsertSkipped = this.db.prepare<[string, number, number, string, string, number, string | null, string | null], unknown>(
          `INSERT INTO images (path, size, mtime_ms, status, skip_reason, skip_message, processed_at, device, inode)
           VALUES (?, ?, ?, 'skipped', ?, ?, ?, ?, ?)
           ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, status = 'skipped',
             width = NULL, height = NULL, device = excluded.device, inode = excluded.inode,
             skip_reason = excluded.skip_reason, skip_message = excluded.skip_message, processed_at = excluded.processed_at`,
        );
        for (const file of changes.upsertSkipped) upsertSkipped.run(file.path, file.size, file.mtimeMs, file.reason, file.message, now, file.device ?? null, file.inode ?? null);

        const indexedCount = this.countIndexed();
        if (indexedCount !== indexedBefore - removedIds.length + appendedIds.length) {
          throw new CatalogueError(
            `The catalogue would hold ${indexedCount} indexed rows after this change, expected ${indexedBefore - removedIds.length + appendedIds.length}; nothing was committed.`,
          );
        }
        let generation = previousGeneration;
        if (removedIds.length > 0 || appendedIds.length > 0) {
          generation = previousGeneration + 1;
          this.db.prepare<[number], unknown>('UPDATE meta SET generation = ? WHERE id = 1').run(generation);
          const log = this.db.prepare<[number, number], unknown>(
            'INSERT INTO changes (image_id, generation) VALUES (?, ?) ON CONFLICT (image_id) DO UPDATE SET generation = excluded.generation',
          );
          for (const id of new Set([...removedIds, ...appendedIds])) log.run(id, generation);
        }
        return { previousGeneration, generation, removedIds, appendedIds, indexedCount };
      })
      .immediate();
  }

  recordFileIdentities(files: readonly { path: string; device: string; inode: string }[]): void {
    if (files.length === 0) return;
    const update = this.db.prepare<[string, string, string], unknown>('UPDATE images SET device = ?, inode = ? WHERE path = ?');
    this.db.transaction(() => files.forEach((file) => update.run(file.device, file.inode, file.path))).immediate();
  }

  filterableImages(): FilterableImage[] {
    // A reader of a catalogue not yet migrated to schema 3 has no metadata columns: nothing is filterable yet.
    const columns = schemaVersionOf(this.db) >= 3 ? FILTERABLE_COLUMNS : `id, mtime_ms, width, height, ${METADATA_COLUMN_NAMES.map((name) => `NULL AS ${name}`).join(', ')}`;
    return this.db.prepare<[], FilterableRow>(`SELECT ${columns} FROM images WHERE ${INDEXED} ORDER BY id`).all().map(toFilterableImage);
  }

  filterableImagesByIds(ids: readonly number[]): FilterableImage[] {
    if (ids.length === 0) return [];
    const columns = schemaVersionOf(this.db) >= 3 ? FILTERABLE_COLUMNS : `id, mtime_ms, width, height, ${METADATA_COLUMN_NAMES.map((name) => `NULL AS ${name}`).join(', ')}`;
    return this.db
      .prepare<[string], FilterableRow>(`SELECT ${columns} FROM images WHERE id IN (SELECT value FROM json_each(?)) AND ${INDEXED}`)
      .all(JSON.stringify(ids))
      .map(toFilterableImage);
  }

  pathsWithoutMetadata(): string[] {
    if (schemaVersionOf(this.db) < 3) return this.db.prepare<[], { path: string }>(`SELECT path FROM images WHERE ${INDEXED} ORDER BY path`).all().map((row) => row.path);
    return this.db
      .prepare<[], { path: string }>(`SELECT path FROM images WHERE ${INDEXED} AND metadata_read_at IS NULL ORDER BY path`)
      .all()
      .map((row) => row.path);
  }

  recordMetadata(entries: readonly { path: string; metadata: ImageMetadata }[], now: number): void {
    if (entries.length === 0) return;
    const update = this.db.prepare<(string | number | null)[], unknown>(
      `UPDATE images SET ${METADATA_COLUMN_NAMES.map((name) => `${name} = ?`).join(', ')} WHERE path = ? AND ${INDEXED}`,
    );
    this.db.transaction(() => entries.forEach((entry) => update.run(...metadataValues(entry.metadata, now), entry.path))).immediate();
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
}
