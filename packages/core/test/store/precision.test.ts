import fs from 'node:fs';
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

  test('catalogues from before precision was recorded (schema 1) hold fp32 vectors; the migration records it', () => {
    const dataDir = makeTempDir();
    // Made by the store of main@95d435a (fixtures/makeSchema1Library.js): no precision column.
    fs.cpSync(path.join(__dirname, 'fixtures', 'schema1'), dataDir, { recursive: true });
    const old = (writable: boolean, precision?: string) => ImageLibrary.open(dataDir, { modelName: 'test/schema1-model', dimension: 8, precision, writable });
    expect(() => old(false, 'int8')).toThrow(/at precision fp32, but precision int8/);
    const reader = old(false, 'fp32');
    expect(reader.stats().precision).toBe('fp32');
    reader.close();
    old(true, 'fp32').close();
    const check = new Database(path.join(dataDir, 'catalogue.sqlite'), { readonly: true });
    expect(check.prepare('SELECT precision FROM meta').get()).toEqual({ precision: 'fp32' });
    check.close();
    expect(() => old(true, 'q8')).toThrow(PrecisionMismatchError);
  });
});
