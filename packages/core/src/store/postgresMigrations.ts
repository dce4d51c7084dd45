import { CatalogueError } from './errors';
import { IMAGE_METADATA_COLUMNS } from './metadataRows';
import type { SyncPostgres } from './syncPostgres';

/**
 * The PostgreSQL catalogue's schema (in its own schema, `sis`, so it can share a database), as numbered
 * migrations applied in one transaction under an advisory lock (two hosts opening at once migrate once).
 */

export const PG_SCHEMA = 'sis';

interface Migration {
  version: number;
  name: string;
  sql: string;
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'images, embeddings, meta and the change log',
    sql: `
      CREATE TABLE sis.meta (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        schema_version INTEGER NOT NULL,
        catalogue_id TEXT NOT NULL,
        model_name TEXT NOT NULL,
        dimension INTEGER NOT NULL CHECK (dimension > 0),
        precision TEXT NOT NULL DEFAULT 'fp32',
        generation BIGINT NOT NULL DEFAULT 0,
        log_starts_at BIGINT NOT NULL DEFAULT 0,
        last_reindex_at BIGINT
      );
      -- Identity values are never reused, so an id always means the same file (as SQLite's AUTOINCREMENT).
      CREATE TABLE sis.images (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        size BIGINT NOT NULL,
        mtime_ms DOUBLE PRECISION NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('indexed', 'skipped')),
        width INTEGER,
        height INTEGER,
        skip_reason TEXT,
        skip_message TEXT,
        processed_at BIGINT NOT NULL,
        -- File identity (st_dev, st_ino as decimal strings): the server serves only the file that was indexed.
        device TEXT,
        inode TEXT,
        CHECK (
          (status = 'indexed' AND width IS NOT NULL AND height IS NOT NULL AND skip_reason IS NULL)
          OR (status = 'skipped' AND skip_reason IS NOT NULL)
        )
      );
      CREATE INDEX images_indexed ON sis.images (id) WHERE status = 'indexed';
      -- float32 little-endian, as in SQLite (pgvector is not needed: each serving process searches with FAISS).
      CREATE TABLE sis.embeddings (
        image_id BIGINT PRIMARY KEY REFERENCES sis.images (id) ON DELETE CASCADE,
        vector BYTEA NOT NULL
      );
      CREATE TABLE sis.changes (
        image_id BIGINT PRIMARY KEY,
        generation BIGINT NOT NULL
      );
      CREATE INDEX changes_by_generation ON sis.changes (generation);
      -- Who holds the reindex of a folder (the advisory lock is the claim; this says whose it is).
      CREATE TABLE sis.reindex_runs (
        root TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started_at BIGINT NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'image metadata for filters (folder, type, orientation, EXIF date taken, camera, GPS)',
    sql: IMAGE_METADATA_COLUMNS.map((column) => `ALTER TABLE sis.images ADD COLUMN ${column.replace('REAL', 'DOUBLE PRECISION').replace('INTEGER', 'BIGINT')};`).join('\n'),
  },
  {
    version: 4,
    name: 'a staged model: the vectors of the model a switch is building, beside the library\'s (modelStaging)',
    sql: `
      CREATE TABLE sis.model_switch (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        model_name TEXT NOT NULL,
        dimension INTEGER NOT NULL CHECK (dimension > 0),
        precision TEXT NOT NULL,
        started_at BIGINT NOT NULL
      );
      CREATE TABLE sis.staged_embeddings (
        image_id BIGINT PRIMARY KEY REFERENCES sis.images (id) ON DELETE CASCADE,
        size BIGINT NOT NULL,
        mtime_ms DOUBLE PRECISION NOT NULL,
        vector BYTEA NOT NULL
      );
    `,
  },
];

export const PG_LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export function pgSchemaVersion(pg: SyncPostgres): number {
  const exists = pg.query<{ present: boolean }>("SELECT to_regclass('sis.schema_migrations') IS NOT NULL AS present").rows[0]?.present;
  if (!exists) return 0;
  return pg.query<{ version: number | null }>('SELECT MAX(version) AS version FROM sis.schema_migrations').rows[0]?.version ?? 0;
}

export function pgRefuseNewerSchema(version: number, location: string): void {
  if (version > PG_LATEST_SCHEMA_VERSION) {
    throw new CatalogueError(
      `The catalogue at ${location} was written by a newer version of this tool (catalogue schema ${version}, ` +
        `this version reads up to ${PG_LATEST_SCHEMA_VERSION}): upgrade, or use another database.`,
    );
  }
}

/** Brings the schema to the latest version; returns the versions applied. */
export function pgMigrate(pg: SyncPostgres, location: string): number[] {
  return pg.transaction(() => {
    pg.query("SELECT pg_advisory_xact_lock(hashtext('sis:migrate'))");
    const current = pgSchemaVersion(pg);
    pgRefuseNewerSchema(current, location);
    const pending = MIGRATIONS.filter((migration) => migration.version > current);
    if (pending.length === 0) return [];
    pg.query(`CREATE SCHEMA IF NOT EXISTS ${PG_SCHEMA}`);
    pg.query('CREATE TABLE IF NOT EXISTS sis.schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
    for (const migration of pending) {
      pg.query(migration.sql);
      pg.query('INSERT INTO sis.schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
    }
    pg.query('UPDATE sis.meta SET schema_version = $1', [PG_LATEST_SCHEMA_VERSION]);
    return pending.map((migration) => migration.version);
  });
}
