import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { CATALOGUE_FILE_NAME, CatalogueError, LOCK_FILE_NAME, SQLITE_SCHEMA_VERSION } from '../../src/store';
import { makeTempDir, openLibrary, removeTempDirs } from './helpers';

afterAll(removeTempDirs);

/** made by fixtures/makeSchema1Library.js, running the store of main@95d435a (before versioned migrations). */
const SCHEMA_1 = path.join(__dirname, 'fixtures', 'schema1');
const MODEL = 'test/schema1-model';
const D = 8;

function copyOfSchema1(): string {
  const dataDir = makeTempDir();
  fs.cpSync(SCHEMA_1, dataDir, { recursive: true });
  return dataDir;
}

function query<T>(dataDir: string, sql: string): T[] {
  const db = new Database(path.join(dataDir, CATALOGUE_FILE_NAME), { readonly: true });
  try {
    return db.prepare<[], T>(sql).all();
  } finally {
    db.close();
  }
}

const columnsOf = (dataDir: string, table: string) => query<{ name: string }>(dataDir, `PRAGMA table_info(${table})`).map((c) => c.name);

describe('catalogue schema migrations (SQLite)', () => {
  test('a library made by the version before migrations (schema 1) opens, migrates, and keeps its rows, ids, vectors and saved index', () => {
    const dataDir = copyOfSchema1();
    expect(columnsOf(dataDir, 'images')).toContain('position');
    const before = query<{ id: number; path: string; status: string; vector: Buffer | null }>(
      dataDir,
      'SELECT images.id, path, status, vector FROM images LEFT JOIN embeddings ON image_id = images.id ORDER BY images.id',
    );
    expect(before).toHaveLength(12); // 11 indexed + 1 skipped

    // A reader reads schema 1 as it is (and writes nothing)...
    const reader = openLibrary(dataDir, D, false, MODEL);
    expect(reader.stats()).toMatchObject({ indexedImages: 11, skippedFiles: 1, generation: 2, lastReindexAt: 1_700_000_123_000 });
    reader.close();
    expect(columnsOf(dataDir, 'images')).toContain('position');

    // ...a writer migrates it.
    const writer = openLibrary(dataDir, D, true, MODEL);
    const stats = writer.stats();
    expect(stats).toMatchObject({ indexedImages: 11, skippedFiles: 1, skippedByReason: { corrupt: 1 }, generation: 2, lastReindexAt: 1_700_000_123_000 });
    // The index file saved by the old version still matches (same ids, same generation): loaded, not rebuilt.
    expect(stats.index.loadedFrom).toBe('file');
    for (const row of before.filter((r) => r.status === 'indexed')) {
      const stored = writer.getById(row.id)!;
      expect(stored.path).toBe(row.path);
      expect(Buffer.from(stored.embedding.buffer)).toEqual(row.vector);
      expect(writer.search(stored.embedding, 1)[0]?.image.id).toBe(row.id);
    }
    expect(writer.skipped().map((file) => file.path)).toEqual(['/photos/broken.jpg']);
    // And it keeps working: a change after the migration is logged and searchable.
    const moved = writer.getByPath('/photos/img-0.jpg')!;
    writer.apply({ upsertIndexed: [], upsertSkipped: [], removePaths: [moved.path] });
    expect(writer.search(moved.embedding, 11).map((hit) => hit.image.path)).not.toContain(moved.path);
    writer.close();

    expect(columnsOf(dataDir, 'images')).not.toContain('position');
    expect(query<{ version: number }>(dataDir, 'SELECT version FROM schema_migrations ORDER BY version').map((r) => r.version)).toEqual([1, 2, 3, 4]);
    expect(query<{ schema_version: number; log_starts_at: number }>(dataDir, 'SELECT schema_version, log_starts_at FROM meta')).toEqual([
      { schema_version: SQLITE_SCHEMA_VERSION, log_starts_at: 2 },
    ]);
    expect(query<{ n: number }>(dataDir, 'PRAGMA foreign_key_check')).toEqual([]);
    const reopened = openLibrary(dataDir, D, false, MODEL);
    expect(reopened.stats()).toMatchObject({ indexedImages: 10, generation: 3 });
    reopened.close();
  });

  test('a new catalogue runs every migration and records them', () => {
    const dataDir = makeTempDir();
    openLibrary(dataDir, D, true, MODEL).close();
    expect(query<{ version: number }>(dataDir, 'SELECT version FROM schema_migrations ORDER BY version').map((r) => r.version)).toEqual([1, 2, 3, 4]);
    expect(columnsOf(dataDir, 'images')).not.toContain('position');
  });

  test('a catalogue from a newer version is refused with a message, by readers and writers, and left untouched', () => {
    const dataDir = makeTempDir();
    openLibrary(dataDir, D, true, MODEL).close();
    const db = new Database(path.join(dataDir, CATALOGUE_FILE_NAME));
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from the future', 0)").run();
    db.close();
    const message = new RegExp(`newer version of this tool \\(catalogue schema 99, this version reads up to ${SQLITE_SCHEMA_VERSION}\\): upgrade`);
    expect(() => openLibrary(dataDir, D, false, MODEL)).toThrow(CatalogueError);
    expect(() => openLibrary(dataDir, D, true, MODEL)).toThrow(message);
    expect(fs.existsSync(path.join(dataDir, LOCK_FILE_NAME))).toBe(false);
    expect(query<{ version: number }>(dataDir, 'SELECT version FROM schema_migrations ORDER BY version').map((r) => r.version)).toEqual([1, 2, 3, 4, 99]);
  });
});
