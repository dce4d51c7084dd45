import crypto from 'node:crypto';
import os from 'node:os';
import type { Catalogue, CatalogueChanges, CatalogueMeta, ChangesSince, CommittedChanges, EmbeddingRows } from './catalogue';
import { decodeRowEmbedding, IMAGE_COLUMNS, INDEXED, toCatalogueImage, toEmbeddingRows, toCatalogueMeta, toSkippedFile, toFileState, SKIPPED_COLUMNS, type EmbeddingRow, type FileStateRow, type ImageRow, type MetaRow, type SkippedRow } from './catalogueRows';
import { encodeEmbedding } from './embeddingCodec';
import { CatalogueError, DEFAULT_PRECISION, ReindexClaimLostError, ReindexRunningError, type ModelIdentity } from './errors';
import { FILTERABLE_COLUMNS, toFilterableImage, type FilterableImage, type FilterableRow } from './metadataRows';
import type { ImageMetadata } from '../metadata';
import { pgMigrate, pgRefuseNewerSchema, pgSchemaVersion, PG_LATEST_SCHEMA_VERSION } from './postgresMigrations';
import { PostgresModelStaging } from './postgresStaging';
import { redactUrl, SyncPostgres } from './syncPostgres';
import type { CatalogueImage, CatalogueSkippedFile, KnownFileState, StoredImage } from './types';

/** A number as SQL text, for statements that take no parameters (COPY): only integers at least `min` pass. */
function sqlInteger(value: number, min: number): string {
  if (!Number.isSafeInteger(value) || value < min) throw new CatalogueError(`Expected an integer of at least ${min}, got ${value}.`);
  return String(value);
}

/** The channel every vector-changing commit notifies (payload: its generation), for replicas to wake on. */
export const CHANGES_CHANNEL = 'sis_catalogue_changes';

/**
 * The catalogue in PostgreSQL (SIS_CATALOGUE_URL): the same rows and change log as the SQLite catalogue, in
 * the schema `sis`. Any number of processes on any hosts may read and write it: every commit locks the meta
 * row first, so commits (and their generations) are serialised, and followers see generations in order.
 */
export class PostgresCatalogue implements Catalogue {
  readonly location: string;
  /** Reindex claims held, by folder, with the server session (backend pid) whose advisory lock they are. */
  private readonly claims = new Map<string, { key: string; backendPid: number }>();

  private constructor(
    private readonly pg: SyncPostgres,
    url: string,
    readonly writable: boolean,
  ) {
    this.location = redactUrl(url);
  }

