import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { CATALOGUE_FILE_NAME, CatalogueError, INDEX_FILE_NAME, INDEX_SIDECAR_FILE_NAME, IndexSaveError, LOCK_FILE_NAME } from '../../src/store';
import { VectorIndex } from '../../src/store/vectorIndex';
import { expectConsistent, makeImage, makeTempDir, openLibrary, removeTempDirs, seededRandom } from './helpers';

afterAll(removeTempDirs);
afterEach(() => jest.restoreAllMocks());

const D = 16;
const noChanges = { upsertIndexed: [], upsertSkipped: [], removePaths: [] };

describe('failure handling', () => {
  test('if the in-memory index fails to follow a commit, it is rebuilt from the catalogue', () => {
    const random = seededRandom(60);
    const library = openLibrary(makeTempDir(), D, true);
    const images = Array.from({ length: 8 }, () => makeImage('/photos', D, random));
    library.apply({ ...noChanges, upsertIndexed: images.slice(0, 5) });
    jest.spyOn(VectorIndex.prototype, 'add').mockImplementationOnce(() => {
      throw new Error('simulated native failure');
    });
    library.apply({ ...noChanges, upsertIndexed: images.slice(5), removePaths: [images[0]!.path] });
    expect(library.stats().index).toMatchObject({ loadedFrom: 'catalogue', rebuildReason: expect.stringMatching(/simulated native failure/) });
    expectConsistent(library, new Map(images.slice(1).map((image) => [image.path, image.embedding])));
    library.close();
  });

  test('not enough disk space: checkpoint throws IndexSaveError, replaces nothing, and the data is still recoverable', () => {
    const random = seededRandom(61);
    const dataDir = makeTempDir();
    const library = openLibrary(dataDir, D, true);
    const images = Array.from({ length: 6 }, () => makeImage('/photos', D, random));
    library.apply({ ...noChanges, upsertIndexed: images });
    const indexBefore = fs.readFileSync(path.join(dataDir, INDEX_FILE_NAME));
    const sidecarBefore = fs.readFileSync(path.join(dataDir, INDEX_SIDECAR_FILE_NAME), 'utf8');

    const real = fs.statfsSync(dataDir);
    jest.spyOn(fs, 'statfsSync').mockReturnValue({ ...real, bavail: 1, bsize: 4096 });
    expect(() => library.checkpoint()).toThrow(IndexSaveError);
    expect(() => library.close()).toThrow(/Not enough free disk space/);
    jest.restoreAllMocks();

    expect(fs.readFileSync(path.join(dataDir, INDEX_FILE_NAME))).toEqual(indexBefore);
    expect(fs.readFileSync(path.join(dataDir, INDEX_SIDECAR_FILE_NAME), 'utf8')).toBe(sidecarBefore);
    expect(fs.readdirSync(dataDir).filter((name) => name.includes('.tmp-'))).toEqual([]);
    // close() still released the lock; the next writer rebuilds the unsaved commit and saves it.
    const reopened = openLibrary(dataDir, D, true);
    expect(reopened.stats().index.loadedFrom).toBe('catalogue');
    expectConsistent(reopened, new Map(images.map((image) => [image.path, image.embedding])));
    reopened.close();
  });

  test('the catalogue uses 16 KiB pages (one 512-d embedding per 4 KiB page would double its size), WAL while a writer is open, a rollback journal after', () => {
    const dataDir = makeTempDir();
    const writer = openLibrary(dataDir, 512, true);
    const whileOpen = new Database(path.join(dataDir, CATALOGUE_FILE_NAME), { readonly: true });
    expect(whileOpen.pragma('journal_mode', { simple: true })).toBe('wal');
    whileOpen.close();
    writer.close();
    // Closed: a read-only copy or mount of the folder can be opened (a WAL database could not).
    const db = new Database(path.join(dataDir, CATALOGUE_FILE_NAME), { readonly: true });
    expect(db.pragma('page_size', { simple: true })).toBe(16384);
    expect(db.pragma('journal_mode', { simple: true })).toBe('delete');
    db.close();
  });

  test('a stored embedding of the wrong size is reported as a damaged catalogue, not returned', () => {
    const random = seededRandom(62);
    const dataDir = makeTempDir();
    const library = openLibrary(dataDir, D, true);
    const image = makeImage('/photos', D, random);
    library.apply({ ...noChanges, upsertIndexed: [image] });
    library.close();
    const db = new Database(path.join(dataDir, CATALOGUE_FILE_NAME));
    db.prepare('UPDATE embeddings SET vector = ?').run(Buffer.alloc(10));
    db.close();
    fs.rmSync(path.join(dataDir, INDEX_SIDECAR_FILE_NAME));
    expect(() => openLibrary(dataDir, D, false)).toThrow(/has 10 bytes, expected 64: the catalogue is damaged/);
  });

  test('a catalogue written by a newer version is refused (and the refused writer leaves no lock behind)', () => {
    const dataDir = makeTempDir();
    openLibrary(dataDir, D, true).close();
    const db = new Database(path.join(dataDir, CATALOGUE_FILE_NAME));
    db.prepare('UPDATE meta SET schema_version = 99').run();
    db.close();
    expect(() => openLibrary(dataDir, D, false)).toThrow(CatalogueError);
    expect(() => openLibrary(dataDir, D, true)).toThrow(/newer version/);
    expect(fs.existsSync(path.join(dataDir, LOCK_FILE_NAME))).toBe(false);
  });
});
