import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { CATALOGUE_FILE_NAME, defaultConfig, openEngine, type AppConfig, type Engine } from '../../src';
import { writeCameraJpeg } from '../metadata/cameraJpegs';
import { tinyModelDir } from '../helpers/shared';

/** Metadata recorded at index time, used by filters end to end, and filled in for old rows without re-embedding. */
describe('metadata through a reindex', () => {
  let folder: string;
  let config: AppConfig;
  let engine: Engine;

  beforeAll(async () => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-meta-'));
    await writeCameraJpeg(path.join(folder, 'rome', 'a.jpg'), 120, 80, { make: 'Canon', model: 'EOS 5D', dateTimeOriginal: '2019:05:01 10:00:00', gps: { latitude: '41/1 54/1 0/1', latitudeRef: 'N', longitude: '12/1 30/1 0/1', longitudeRef: 'E' } });
    await writeCameraJpeg(path.join(folder, 'rome', 'b.jpg'), 80, 120, { make: 'Apple', model: 'iPhone 12', dateTimeOriginal: '2022:08:02 11:00:00' });
    await writeCameraJpeg(path.join(folder, 'paris', 'c.jpg'), 100, 100, { make: 'NIKON CORPORATION', model: 'D750', gps: { latitude: '48/1 51/1 0/1', latitudeRef: 'N', longitude: '2/1 17/1 0/1', longitudeRef: 'E' } });
    await writeCameraJpeg(path.join(folder, 'd.jpg'), 90, 60, {});
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-data-'));
    config = { ...defaultConfig, dataDir, model: tinyModelDir, offline: true, batchSize: 4, checkpointImages: 5 };
    engine = await openEngine(config, { writable: true });
  }, 60_000);

  afterAll(() => {
    engine.close();
    fs.rmSync(folder, { recursive: true, force: true });
    fs.rmSync(config.dataDir, { recursive: true, force: true });
  });

  const names = (hits: { path: string }[]) => hits.map((hit) => path.relative(folder, hit.path)).sort();

  it('records metadata while embedding; filters select by folder, camera, date, place, orientation', async () => {
    await engine.indexer!.reindex(folder);
    const search = (filter: object) => engine.searcher.searchText('a photo', 10, { filter }).then((result) => names(result.hits));
    expect(await search({})).toEqual(['d.jpg', 'paris/c.jpg', 'rome/a.jpg', 'rome/b.jpg']);
    expect(await search({ folder: 'rome' })).toEqual(['rome/a.jpg', 'rome/b.jpg']);
    expect(await search({ camera: 'nikon' })).toEqual(['paris/c.jpg']);
    expect(await search({ takenFrom: Date.UTC(2020, 0, 1), takenTo: Date.UTC(2023, 0, 1) })).toEqual(['rome/b.jpg']);
    expect(await search({ near: { latitude: 41.9, longitude: 12.5, radiusKm: 50 } })).toEqual(['rome/a.jpg']);
    expect(await search({ orientation: 'portrait' })).toEqual(['rome/b.jpg']);
    expect(await search({ orientation: 'square', fileTypes: ['jpg'] })).toEqual(['paris/c.jpg']);
  }, 120_000);

  it('a library indexed before metadata was recorded gains it on its next reindex, without re-embedding', async () => {
    engine.close();
    const db = new Database(path.join(config.dataDir, CATALOGUE_FILE_NAME));
    db.exec('UPDATE images SET folder = NULL, file_type = NULL, orientation = NULL, camera_make = NULL, camera_model = NULL, metadata_read_at = NULL');
    db.close();
    engine = await openEngine(config, { writable: true });
    expect(engine.library.pathsWithoutMetadata()).toHaveLength(4);
    expect((await engine.searcher.searchText('a photo', 10, { filter: { folder: 'rome' } })).hits).toEqual([]);
    const summary = await engine.indexer!.reindex(folder);
    expect(summary).toMatchObject({ embedded: 0, unchanged: 4 });
    expect(engine.library.pathsWithoutMetadata()).toEqual([]);
    expect(names((await engine.searcher.searchText('a photo', 10, { filter: { folder: 'rome' } })).hits)).toEqual(['rome/a.jpg', 'rome/b.jpg']);
  }, 120_000);
});