  /** Connects (lazily: the first statement opens the connection). Nothing is created before initialise(). */
  static connect(url: string, options: { writable: boolean; timeoutMs?: number; applicationName?: string }): PostgresCatalogue {
    const pg = new SyncPostgres({
      connectionString: url,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.applicationName !== undefined ? { applicationName: options.applicationName } : {}),
    });
    return new PostgresCatalogue(pg, url, options.writable);
  }

  get staging(): PostgresModelStaging {
    return new PostgresModelStaging(this.pg, this.location, CHANGES_CHANNEL);
  }

  /** The connection, for what lives beside the catalogue (advisory locks). */
  get connection(): SyncPostgres {
    return this.pg;
  }

  initialise(model: ModelIdentity): CatalogueMeta {
    pgMigrate(this.pg, this.location);
    return this.pg.transaction(() => {
      const existing = this.readMeta();
      if (existing) return existing;
      this.pg.query(
        'INSERT INTO sis.meta (id, schema_version, catalogue_id, model_name, dimension, precision) VALUES (1, $1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING',
        [PG_LATEST_SCHEMA_VERSION, crypto.randomUUID(), model.modelName, model.dimension, model.precision ?? DEFAULT_PRECISION],
      );
      return this.readMeta()!;
    });
  }

  readMeta(): CatalogueMeta | undefined {
    const version = pgSchemaVersion(this.pg);
    if (version === 0) return undefined;
    pgRefuseNewerSchema(version, this.location);
    const row = this.pg.query<MetaRow>(
      'SELECT * FROM sis.meta WHERE id = 1',
    ).rows[0];
    if (!row) return undefined;
    return toCatalogueMeta(row);
  }

  countIndexed(): number {
    return this.pg.query<{ n: number }>(`SELECT COUNT(*)::bigint AS n FROM sis.images WHERE ${INDEXED}`).rows[0]?.n ?? 0;
  }

  skippedCountsByReason(): Record<string, number> {
    const rows = this.pg.query<{ reason: string; n: number }>(
      "SELECT skip_reason AS reason, COUNT(*)::bigint AS n FROM sis.images WHERE status = 'skipped' GROUP BY skip_reason ORDER BY skip_reason",
    ).rows;
    return Object.fromEntries(rows.map((row) => [row.reason, row.n]));
  }

  fileStates(): Map<string, KnownFileState> {
    const rows = this.pg.query<FileStateRow>('SELECT path, size, mtime_ms, status, device, inode FROM sis.images').rows;
    return new Map(rows.map((row) => [row.path, toFileState(row)]));
  }

  skipped(): CatalogueSkippedFile[] {
    return this.pg
      .query<SkippedRow>(
        `SELECT ${SKIPPED_COLUMNS} FROM sis.images WHERE status = 'skipped' ORDER BY path COLLATE "C"`,
      )
      .rows.map(toSkippedFile);
  }

  getStoredImage(key: { path: string } | { id: number }, dimension: number): StoredImage | undefined {
    const row = this.pg.query<ImageRow & EmbeddingRow>(
      `SELECT ${IMAGE_COLUMNS}, embeddings.vector AS embedding FROM sis.images AS images LEFT JOIN sis.embeddings AS embeddings ON embeddings.image_id = images.id
       WHERE images.${'path' in key ? 'path' : 'id'} = $1 AND ${INDEXED}`,
      ['path' in key ? key.path : key.id],
    ).rows[0];
    if (!row) return undefined;
    return { ...toCatalogueImage(row), embedding: decodeRowEmbedding(row, dimension) };
  }

  getImagesByIds(ids: readonly number[]): Map<number, CatalogueImage> {
    const rows = this.pg.query<ImageRow>(`SELECT ${IMAGE_COLUMNS} FROM sis.images AS images WHERE id = ANY($1::bigint[]) AND ${INDEXED}`, [ids]).rows;
    return new Map(rows.map((row) => [row.id, toCatalogueImage(row)]));
  }

  indexedImagesChunk(afterId: number, limit: number): CatalogueImage[] {
    return this.pg
      .copyJson<ImageRow>(
        `SELECT row_to_json(rows) FROM (SELECT ${IMAGE_COLUMNS} FROM sis.images AS images
         WHERE id > ${sqlInteger(afterId, -1)} AND ${INDEXED} ORDER BY id LIMIT ${sqlInteger(limit, 0)}) AS rows`,
      )
      .map(toCatalogueImage);
  }

  indexedIds(): number[] {
    return Array.from(this.copyEmbeddings(`SELECT id FROM sis.images WHERE ${INDEXED} ORDER BY id`, 0, this.countIndexed()).ids);
  }

  embeddingChunk(afterId: number, limit: number, dimension: number): EmbeddingRows {
    return this.copyEmbeddings(
      `SELECT images.id, embeddings.vector FROM sis.images AS images LEFT JOIN sis.embeddings AS embeddings ON embeddings.image_id = images.id
       WHERE images.id > ${sqlInteger(afterId, -1)} AND ${INDEXED} ORDER BY images.id LIMIT ${sqlInteger(limit, 0)}`,
      dimension,
      limit,
    );
  }

  embeddingsByIds(ids: readonly number[], dimension: number): EmbeddingRows {
    if (ids.length === 0) return { ids: [], vectors: new Float32Array(0) };
    return this.copyEmbeddings(
      `SELECT images.id, embeddings.vector FROM unnest('{${ids.map((id) => sqlInteger(id, 0)).join(',')}}'::bigint[]) WITH ORDINALITY AS wanted (id, n)
       JOIN sis.images AS images ON images.id = wanted.id LEFT JOIN sis.embeddings AS embeddings ON embeddings.image_id = images.id
       WHERE ${INDEXED} ORDER BY wanted.n`,
      dimension,
      ids.length,
    );
  }

  /** Bulk reads by binary COPY into typed arrays (copyBinary.ts): what a replica's load of every vector goes through. */
  private copyEmbeddings(select: string, dimension: number, capacity: number): EmbeddingRows {
    const copied = this.pg.copyEmbeddings(select, dimension, capacity);
    if (copied.damaged) {
      const path = this.pg.query<{ path: string }>('SELECT path FROM sis.images WHERE id = $1', [copied.damaged.id]).rows[0]?.path ?? '(unknown path)';
      const found = copied.damaged.bytes > 0 ? `has ${copied.damaged.bytes} bytes, expected ${dimension * 4}` : 'is missing';
      throw new CatalogueError(`The stored embedding of ${path} (id ${copied.damaged.id}) ${found}: the catalogue is damaged.`);
    }
    return {
      ids: Array.from(copied.ids.subarray(0, copied.count)),
      vectors: copied.vectors.length === copied.count * dimension ? copied.vectors : copied.vectors.subarray(0, copied.count * dimension),
    };
  }

  changesSince(sequence: number, dimension: number): ChangesSince | undefined {
    return this.snapshot(() => {
      const meta = this.pg.query<{ generation: number; log_starts_at: number }>('SELECT generation, log_starts_at FROM sis.meta WHERE id = 1').rows[0];
      if (!meta || sequence < meta.log_starts_at || sequence > meta.generation) return undefined;
      const rows = this.pg.query<EmbeddingRow & { indexed: boolean | null }>(
        `SELECT changes.image_id AS id, images.path, embeddings.vector AS embedding, images.status = 'indexed' AS indexed
         FROM sis.changes AS changes LEFT JOIN sis.images AS images ON images.id = changes.image_id
         LEFT JOIN sis.embeddings AS embeddings ON embeddings.image_id = changes.image_id
         WHERE changes.generation > $1 ORDER BY changes.image_id`,
        [sequence],
      ).rows;
      return {
        generation: meta.generation,
        indexedCount: this.countIndexed(),
        removedIds: rows.filter((row) => row.indexed !== true).map((row) => row.id),
        upserted: toEmbeddingRows(rows.filter((row) => row.indexed === true), dimension),
      };
    });
  }

  /**
   * One transaction of set-based statements (a round trip each, whatever the batch size). The meta row is
   * locked first: concurrent writers commit one after the other, each at the next generation.
   */
  apply(changes: CatalogueChanges, now: number): CommittedChanges {
    const pg = this.pg;
    return pg.transaction((): CommittedChanges => {
      const locked = pg.query<{ generation: number; pid: number }>('SELECT generation, pg_backend_pid() AS pid FROM sis.meta WHERE id = 1 FOR UPDATE').rows[0];
      if (locked === undefined) throw new CatalogueError(`${this.location} has no meta row: it is not a catalogue of this tool.`);
      const previousGeneration = locked.generation;
      this.keepClaims(locked.pid);
      const indexedBefore = this.countIndexed();
      const losing = [...changes.removePaths, ...changes.upsertIndexed.map((image) => image.path), ...changes.upsertSkipped.map((file) => file.path)];
      const removedIds = pg
        .query<{ id: number }>(`SELECT id FROM sis.images WHERE path = ANY($1::text[]) AND ${INDEXED} ORDER BY id`, [losing])
        .rows.map((row) => row.id);
      const deleted = pg.query('DELETE FROM sis.embeddings WHERE image_id = ANY($1::bigint[])', [removedIds]).rowCount;
      if (deleted !== removedIds.length) {
        throw new CatalogueError(`${removedIds.length - deleted} indexed rows had no stored embedding: the catalogue is damaged; nothing was committed.`);
      }
      pg.query('DELETE FROM sis.images WHERE path = ANY($1::text[])', [changes.removePaths]);

      const indexed = changes.upsertIndexed;
      const idOfPath = new Map(
        pg
          .query<{ id: number; path: string }>(
            `INSERT INTO sis.images (path, size, mtime_ms, status, width, height, processed_at, device, inode)
             SELECT path, size, mtime_ms, 'indexed', width, height, $6, device, inode
               FROM unnest($1::text[], $2::bigint[], $3::float8[], $4::int[], $5::int[], $7::text[], $8::text[]) AS t (path, size, mtime_ms, width, height, device, inode)
             ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, status = 'indexed',
               width = excluded.width, height = excluded.height, device = excluded.device, inode = excluded.inode, skip_reason = NULL, skip_message = NULL, processed_at = excluded.processed_at
             RETURNING id, path`,
            [indexed.map((i) => i.path), indexed.map((i) => i.size), indexed.map((i) => i.mtimeMs), indexed.map((i) => i.width), indexed.map((i) => i.height), now, indexed.map((i) => i.device ?? null), indexed.map((i) => i.inode ?? null)],
          )
          .rows.map((row) => [row.path, row.id]),
      );
      const appendedIds = indexed.map((image) => {
        const id = idOfPath.get(image.path);
        if (id === undefined) throw new CatalogueError(`Upserting ${image.path} returned no row id.`);
        return id;
      });
      pg.query('INSERT INTO sis.embeddings (image_id, vector) SELECT * FROM unnest($1::bigint[], $2::bytea[])', [
        appendedIds,
        indexed.map((image) => encodeEmbedding(image.embedding)),
      ]);
      // Re-embedded files lose the metadata of their old content (a later reindex reads it when absent here).
      this.writeMetadata('id', appendedIds, indexed.map((image) => image.metadata ?? null), now);

      const skipped = changes.upsertSkipped;
      pg.query(
        `INSERT INTO sis.images (path, size, mtime_ms, status, skip_reason, skip_message, processed_at, device, inode)
         SELECT path, size, mtime_ms, 'skipped', reason, message, $6, device, inode
           FROM unnest($1::text[], $2::bigint[], $3::float8[], $4::text[], $5::text[], $7::text[], $8::text[]) AS t (path, size, mtime_ms, reason, message, device, inode)
         ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, status = 'skipped', width = NULL, height = NULL,
           device = excluded.device, inode = excluded.inode,
           skip_reason = excluded.skip_reason, skip_message = excluded.skip_message, processed_at = excluded.processed_at`,
        [skipped.map((f) => f.path), skipped.map((f) => f.size), skipped.map((f) => f.mtimeMs), skipped.map((f) => f.reason), skipped.map((f) => f.message), now, skipped.map((f) => f.device ?? null), skipped.map((f) => f.inode ?? null)],
      );

      const indexedCount = this.countIndexed();
      const expectedCount = indexedBefore - removedIds.length + appendedIds.length;
      if (indexedCount !== expectedCount) {
        throw new CatalogueError(`The catalogue would hold ${indexedCount} indexed rows after this change, expected ${expectedCount}; nothing was committed.`);
      }
      let generation = previousGeneration;
      if (removedIds.length > 0 || appendedIds.length > 0) {
        generation = previousGeneration + 1;
        pg.query('UPDATE sis.meta SET generation = $1 WHERE id = 1', [generation]);
        pg.query(
          `INSERT INTO sis.changes (image_id, generation) SELECT DISTINCT unnest($1::bigint[]), $2::bigint
           ON CONFLICT (image_id) DO UPDATE SET generation = excluded.generation`,
          [[...removedIds, ...appendedIds], generation],
        );
        // Delivered at commit, to every replica listening.
        pg.query('SELECT pg_notify($1, $2)', [CHANGES_CHANNEL, String(generation)]);
      }
      return { previousGeneration, generation, removedIds, appendedIds, indexedCount };
    });
  }

  recordFileIdentities(files: readonly { path: string; device: string; inode: string }[]): void {
    if (files.length === 0) return;
    this.pg.query(
      'UPDATE sis.images AS images SET device = t.device, inode = t.inode FROM unnest($1::text[], $2::text[], $3::text[]) AS t (path, device, inode) WHERE images.path = t.path',
      [files.map((f) => f.path), files.map((f) => f.device), files.map((f) => f.inode)],
    );
  }

  /**
   * A session-level advisory lock keyed by the folder: released by release(), or by PostgreSQL when this
   * process's connection ends (a killed process never leaves it behind). A connection that ends while the
   * claim is held (a PostgreSQL restart) loses the lock with it: the next commit notices (another session)
   * and takes it again, or, if another process took it meanwhile, fails (ReindexClaimLostError) and writes nothing.
   */
  claimReindex(root: string): { release(): void } {
    // The claims table comes with the schema: a queue coordinator claims before any worker created the catalogue.
    pgMigrate(this.pg, this.location);
    const key = `sis:reindex:${root}`;
    const taken = this.pg.query<{ locked: boolean; pid: number }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked, pg_backend_pid() AS pid', [key]).rows[0];
    if (!taken?.locked) throw new ReindexRunningError(root, this.claimHolder(root));
    this.recordClaim(root);
    const claim = { key, backendPid: taken.pid };
    this.claims.set(root, claim);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        if (this.claims.get(root) === claim) this.claims.delete(root);
        try {
          this.pg.query('DELETE FROM sis.reindex_runs WHERE root = $1 AND host = $2 AND pid = $3', [root, os.hostname(), process.pid]);
          this.pg.query('SELECT pg_advisory_unlock(hashtext($1))', [key]);
        } catch {
          // The connection is gone, and the lock with it.
        }
      },
    };
  }

  filterableImages(): FilterableImage[] {
    return this.pg.query<FilterableRow>(`SELECT ${FILTERABLE_COLUMNS} FROM sis.images WHERE ${INDEXED} ORDER BY id`).rows.map(toFilterableImage);
  }

  filterableImagesByIds(ids: readonly number[]): FilterableImage[] {
    if (ids.length === 0) return [];
    return this.pg.query<FilterableRow>(`SELECT ${FILTERABLE_COLUMNS} FROM sis.images WHERE id = ANY($1::bigint[]) AND ${INDEXED}`, [ids]).rows.map(toFilterableImage);
  }

  pathsWithoutMetadata(): string[] {
    return this.pg
      .query<{ path: string }>(`SELECT path FROM sis.images WHERE ${INDEXED} AND metadata_read_at IS NULL ORDER BY path COLLATE "C"`)
      .rows.map((row) => row.path);
  }

  recordMetadata(entries: readonly { path: string; metadata: ImageMetadata }[], now: number): void {
    if (entries.length === 0) return;
    this.writeMetadata('path', entries.map((entry) => entry.path), entries.map((entry) => entry.metadata), now);
  }

  /** One set-based UPDATE of the metadata columns of indexed rows, keyed by id or path; null clears a row's. */
  private writeMetadata(key: 'id' | 'path', keys: readonly (number | string)[], metadata: readonly (ImageMetadata | null)[], now: number): void {
    if (keys.length === 0) return;
    const column = <T>(pick: (m: ImageMetadata) => T) => metadata.map((m) => (m ? pick(m) : null));
    this.pg.query(
      `UPDATE sis.images AS images SET folder = t.folder, file_type = t.file_type, orientation = t.orientation, taken_at = t.taken_at,
         camera_make = t.camera_make, camera_model = t.camera_model, latitude = t.latitude, longitude = t.longitude, metadata_read_at = t.read_at
       FROM unnest($1::${key === 'id' ? 'bigint' : 'text'}[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::text[], $7::text[], $8::float8[], $9::float8[], $10::bigint[])
         AS t (key, folder, file_type, orientation, taken_at, camera_make, camera_model, latitude, longitude, read_at)
       WHERE images.${key} = t.key AND ${INDEXED}`,
      [
        keys,
        column((m) => m.folder),
        column((m) => m.fileType),
        column((m) => m.orientation),
        column((m) => m.takenAt),
        column((m) => m.cameraMake),
        column((m) => m.cameraModel),
        column((m) => m.latitude),
        column((m) => m.longitude),
        metadata.map((m) => (m ? now : null)),
      ],
    );
  }

  /** Inside a commit: every claim this process holds is still held by this session, or is taken again now. */
  private keepClaims(backendPid: number): void {
    for (const [root, claim] of this.claims) {
      if (claim.backendPid === backendPid) continue;
      const locked = this.pg.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [claim.key]).rows[0]?.locked;
      if (!locked) throw new ReindexClaimLostError(root, this.claimHolder(root));
      claim.backendPid = backendPid;
      this.recordClaim(root);
    }
  }

  private recordClaim(root: string): void {
    this.pg.query(
      `INSERT INTO sis.reindex_runs (root, host, pid, started_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (root) DO UPDATE SET host = excluded.host, pid = excluded.pid, started_at = excluded.started_at`,
      [root, os.hostname(), process.pid, Date.now()],
    );
  }

  private claimHolder(root: string): { host: string; pid: number; startedAt: number } | undefined {
    const holder = this.pg.query<{ host: string; pid: number; started_at: number }>('SELECT host, pid, started_at FROM sis.reindex_runs WHERE root = $1', [root]).rows[0];
    return holder && { host: holder.host, pid: holder.pid, startedAt: holder.started_at };
  }

  recordReindex(at: number): void {
    this.pg.query('UPDATE sis.meta SET last_reindex_at = $1 WHERE id = 1', [at]);
  }

  /** REPEATABLE READ: every statement of fn sees the same committed state. */
  snapshot<T>(fn: () => T): T {
    return this.pg.transaction(fn, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  }

  close(): void {
    this.pg.close();
  }
}
