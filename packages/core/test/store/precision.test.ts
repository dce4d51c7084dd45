import path from 'node:path';
import Database from 'better-sqlite3';
import { ImageLibrary, PrecisionMismatchError, StoreError } from '../../src/store';
import { makeImage, makeTempDir, MODEL, removeTempDirs, seededRandom } from './helpers';

afterAll(removeTempDirs);

const D = 16;
const open = (dataDir: string, writable: boolean, precision?: string) => ImageLibrary.open(dataDir, { modelName: MODEL, dimension: D, precision, writable });

describe('precision guard', () => {
  test('a library built at int8 is refused at fp32 (writer and reader), saying what to set', () => {
    const dataDir = makeTempDir();
    const writer = open(dataDir, true, 'int8');
    writer.apply({ upsertIndexed: [makeImage(dataDir, D, seededRandom(1))], upsertSkipped: [], removePaths: [] });
    writer.close();
    for (const writable of [true, false]) {
      let error: unknown;
      try {
        open(dataDir, writable, 'fp32');
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(PrecisionMismatchError);
      expect(error).toBeInstanceOf(StoreError);
      const mismatch = error as PrecisionMismatchError;
      expect([mismatch.recordedPrecision, mismatch.requestedPrecision]).toEqual(['int8', 'fp32']);
      expect(mismatch.message).toMatch(/at precision int8, but precision fp32 is configured \(SIS_DTYPE/);
      expect(mismatch.message).toMatch(/set the precision back to int8/);
      expect(mismatch.message).toMatch(/another data directory/);
    }
    // Absent means fp32: refused too.
    expect(() => open(dataDir, false)).toThrow(PrecisionMismatchError);
    const reader = open(dataDir, false, 'int8');
    expect(reader.stats().precision).toBe('int8');
    expect(reader.stats().indexedImages).toBe(1);
    reader.close();
  });

  test('catalogues from before precision was recorded hold fp32 vectors; the first writer records it', () => {
    const dataDir = makeTempDir();
    open(dataDir, true).close();
    const db = new Database(path.join(dataDir, 'catalogue.sqlite'));
    db.exec('ALTER TABLE meta DROP COLUMN precision'); // the schema as it was
    db.close();
    expect(() => open(dataDir, false, 'int8')).toThrow(/at precision fp32, but precision int8/);
    const reader = open(dataDir, false, 'fp32');
    expect(reader.stats().precision).toBe('fp32');
    reader.close();
    open(dataDir, true, 'fp32').close();
    const check = new Database(path.join(dataDir, 'catalogue.sqlite'), { readonly: true });
    expect(check.prepare('SELECT precision FROM meta').get()).toEqual({ precision: 'fp32' });
    check.close();
    expect(() => open(dataDir, true, 'q8')).toThrow(PrecisionMismatchError);
  });
});
