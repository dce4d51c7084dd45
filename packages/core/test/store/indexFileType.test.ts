import fs from 'node:fs';
import path from 'node:path';
import { INDEX_FILE_NAME } from '../../src/store';
import { bruteForceTopK, expectSameRanking, makeImage, makeTempDir, openLibrary, randomUnitVector, removeTempDirs, seededRandom } from './helpers';

afterAll(removeTempDirs);

const D = 16;

// Issue 10, finding 5: image_index.faiss replaced by a directory made open fail with EISDIR (a stack trace from
// `sis serve`); like every other damaged index file it is now rebuilt from the catalogue.
test('image_index.faiss replaced by a directory: open rebuilds from the catalogue, and a writer saves beside the folder it keeps', () => {
  const random = seededRandom(5);
  const dataDir = makeTempDir();
  const images = Array.from({ length: 30 }, () => makeImage('/photos', D, random));
  const writer = openLibrary(dataDir, D, true);
  writer.apply({ upsertIndexed: images, upsertSkipped: [], removePaths: [] });
  writer.close();
  const indexPath = path.join(dataDir, INDEX_FILE_NAME);
  fs.rmSync(indexPath);
  fs.mkdirSync(indexPath);
  fs.writeFileSync(path.join(indexPath, 'keep.txt'), 'someone put this here');
  const expected = new Map(images.map((image) => [image.path, image.embedding]));

  for (const writable of [false, true]) {
    const library = openLibrary(dataDir, D, writable);
    try {
      expect(library.stats().index).toMatchObject({ loadedFrom: 'catalogue', rebuildReason: `${INDEX_FILE_NAME} is not a regular file` });
      const query = randomUnitVector(D, random);
      expectSameRanking(library.search(query, 10), bruteForceTopK(query, expected, 10));
    } finally {
      library.close();
    }
  }
  // The writer saved a real index file; the folder was moved aside with its contents, not deleted.
  expect(fs.statSync(indexPath).isFile()).toBe(true);
  const aside = fs.readdirSync(dataDir).filter((name) => name.startsWith(`${INDEX_FILE_NAME}.not-a-file-`));
  expect(aside).toHaveLength(1);
  expect(fs.readFileSync(path.join(dataDir, aside[0]!, 'keep.txt'), 'utf8')).toBe('someone put this here');
  const reopened = openLibrary(dataDir, D, false);
  expect(reopened.stats().index.loadedFrom).toBe('file');
  reopened.close();
});
