import fs from 'node:fs';
import path from 'node:path';
import { INDEX_FILE_NAME, INDEX_SIDECAR_FILE_NAME, type IndexedImageInput } from '../../src/store';
import { removeLeftoverTemporaryFiles, writeFileAtomic } from '../../src/store/atomicFile';
import { compileStoreTo, runNodeScript } from './childProcess';
import { expectConsistent, makeImage, makeTempDir, MODEL, openLibrary, removeTempDirs, seededRandom } from './helpers';

afterAll(removeTempDirs);

/** Files in dir other than `names`. */
const others = (dir: string, ...names: string[]) => fs.readdirSync(dir).filter((name) => !names.includes(name));

/**
 * The real writeFileAtomic, interrupted: by a rename that fails, and by SIGKILL of a process at the moment just
 * before its rename (the temporary file complete and fsynced, the target not yet replaced). The old file's bytes
 * must survive both, whole.
 */
describe('writeFileAtomic, interrupted', () => {
  afterEach(() => jest.restoreAllMocks());

  test('a failing rename leaves the old file byte for byte, and no temporary file', () => {
    const dir = makeTempDir();
    const target = path.join(dir, 'data.bin');
    const old = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 251));
    fs.writeFileSync(target, old);
    const rename = jest.spyOn(fs, 'renameSync').mockImplementationOnce(() => {
      throw Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' });
    });
    expect(() => writeFileAtomic(target, Buffer.alloc(10_000, 7))).toThrow('EIO');
    expect(rename).toHaveBeenCalledTimes(1);
    expect(fs.readFileSync(target).equals(old)).toBe(true);
    expect(others(dir, 'data.bin')).toEqual([]);
    // ...and the next write goes through.
    writeFileAtomic(target, 'new');
    expect(fs.readFileSync(target, 'utf8')).toBe('new');
  });

  test('a process killed just before its rename leaves the old file byte for byte; the next writer removes the leftover', () => {
    const work = makeTempDir();
    const storeDir = path.dirname(compileStoreTo(work));
    const target = path.join(work, 'data.bin');
    const old = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7) % 256));
    fs.writeFileSync(target, old);
    // The child replaces fs.renameSync with a SIGKILL of itself: a crash at exactly that point.
    const script = `
      const fs = require('node:fs');
      const [storeDir, target] = process.argv.slice(1);
      fs.renameSync = () => process.kill(process.pid, 'SIGKILL');
      require(storeDir + '/atomicFile.js').writeFileAtomic(target, Buffer.alloc(5_000_000, 0xab));
      console.log('not killed');`;
    const child = runNodeScript(script, [storeDir, target]);
    expect(child.signal).toBe('SIGKILL');
    expect(child.stdout).not.toContain('not killed');
    expect(fs.readFileSync(target).equals(old)).toBe(true);
    // The kill landed after the temporary file was written in full: the scenario happened.
    const leftovers = others(work, 'data.bin', 'store');
    expect(leftovers).toHaveLength(1);
    expect(leftovers[0]).toMatch(/^data\.bin\.tmp-\d+-[0-9a-f]+$/);
    expect(fs.statSync(path.join(work, leftovers[0]!)).size).toBe(5_000_000);
    expect(removeLeftoverTemporaryFiles(target)).toBe(1);
    expect(others(work, 'data.bin', 'store')).toEqual([]);
  });

  test("a writer killed just before renaming the new image_index.faiss: the old index file and sidecar are untouched, and they still open", () => {
    const work = makeTempDir();
    const dataDir = path.join(work, 'data');
    const storeModule = compileStoreTo(work);
    const random = seededRandom(41);
    const D = 16;
    const first: IndexedImageInput[] = Array.from({ length: 30 }, () => makeImage('/photos', D, random));
    const library = openLibrary(dataDir, D, true);
    library.apply({ upsertIndexed: first, upsertSkipped: [], removePaths: [] });
    library.close();
    const oldIndex = fs.readFileSync(path.join(dataDir, INDEX_FILE_NAME));
    const oldSidecar = fs.readFileSync(path.join(dataDir, INDEX_SIDECAR_FILE_NAME));

    const more = Array.from({ length: 10 }, () => makeImage('/photos', D, random)).map((image) => ({ ...image, embedding: Array.from(image.embedding) }));
    const script = `
      const fs = require('node:fs');
      const [storeModule, dataDir, imagesJson] = process.argv.slice(1);
      const { ImageLibrary } = require(storeModule);
      const library = ImageLibrary.open(dataDir, { modelName: '${MODEL}', dimension: ${D}, writable: true });
      const images = JSON.parse(imagesJson).map((image) => ({ ...image, embedding: Float32Array.from(image.embedding) }));
      library.apply({ upsertIndexed: images, upsertSkipped: [], removePaths: [] });
      const rename = fs.renameSync;
      fs.renameSync = (from, to) => {
        if (to.endsWith('${INDEX_FILE_NAME}')) { console.log('killed before renaming ' + from); process.kill(process.pid, 'SIGKILL'); }
        return rename(from, to);
      };
      library.checkpoint();
      console.log('not killed');`;
    const child = runNodeScript(script, [storeModule, dataDir, JSON.stringify(more)]);
    expect(child.signal).toBe('SIGKILL');
    expect(child.stdout).toMatch(new RegExp(`killed before renaming .*${INDEX_FILE_NAME}\\.tmp-`));
    expect(fs.readFileSync(path.join(dataDir, INDEX_FILE_NAME)).equals(oldIndex)).toBe(true);
    expect(fs.readFileSync(path.join(dataDir, INDEX_SIDECAR_FILE_NAME)).equals(oldSidecar)).toBe(true);

    // The catalogue has the commit; the old index file is recognised as stale and rebuilt, the leftover removed.
    const reopened = openLibrary(dataDir, D, true);
    try {
      expect(reopened.count()).toBe(40);
      expectConsistent(reopened, new Map([...first, ...more].map((image) => [image.path, Float32Array.from(image.embedding)])));
      expect(fs.readdirSync(dataDir).filter((name) => name.includes('.tmp-'))).toEqual([]);
    } finally {
      reopened.close();
    }
  });
});
