import fs from 'node:fs';
import path from 'node:path';
import { INDEX_FILE_NAME, INDEX_SIDECAR_FILE_NAME, LOCK_FILE_NAME, type IndexedImageInput } from '../../src/store';
import { compileStoreTo, runNodeScript } from './childProcess';
import {
  bruteForceTopK,
  expectConsistent,
  expectSameRanking,
  makeImage,
  makeTempDir,
  MODEL,
  openLibrary,
  randomUnitVector,
  removeTempDirs,
  seededRandom,
} from './helpers';

afterAll(removeTempDirs);

const D = 16;
const noChanges = { upsertIndexed: [], upsertSkipped: [], removePaths: [] };

/** A saved library of `count` images; returns its directory and expected contents. */
function savedLibrary(count: number, seed: number): { dataDir: string; expected: Map<string, Float32Array>; random: () => number } {
  const random = seededRandom(seed);
  const dataDir = makeTempDir();
  const library = openLibrary(dataDir, D, true);
  const images = Array.from({ length: count }, () => makeImage('/photos', D, random));
  library.apply({ ...noChanges, upsertIndexed: images });
  library.close();
  return { dataDir, expected: new Map(images.map((image) => [image.path, image.embedding])), random };
}

function expectSearchesRight(dataDir: string, expected: ReadonlyMap<string, Float32Array>, random: () => number, writable = false): string | null {
  const library = openLibrary(dataDir, D, writable);
  try {
    for (let q = 0; q < 5; q++) {
      const query = randomUnitVector(D, random);
      expectSameRanking(library.search(query, 10), bruteForceTopK(query, expected, 10));
    }
    expectConsistent(library, expected);
    const { loadedFrom, rebuildReason } = library.stats().index;
    return loadedFrom === 'file' ? null : rebuildReason;
  } finally {
    library.close();
  }
}

function readSidecar(dataDir: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(dataDir, INDEX_SIDECAR_FILE_NAME), 'utf8')) as Record<string, unknown>;
}

