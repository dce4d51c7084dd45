import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultConfig, ModelMismatchError, openEngine, type AppConfig, type Engine, type ReindexProgress, type SearchResult } from '../../src';
import { folderWithPhotos, samplePhotos } from '../helpers/photos';
import { siglipTinyModelDir, tinyModelDir } from '../helpers/shared';

/** `reindex --model`: the tiny CLIP library switched to the tiny SigLIP, real photos, the whole engine. */
describe('switching a library to another model', () => {
  const photos = samplePhotos(11);
  let folder: string;
  let config: AppConfig;
  let engine: Engine;
  let before: SearchResult;

  beforeAll(async () => {
    folder = folderWithPhotos(photos.slice(0, 10));
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-switch-'));
    config = { ...defaultConfig, dataDir, model: tinyModelDir, offline: true, batchSize: 2, checkpointImages: 4 };
    engine = await openEngine(config, { writable: true });
    await engine.indexer!.reindex(folder);
    before = await engine.searcher.searchText('a dog running in snow', 5);
  }, 120_000);

  afterAll(() => {
    engine.close();
    fs.rmSync(folder, { recursive: true, force: true });
    fs.rmSync(config.dataDir, { recursive: true, force: true });
  });

  const sameHits = (result: SearchResult) => expect(result.hits.map((h) => [h.path, h.score])).toEqual(before.hits.map((h) => [h.path, h.score]));

  it('stopped half way, the old library is intact and searchable; the build is kept', async () => {
    const stop = new AbortController();
    const summary = await engine.switchModel(folder, siglipTinyModelDir, {
      signal: stop.signal,
      onProgress: (progress) => {
        if (progress.embedded >= 4) stop.abort();
      },
    });
    expect(summary).toMatchObject({ switched: false, previousModel: tinyModelDir, model: siglipTinyModelDir, reindex: undefined });
    expect(summary.build).toMatchObject({ cancelled: true, alreadyStaged: 0 });
    expect(engine.library.modelName).toBe(tinyModelDir);
    expect(engine.embedder.modelName).toBe(tinyModelDir);
    sameHits(await engine.searcher.searchText('a dog running in snow', 5));
    const staged = engine.library.stats().modelSwitch;
    expect(staged).toMatchObject({ modelName: siglipTinyModelDir, dimension: 64 });
    expect(staged!.staged).toBe(summary.build!.embedded);
    expect(staged!.remaining).toBe(10 - summary.build!.embedded);
  }, 120_000);

  it('resumed, searches during the build answer with the old model; then it switches, and the folder is reindexed with the new one', async () => {
    fs.copyFileSync(photos[10]!, path.join(folder, path.basename(photos[10]!)));
    const searches: Promise<{ result: SearchResult; model: string }>[] = [];
    const progressSeen: ReindexProgress[] = [];
    const summary = await engine.switchModel(folder, siglipTinyModelDir, {
      onProgress: (progress) => {
        progressSeen.push(progress);
        // While the build runs (searches get the model before its next batch, so each answers before the switch).
        const model = engine.library.modelName;
        if (model === tinyModelDir && progress.embedded < progress.toEmbed) {
          searches.push(engine.searcher.searchText('a dog running in snow', 5).then((result) => ({ result, model })));
        }
      },
    });
    expect(summary).toMatchObject({ switched: true, forgotten: 0, alreadyCurrent: false });
    expect(summary.build!.alreadyStaged).toBeGreaterThan(0);
    expect(summary.build!.embedded).toBe(10 - summary.build!.alreadyStaged);
    expect(summary.reindex).toMatchObject({ embedded: 1, unchanged: 10, removed: 0 });
    expect(searches.length).toBeGreaterThan(0);
    for (const { result } of await Promise.all(searches)) sameHits(result);
    expect(progressSeen.every((progress) => progress.model === siglipTinyModelDir)).toBe(true);

    expect(engine.library.modelName).toBe(siglipTinyModelDir);
    expect(engine.embedder.modelName).toBe(siglipTinyModelDir);
    expect(engine.embedder.family).toBe('siglip');
    expect(engine.library.stats()).toMatchObject({ modelName: siglipTinyModelDir, dimension: 64, indexedImages: 11, modelSwitch: null });
    const target = path.join(folder, path.basename(photos[3]!));
    const self = await engine.searcher.searchImage(target, 2);
    expect(self.hits[0]!.path).toBe(target);
    expect(self.hits[0]!.score).toBeCloseTo(1, 4);
    expect((await engine.searcher.searchText('a dog running in snow', 5)).hits).toHaveLength(5);
  }, 180_000);

  it('the switched library opens with the new model and refuses the old one', async () => {
    const reader = await openEngine({ ...config, model: siglipTinyModelDir }, { writable: false });
    try {
      expect(reader.library.count()).toBe(11);
      const target = path.join(folder, path.basename(photos[5]!));
      expect((await reader.searcher.searchImage(target, 1)).hits[0]!.path).toBe(target);
    } finally {
      reader.close();
    }
    await expect(openEngine(config, { writable: false })).rejects.toThrow(ModelMismatchError);
  }, 60_000);

  it('a switch to the model in use only reindexes', async () => {
    const summary = await engine.switchModel(folder, siglipTinyModelDir);
    expect(summary).toMatchObject({ alreadyCurrent: true, switched: false, build: undefined, reindex: { embedded: 0, unchanged: 11 } });
  }, 60_000);
});
