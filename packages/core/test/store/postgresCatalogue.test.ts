import { PostgresCatalogue, SyncPostgres } from '../../src/store';
import { startTestPostgres, type TestPostgres } from '@sis/config/postgres';
import { describeCatalogueContract } from './catalogueContract';
import { removeTempDirs } from './helpers';

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
}, 60_000);
afterAll(() => {
  server?.stop();
  removeTempDirs();
});

let databases = 0;
describeCatalogueContract('PostgreSQL', {
  fresh() {
    const url = server.createDatabase(`contract_${++databases}`);
    return {
      open: (writable) => PostgresCatalogue.connect(url, { writable }),
      makeSchemaNewer() {
        const pg = new SyncPostgres({ connectionString: url });
        pg.query("INSERT INTO sis.schema_migrations (version, name) VALUES (99, 'from the future')");
        pg.close();
      },
    };
  },
});
