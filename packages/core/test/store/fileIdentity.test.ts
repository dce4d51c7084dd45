import fs from 'node:fs';
import path from 'node:path';
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

  test('a catalogue from before them (schema 1): readers see no identity, the writer\'s migration adds the columns (rows stay without) and recordFileIdentities fills them', () => {
    const dataDir = makeTempDir();
    // Made by the store of main@95d435a (fixtures/makeSchema1Library.js): no device, inode.
    fs.cpSync(path.join(__dirname, 'fixtures', 'schema1'), dataDir, { recursive: true });
    const oldPath = '/photos/img-1.jpg';

    const reader = openLibrary(dataDir, 8, false, 'test/schema1-model');
    expect(reader.getByPath(oldPath)).not.toHaveProperty('inode');
    expect(reader.fileStates().get(oldPath)).not.toHaveProperty('device');
    reader.close();

    const writer = openLibrary(dataDir, 8, true, 'test/schema1-model');
    const before = writer.getByPath(oldPath)!;
    expect(before).not.toHaveProperty('device');
    writer.recordFileIdentities([{ path: oldPath, device: '42', inode: '99' }]);
    expect(writer.getByPath(oldPath)).toMatchObject({ device: '42', inode: '99', size: before.size, mtimeMs: before.mtimeMs });
    expect(writer.stats().generation).toBe(2); // bookkeeping only: the vectors did not change
    writer.close();
  });
});
