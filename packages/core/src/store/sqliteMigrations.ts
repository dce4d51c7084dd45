import type Database from 'better-sqlite3';
import { CatalogueError } from './errors';
import { IMAGE_METADATA_COLUMNS } from './metadataRows';

/**
 * The SQLite catalogue's schema, as numbered migrations. A new catalogue runs them all in order, an older one
 * the ones it lacks, in one transaction (all or nothing). Each applied migration is a row of
 * schema_migrations; meta.schema_version mirrors the latest, so that versions from before the migrations
 * table (which read only meta) refuse a catalogue that is newer than they are.
 */

interface Migration {
  version: number;
  name: string;
  /** Runs inside the migration transaction, with foreign keys off (table rebuilds). */
  up(db: Database.Database): void;
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'images, embeddings and meta (the schema before versioned migrations)',
    up: (db) =>
      db.exec(`
        CREATE TABLE meta (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          schema_version INTEGER NOT NULL,
          catalogue_id TEXT NOT NULL,
          model_name TEXT NOT NULL,
          dimension INTEGER NOT NULL CHECK (dimension > 0),
          generation INTEGER NOT NULL DEFAULT 0,
          last_reindex_at INTEGER
        );
        CREATE TABLE images (
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
        CREATE INDEX images_by_position ON images (position) WHERE position IS NOT NULL;
        CREATE TABLE embeddings (
          image_id INTEGER PRIMARY KEY REFERENCES images (id) ON DELETE CASCADE,
          vector BLOB NOT NULL
        );
      `),
  },
  {
    version: 2,
    name: 'drop the positional column (vectors are labelled by id); file identity (device, inode); precision; the change log',
    up: (db) => {
      // Versions of schema 1 that kept file identity added device and inode without a migration: carry them over.
      const columns = new Set(db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('images')").all().map((column) => column.name));
      const identity = columns.has('device') && columns.has('inode') ? 'device, inode' : 'NULL, NULL';
      db.exec(`
        -- SQLite cannot drop a column that a CHECK names: rebuild the table (ids kept, so embeddings still match).
        CREATE TABLE images_v2 (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          path TEXT NOT NULL UNIQUE,
          size INTEGER NOT NULL,
          mtime_ms REAL NOT NULL,
          status TEXT NOT NULL CHECK (status IN ('indexed', 'skipped')),
          width INTEGER,
          height INTEGER,
          skip_reason TEXT,
          skip_message TEXT,
          processed_at INTEGER NOT NULL,
          -- File identity (st_dev, st_ino as decimal strings): the server serves only the file that was indexed.
          device TEXT,
          inode TEXT,
          CHECK (
            (status = 'indexed' AND width IS NOT NULL AND height IS NOT NULL AND skip_reason IS NULL)
            OR (status = 'skipped' AND skip_reason IS NOT NULL)
          )
        );
        INSERT INTO images_v2 (id, path, size, mtime_ms, status, width, height, skip_reason, skip_message, processed_at, device, inode)
          SELECT id, path, size, mtime_ms, status, width, height, skip_reason, skip_message, processed_at, ${identity} FROM images;
        DROP TABLE images;
        ALTER TABLE images_v2 RENAME TO images;
        CREATE INDEX images_indexed ON images (id) WHERE status = 'indexed';
        -- The change log: for each id whose vector a commit added, replaced or removed, the generation of the
        -- latest such commit (one row per id ever indexed). A vector index at generation S catches up by
        -- reading the ids logged after S. It starts here: changes before log_starts_at are not in it.
        CREATE TABLE changes (
          image_id INTEGER PRIMARY KEY,
          generation INTEGER NOT NULL
        );
        CREATE INDEX changes_by_generation ON changes (generation);
        ALTER TABLE meta ADD COLUMN log_starts_at INTEGER NOT NULL DEFAULT 0;
        UPDATE meta SET log_starts_at = generation;
      `);
      // The precision the vectors were made at. Catalogues from before it was recorded hold fp32 vectors (the
      // only precision then); versions of schema 1 that recorded it added the column without a migration.
      const metaColumns = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('meta')").all();
      if (!metaColumns.some((column) => column.name === 'precision')) db.exec("ALTER TABLE meta ADD COLUMN precision TEXT NOT NULL DEFAULT 'fp32'");
    },
  },
  {
    version: 3,
    name: 'image metadata for filters (folder, type, orientation, EXIF date taken, camera, GPS)',
    up: (db) => db.exec(IMAGE_METADATA_COLUMNS.map((column) => `ALTER TABLE images ADD COLUMN ${column};`).join('\n')),
  },
  {
    version: 4,
    name: 'a staged model: the vectors of the model a switch is building, beside the library\'s (modelStaging)',
    up: (db) =>
      db.exec(`
        -- At most one switch at a time: the model whose vectors staged_embeddings holds.
        CREATE TABLE model_switch (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          model_name TEXT NOT NULL,
          dimension INTEGER NOT NULL CHECK (dimension > 0),
          precision TEXT NOT NULL,
          started_at INTEGER NOT NULL
        );
        -- The file state (size, mtime) a vector was made from: a file changed since is embedded again.
        CREATE TABLE staged_embeddings (
          image_id INTEGER PRIMARY KEY REFERENCES images (id) ON DELETE CASCADE,
          size INTEGER NOT NULL,
          mtime_ms REAL NOT NULL,
          vector BLOB NOT NULL
        );
      `),
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** The schema version of an opened catalogue: 0 for an empty file, 1 for one from before the migrations table. */
export function schemaVersionOf(db: Database.Database): number {
  const hasTable = (name: string) => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
  const migrated = hasTable('schema_migrations')
    ? (db.prepare<[], { version: number | null }>('SELECT MAX(version) AS version FROM schema_migrations').get()?.version ?? 0)
    : 0;
  if (!hasTable('meta')) return migrated;
  // Either may be ahead in a catalogue a newer version wrote; schema 1 has only meta's.
  const recorded = db.prepare<[], { schema_version: number }>('SELECT schema_version FROM meta WHERE id = 1').get()?.schema_version ?? 1;
  return Math.max(migrated, recorded);
}

export function refuseNewerSchema(version: number, location: string): void {
  if (version > LATEST_SCHEMA_VERSION) {
    throw new CatalogueError(
      `${location} was written by a newer version of this tool (catalogue schema ${version}, ` +
        `this version reads up to ${LATEST_SCHEMA_VERSION}): upgrade, or use another data directory.`,
    );
  }
}

/**
 * Brings the catalogue to the latest schema (the caller holds the writer lock). Returns the versions applied.
 * Foreign keys are off during the migration (a table rebuild would otherwise cascade into embeddings) and
 * checked before the commit.
 */
export function migrate(db: Database.Database, location: string): number[] {
  const current = schemaVersionOf(db);
  refuseNewerSchema(current, location);
  const pending = MIGRATIONS.filter((migration) => migration.version > current);
  if (pending.length === 0) return [];
  db.pragma('foreign_keys = OFF');
  try {
    db.transaction(() => {
      // Re-read inside the write transaction: another writer may have migrated meanwhile.
      const now = schemaVersionOf(db);
      db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
      const record = db.prepare<[number, string, number], unknown>('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
      // A catalogue from before the migrations table already has migration 1: record it as found.
      if (now >= 1 && db.prepare('SELECT 1 FROM schema_migrations WHERE version = 1').get() === undefined) record.run(1, MIGRATIONS[0]!.name, 0);
      for (const migration of MIGRATIONS.filter((m) => m.version > now)) {
        migration.up(db);
        record.run(migration.version, migration.name, Date.now());
      }
      db.prepare<[number], unknown>('UPDATE meta SET schema_version = ?').run(LATEST_SCHEMA_VERSION);
      const broken = db.pragma('foreign_key_check') as unknown[];
      if (broken.length > 0) throw new CatalogueError(`Migrating ${location} would break ${broken.length} references; nothing was changed.`);
    }).immediate();
  } finally {
    db.pragma('foreign_keys = ON');
  }
  return pending.map((migration) => migration.version);
}