describe('persistence and crash recovery', () => {
  test('saving writes image_index.faiss and a sidecar naming the catalogue state; reopening loads the file', () => {
    const { dataDir, expected, random } = savedLibrary(40, 20);
    expect(fs.existsSync(path.join(dataDir, INDEX_FILE_NAME))).toBe(true);
    const sidecar = readSidecar(dataDir);
    expect(sidecar).toMatchObject({ ntotal: 40, dimension: D, generation: 1, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(expectSearchesRight(dataDir, expected, random)).toBeNull();
    expect(expectSearchesRight(dataDir, expected, random, true)).toBeNull();
  });

  test('a missing sidecar makes open rebuild from the catalogue, with unchanged results; a writer saves the rebuild', () => {
    const { dataDir, expected, random } = savedLibrary(40, 21);
    fs.rmSync(path.join(dataDir, INDEX_SIDECAR_FILE_NAME));
    expect(expectSearchesRight(dataDir, expected, random)).toMatch(/image_index.json is missing/);
    // Readers write nothing...
    expect(fs.existsSync(path.join(dataDir, INDEX_SIDECAR_FILE_NAME))).toBe(false);
    // ...writers save what they rebuilt, so the next open loads the file again.
    expect(expectSearchesRight(dataDir, expected, random, true)).toMatch(/missing/);
    expect(expectSearchesRight(dataDir, expected, random)).toBeNull();
  });

  test('a sidecar of another generation, or an unreadable one, makes open rebuild', () => {
    const { dataDir, expected, random } = savedLibrary(30, 22);
    const sidecarPath = path.join(dataDir, INDEX_SIDECAR_FILE_NAME);
    fs.writeFileSync(sidecarPath, JSON.stringify({ ...readSidecar(dataDir), generation: 7 }));
    expect(expectSearchesRight(dataDir, expected, random)).toMatch(/generation 7, the catalogue is at 1/);
    fs.writeFileSync(sidecarPath, '{ not json');
    expect(expectSearchesRight(dataDir, expected, random)).toMatch(/not valid JSON/);
  });

  test('a corrupt, truncated, missing or foreign index file makes open rebuild', () => {
    const { dataDir, expected, random } = savedLibrary(30, 23);
    const indexPath = path.join(dataDir, INDEX_FILE_NAME);
    const original = fs.readFileSync(indexPath);

    const flipped = Buffer.from(original);
    flipped[flipped.length - 5] = (flipped[flipped.length - 5] ?? 0) ^ 0xff;
    fs.writeFileSync(indexPath, flipped);
    expect(expectSearchesRight(dataDir, expected, random)).toMatch(/checksum/);

    fs.writeFileSync(indexPath, original.subarray(0, 100));
    expect(expectSearchesRight(dataDir, expected, random)).toMatch(/checksum/);

    fs.writeFileSync(indexPath, Buffer.from('definitely not a FAISS index'));
    expect(expectSearchesRight(dataDir, expected, random)).toMatch(/checksum/);

    fs.rmSync(indexPath);
    expect(expectSearchesRight(dataDir, expected, random)).toMatch(/cannot be opened/);

    // Another library's valid index with the same count: the checksum still tells them apart.
    const other = savedLibrary(30, 24);
    fs.copyFileSync(path.join(other.dataDir, INDEX_FILE_NAME), indexPath);
    expect(expectSearchesRight(dataDir, expected, random)).toMatch(/checksum/);
  });

  test('index files of another catalogue with the same generation and count are not adopted', () => {
    const { dataDir, expected, random } = savedLibrary(30, 31);
    const other = savedLibrary(30, 32);
    for (const name of [INDEX_FILE_NAME, INDEX_SIDECAR_FILE_NAME]) fs.copyFileSync(path.join(other.dataDir, name), path.join(dataDir, name));
    expect(readSidecar(dataDir).generation).toBe(1);
    expect(expectSearchesRight(dataDir, expected, random)).toMatch(/another catalogue/);
  });

  test('crash between the catalogue commit and the index save: a reader and a restarted writer both see the committed state', () => {
    const { dataDir, expected, random } = savedLibrary(25, 25);
    const writer = openLibrary(dataDir, D, true);
    const added = Array.from({ length: 10 }, () => makeImage('/photos', D, random));
    const removed = [...expected.keys()].slice(0, 5);
    writer.apply({ ...noChanges, upsertIndexed: added, removePaths: removed });
    // "Crash": no checkpoint, no close. Snapshot the files as a crash would leave them (the lock is covered below).
    const crashed = makeTempDir();
    for (const name of fs.readdirSync(dataDir)) {
      if (name !== LOCK_FILE_NAME) fs.copyFileSync(path.join(dataDir, name), path.join(crashed, name));
    }
    for (const p of removed) expected.delete(p);
    for (const image of added) expected.set(image.path, image.embedding);

    // A reader of the live directory sees the commit although the index file is older.
    expect(expectSearchesRight(dataDir, expected, random)).toMatch(/generation 1, the catalogue is at 2/);
    // A writer restarted on the crashed files rebuilds and saves; the next open loads the file.
    expect(expectSearchesRight(crashed, expected, random, true)).toMatch(/generation 1, the catalogue is at 2/);
    expect(expectSearchesRight(crashed, expected, random)).toBeNull();
    writer.close();
  });

  test('crash in the middle of a save (new index file, old sidecar; leftover temp files) is detected and cleaned up', () => {
    const { dataDir, expected, random } = savedLibrary(20, 26);
    const oldSidecar = fs.readFileSync(path.join(dataDir, INDEX_SIDECAR_FILE_NAME));
    const writer = openLibrary(dataDir, D, true);
    const added = Array.from({ length: 5 }, () => makeImage('/photos', D, random));
    writer.apply({ ...noChanges, upsertIndexed: added });
    writer.close(); // saves generation 2
    for (const image of added) expected.set(image.path, image.embedding);

    fs.writeFileSync(path.join(dataDir, INDEX_SIDECAR_FILE_NAME), oldSidecar);
    const leftovers = [`${INDEX_FILE_NAME}.tmp-99999-abc`, `${INDEX_SIDECAR_FILE_NAME}.tmp-99999-def`];
    for (const name of leftovers) fs.writeFileSync(path.join(dataDir, name), 'partial');

    expect(expectSearchesRight(dataDir, expected, random)).toMatch(/generation 1, the catalogue is at 2/);
    expect(expectSearchesRight(dataDir, expected, random, true)).toMatch(/generation 1/);
    for (const name of leftovers) expect(fs.existsSync(path.join(dataDir, name))).toBe(false);
    expect(expectSearchesRight(dataDir, expected, random)).toBeNull();
  });

  test('a writer process killed (SIGKILL) after committing unsaved batches: restart takes over its lock and recovers every commit', () => {
    const work = makeTempDir();
    const dataDir = path.join(work, 'data');
    const storeModule = compileStoreTo(work);
    const random = seededRandom(27);
    const first = Array.from({ length: 30 }, () => makeImage('/photos', D, random));
    const second = Array.from({ length: 20 }, () => makeImage('/photos', D, random));
    const removed = first.slice(0, 6).map((image) => image.path);
    const toJson = (images: IndexedImageInput[]) => images.map((image) => ({ ...image, embedding: Array.from(image.embedding) }));
    const inputFile = path.join(work, 'input.json');
    fs.writeFileSync(inputFile, JSON.stringify({ first: toJson(first), second: toJson(second), removed }));

    const script = `
      const fs = require('node:fs');
      const [storeModule, dataDir, inputFile, model, dimension] = process.argv.slice(1);
      const { ImageLibrary } = require(storeModule);
      const input = JSON.parse(fs.readFileSync(inputFile, 'utf8'));
      const images = (list) => list.map((image) => ({ ...image, embedding: Float32Array.from(image.embedding) }));
      const library = ImageLibrary.open(dataDir, { modelName: model, dimension: Number(dimension), writable: true });
      library.apply({ upsertIndexed: images(input.first), upsertSkipped: [], removePaths: [] });
      library.checkpoint();
      const second = images(input.second);
      library.apply({ upsertIndexed: second.slice(0, 10), upsertSkipped: [], removePaths: input.removed });
      library.apply({ upsertIndexed: second.slice(10), upsertSkipped: [{ path: '/photos/broken.png', size: 3, mtimeMs: 4, reason: 'corrupt', message: 'truncated' }], removePaths: [] });
      process.stdout.write(String(process.pid));
      process.kill(process.pid, 'SIGKILL');
    `;
    const child = runNodeScript(script, [storeModule, dataDir, inputFile, MODEL, String(D)]);
    expect(child.stderr).toBe('');
    expect(child.signal).toBe('SIGKILL');
    const lock = JSON.parse(fs.readFileSync(path.join(dataDir, LOCK_FILE_NAME), 'utf8')) as { pid: number };
    expect(lock.pid).toBe(Number(child.stdout));

    const expected = new Map([...first, ...second].map((image) => [image.path, image.embedding]));
    for (const p of removed) expected.delete(p);
    expect(expectSearchesRight(dataDir, expected, random, true)).toMatch(/generation 1, the catalogue is at 3/);
    const reader = openLibrary(dataDir, D, false);
    expect(reader.skipped().map((file) => file.path)).toEqual(['/photos/broken.png']);
    expect(reader.stats().index.loadedFrom).toBe('file');
    reader.close();
    expect(fs.existsSync(path.join(dataDir, LOCK_FILE_NAME))).toBe(false);
  });

  test('a reader keeps its snapshot until refresh(), then sees the writer\'s commits', () => {
    const { dataDir, expected, random } = savedLibrary(10, 28);
    const reader = openLibrary(dataDir, D, false);
    const writer = openLibrary(dataDir, D, true);
    const removedPath = [...expected.keys()][0]!;
    const added = makeImage('/photos', D, random);
    writer.apply({ ...noChanges, upsertIndexed: [added], removePaths: [removedPath] });

    // Snapshot: the removed image is dropped from results (its row is gone), the new one is not there yet.
    expect(reader.count()).toBe(10);
    expect(reader.search(added.embedding, 20).map((hit) => hit.image.path)).not.toContain(added.path);
    expect(reader.search(expected.get(removedPath)!, 20).map((hit) => hit.image.path)).not.toContain(removedPath);

    expect(reader.refresh()).toBe(true);
    expect(reader.refresh()).toBe(false);
    expected.delete(removedPath);
    expected.set(added.path, added.embedding);
    expectConsistent(reader, expected);
    writer.close();
    reader.close();
  });

  test('a reader opened before anything was indexed picks the catalogue up on refresh()', () => {
    const random = seededRandom(29);
    const dataDir = path.join(makeTempDir(), 'data');
    const reader = openLibrary(dataDir, D, false);
    expect(fs.existsSync(dataDir)).toBe(false);
    expect(reader.refresh()).toBe(false);
    const writer = openLibrary(dataDir, D, true);
    const image = makeImage('/photos', D, random);
    writer.apply({ ...noChanges, upsertIndexed: [image] });
    writer.close();
    expect(reader.refresh()).toBe(true);
    expectConsistent(reader, new Map([[image.path, image.embedding]]));
    reader.close();
  });

  test('stats report counts, generation, reindex time and unsaved changes', () => {
    const random = seededRandom(30);
    const dataDir = makeTempDir();
    const library = openLibrary(dataDir, D, true);
    expect(library.stats()).toMatchObject({ modelName: MODEL, dimension: D, indexedImages: 0, generation: 0, lastReindexAt: null });
    library.apply({
      upsertIndexed: [makeImage('/photos', D, random), makeImage('/photos', D, random)],
      upsertSkipped: [
        { path: '/photos/a.heic', size: 1, mtimeMs: 1, reason: 'unsupported', message: 'HEIC' },
        { path: '/photos/b.png', size: 1, mtimeMs: 1, reason: 'corrupt', message: 'bad' },
        { path: '/photos/c.png', size: 1, mtimeMs: 1, reason: 'corrupt', message: 'bad' },
      ],
      removePaths: [],
    });
    library.recordReindex(1_234_567);
    expect(library.stats()).toMatchObject({
      dataDir,
      indexedImages: 2,
      skippedFiles: 3,
      skippedByReason: { corrupt: 2, unsupported: 1 },
      generation: 1,
      lastReindexAt: 1_234_567,
      index: { unsavedChanges: true },
    });
    library.checkpoint();
    expect(library.stats().index.unsavedChanges).toBe(false);
    library.close();
  });
});
