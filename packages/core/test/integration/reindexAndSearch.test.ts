import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultConfig, openEngine, type AppConfig, type Engine } from '../../src';
import { folderWithPhotos, samplePhotos } from '../helpers/photos';
import { tinyModelDir } from '../helpers/shared';

/** Real photos, the tiny random-weight CLIP, the real FAISS index and catalogue: the whole engine. */
describe('reindex and search a folder of real photos', () => {
  const photos = samplePhotos(14);
  let folder: string;
  let config: AppConfig;
  let engine: Engine;

  beforeAll(async () => {
    folder = folderWithPhotos(photos.slice(0, 12));
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-data-'));
    config = { ...defaultConfig, dataDir, model: tinyModelDir, offline: true, batchSize: 4, checkpointImages: 5 };
    engine = await openEngine(config, { writable: true });
  }, 60_000);

  afterAll(() => {
    engine.close();
    fs.rmSync(folder, { recursive: true, force: true });
    fs.rmSync(config.dataDir, { recursive: true, force: true });
  });

  it('indexes every photo, reporting progress up to done', async () => {
    const phases: string[] = [];
    const summary = await engine.indexer!.reindex(folder, { onProgress: (progress) => phases.push(progress.phase) });
    expect(summary).toMatchObject({ seen: 12, embedded: 12, unchanged: 0, removed: 0, skipped: [], cancelled: false });
    expect(summary.imagesPerSecond).toBeGreaterThan(0);
    expect(phases[0]).toBe('scanning');
    expect(phases.at(-1)).toBe('done');
    expect(engine.library.count()).toBe(12);
    expect(fs.existsSync(path.join(config.dataDir, 'image_index.faiss'))).toBe(true);
  }, 120_000);

  it('answers a text query with k hits, best first, cosine scores, paths inside the folder', async () => {
    const result = await engine.searcher.searchText('a dog running in snow', 5);
    expect(result.totalImages).toBe(12);
    expect(result.hits).toHaveLength(5);
    const scores = result.hits.map((hit) => hit.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    for (const hit of result.hits) {
      expect(hit.score).toBeGreaterThanOrEqual(-1);
      expect(hit.score).toBeLessThanOrEqual(1.0001);
      expect(path.dirname(hit.path)).toBe(folder);
      expect(hit.width).toBeGreaterThan(0);
    }
  });

  it('finds an indexed photo first when searching by that photo, with a score of ~1', async () => {
    const target = path.join(folder, path.basename(photos[3]!));
    const result = await engine.searcher.searchImage(target, 3);
    expect(result.hits[0]!.path).toBe(target);
    expect(result.hits[0]!.score).toBeCloseTo(1, 4);
    const similar = await engine.searcher.similarTo(target, 3);
    expect(similar.hits.map((hit) => hit.path)).not.toContain(target);
    expect(similar.hits).toHaveLength(3);
  });

  it('embeds nothing when the folder has not changed', async () => {
    const summary = await engine.indexer!.reindex(folder);
    expect(summary).toMatchObject({ seen: 12, embedded: 0, unchanged: 12, removed: 0, skipped: [] });
  });

  it('picks up added, changed and deleted files, and skips a corrupt one with a reason', async () => {
    fs.copyFileSync(photos[12]!, path.join(folder, 'added-1.jpg'));
    fs.copyFileSync(photos[13]!, path.join(folder, 'added-2.jpg'));
    const changed = path.join(folder, path.basename(photos[0]!));
    fs.copyFileSync(photos[13]!, changed); // new content under an old name
    fs.rmSync(path.join(folder, path.basename(photos[1]!)));
    fs.writeFileSync(path.join(folder, 'broken.jpg'), Buffer.from('this is not a jpeg'));

    const summary = await engine.indexer!.reindex(folder);
    expect(summary).toMatchObject({ seen: 14, embedded: 3, unchanged: 10, removed: 1 });
    expect(summary.skipped).toEqual([expect.objectContaining({ path: path.join(folder, 'broken.jpg') })]);
    expect(engine.library.count()).toBe(13);

    // The changed file's vector is the new content's: it ties with added-2.jpg (same bytes).
    const result = await engine.searcher.searchImage(photos[13]!, 2);
    expect(result.hits.map((hit) => hit.path).sort()).toEqual([path.join(folder, 'added-2.jpg'), changed].sort());
    expect(result.hits[1]!.score).toBeCloseTo(1, 4);

    // The unchanged corrupt file is not retried.
    const again = await engine.indexer!.reindex(folder);
    expect(again).toMatchObject({ embedded: 0, unchangedSkipped: 1, skipped: [] });
  }, 120_000);

  it('serves the same results after reopening the data directory', async () => {
    const before = await engine.searcher.searchText('two children playing', 13);
    engine.close();
    engine = await openEngine(config, { writable: true });
    const after = await engine.searcher.searchText('two children playing', 13);
    expect(after.totalImages).toBe(13);
    expect(after.hits.map((hit) => hit.path)).toEqual(before.hits.map((hit) => hit.path));
    after.hits.forEach((hit, i) => expect(hit.score).toBeCloseTo(before.hits[i]!.score, 5));
  }, 60_000);
});
