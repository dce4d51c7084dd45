import path from 'node:path';
import Database from 'better-sqlite3';
import { CATALOGUE_FILE_NAME } from '../../src/store';
import { makeImage, makeTempDir, openLibrary, removeTempDirs, seededRandom } from './helpers';

afterAll(removeTempDirs);

const D = 8;
const noChanges = { upsertIndexed: [], upsertSkipped: [], removePaths: [] };

// Issue 10: the catalogue keeps each file's identity (device, inode) so that the server can check a file is
// still the one indexed before serving it.
describe('file identity columns', () => {
  test('are stored with indexed and skipped rows and read back', () => {
    const random = seededRandom(1);
    const dataDir = makeTempDir();
    const library = openLibrary(dataDir, D, true);
    const image = { ...makeImage('/photos', D, random, 'a.jpg'), device: '2049', inode: '18446744073709551615' };
    library.apply({ ...noChanges, upsertIndexed: [image], upsertSkipped: [{ path: '/photos/bad.jpg', size: 3, mtimeMs: 1, reason: 'corrupt', message: 'x', device: '2049', inode: '7' }] });
    expect(library.getByPath('/photos/a.jpg')).toMatchObject({ device: '2049', inode: '18446744073709551615' });
    expect(library.fileStates().get('/photos/bad.jpg')).toMatchObject({ status: 'skipped', device: '2049', inode: '7' });
    library.close();
  });

  test('a catalogue from before them: readers see no identity, a writer adds the columns (rows stay without) and recordFileIdentities fills them', () => {
    const random = seededRandom(2);
    const dataDir = makeTempDir();
    const first = openLibrary(dataDir, D, true);
    const image = makeImage('/photos', D, random, 'old.jpg');
    first.apply({ ...noChanges, upsertIndexed: [image] });
    first.close();
    const db = new Database(path.join(dataDir, CATALOGUE_FILE_NAME));
    db.exec('ALTER TABLE images DROP COLUMN device; ALTER TABLE images DROP COLUMN inode;');
    db.close();

    const reader = openLibrary(dataDir, D, false);
    expect(reader.getByPath(image.path)).not.toHaveProperty('inode');
    expect(reader.fileStates().get(image.path)).toEqual({ size: image.size, mtimeMs: image.mtimeMs, status: 'indexed' });
    reader.close();

    const writer = openLibrary(dataDir, D, true);
    expect(writer.getByPath(image.path)).not.toHaveProperty('device');
    writer.recordFileIdentities([{ path: image.path, device: '42', inode: '99' }]);
    expect(writer.getByPath(image.path)).toMatchObject({ device: '42', inode: '99', size: image.size, mtimeMs: image.mtimeMs });
    expect(writer.stats().generation).toBe(1); // bookkeeping only: the vectors did not change
    writer.close();
  });
});
