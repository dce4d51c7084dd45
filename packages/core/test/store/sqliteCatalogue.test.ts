import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteCatalogue } from '../../src/store';
import { describeCatalogueContract } from './catalogueContract';
import { makeTempDir, removeTempDirs } from './helpers';

afterAll(removeTempDirs);

describeCatalogueContract('SQLite', {
  fresh() {
    const file = path.join(makeTempDir(), 'catalogue.sqlite');
    return {
      open: (writable) => (writable ? SqliteCatalogue.openForWriting(file) : SqliteCatalogue.openForReading(file)!),
      makeSchemaNewer() {
        const db = new Database(file);
        db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from the future', 0)").run();
        db.close();
      },
    };
  },
});
