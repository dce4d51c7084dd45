import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TransformersEmbedder, cosine, defaultConfig, prepareClipImage } from '@sis/core';
import { copyPhotos, runCli, sharedDir, tinyModelDir } from './helpers/cli';

const siglipModelDir = path.join(sharedDir, 'models/siglip-tiny-random');

/** The command line end to end with a SigLIP model: the same commands, the model chosen by SIS_MODEL alone. */
describe('sis with a SigLIP model (siglip-tiny-random)', () => {
  let work: string;
  let env: NodeJS.ProcessEnv;
  let photos: string[];

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-siglip-'));
    env = { SIS_DATA_DIR: path.join(work, 'data'), SIS_MODEL: siglipModelDir, SIS_OFFLINE: '1', INIT_CWD: work };
    photos = copyPhotos(path.join(work, 'photos'), 8);
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('reindexes a folder and records the SigLIP model and its 64-d vectors', async () => {
    const run = await runCli(['reindex', 'photos'], env);
    expect(run.stderr).not.toMatch(/unexpected error/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/embedded: +8/);
    const stats = JSON.parse((await runCli(['stats'], env)).stdout) as { modelName: string; dimension: number; indexedImages: number };
    expect(stats).toMatchObject({ modelName: siglipModelDir, dimension: 64, indexedImages: 8 });
  }, 120_000);

  it('searches by text, scoring with the cosines the SigLIP embedder gives for the query and each image', async () => {
    const query = 'a dog runs through the snow';
    const run = await runCli(['search', query, '--json', '-k', '8'], env);
    expect(run.code).toBe(0);
    const results = JSON.parse(run.stdout) as { path: string; score: number }[];
    expect(results.map((result) => result.path).sort()).toEqual([...photos].sort());
    // The same scores, computed here through the engine's embedder without the CLI, index or store.
    const embedder = await TransformersEmbedder.load({ model: siglipModelDir, offline: true, dataDir: path.join(work, 'data'), device: 'cpu', threads: 0 });
    const [text] = await embedder.embedTexts([query]);
    for (const result of results) {
      const prepared = await prepareClipImage(result.path, embedder.preprocess, { maxPixels: defaultConfig.maxPixels });
      const [image] = await embedder.embedPixels([prepared.pixelValues]);
      expect(result.score).toBeCloseTo(cosine(text!, image!), 4);
    }
  }, 120_000);

  it('searches by an example image: the image itself comes first', async () => {
    const run = await runCli(['search', '--image', photos[3]!, '--json', '-k', '2'], env);
    expect(run.code).toBe(0);
    const [best] = JSON.parse(run.stdout) as { path: string; score: number }[];
    expect(best!.path).toBe(photos[3]);
    expect(best!.score).toBeCloseTo(1, 4);
  }, 60_000);

  it('refuses to search the SigLIP library with a CLIP model, in one line', async () => {
    const run = await runCli(['search', 'a dog', '--json'], { ...env, SIS_MODEL: tinyModelDir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: .*siglip-tiny-random/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('refuses an unsupported model_type at load with one line naming it, no stack trace', async () => {
    const model = path.join(work, 'future-model');
    fs.mkdirSync(model);
    for (const entry of fs.readdirSync(siglipModelDir)) fs.symlinkSync(path.join(siglipModelDir, entry), path.join(model, entry));
    fs.rmSync(path.join(model, 'config.json'));
    const config = JSON.parse(fs.readFileSync(path.join(siglipModelDir, 'config.json'), 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(path.join(model, 'config.json'), JSON.stringify({ ...config, model_type: 'siglip2' }));
    const run = await runCli(['search', 'a dog'], { ...env, SIS_MODEL: model, SIS_DATA_DIR: path.join(work, 'other-data') });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`error: Model ${model} is not supported: its config.json has model_type "siglip2"; supported: "clip", "siglip"\n`);
  }, 60_000);

  it('lists the recommended models with their figures, marking the default and the configured one', async () => {
    const run = await runCli(['models'], { ...env, SIS_MODEL: 'siglip-b16-224' });
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^name \(SIS_MODEL\) +Flickr30k R@1 +COCO R@1 +ImageNet +compute +download fp32 +download fp16 +download q8 +languages +license$/);
    expect(lines.find((line) => line.startsWith('clip-b32 (default) '))).toMatch(/58\.8 +30\.4 +63\.3 +1x +605 MB +303 MB +151 MB +English +MIT$/);
    expect(lines.find((line) => line.startsWith('siglip-b16-224 *'))).toMatch(/74\.7 +47\.8 +76\.0 +4x .*Apache-2\.0$/);
    expect(run.stdout).toContain('siglip-b16-256-multilingual');
    const json = JSON.parse((await runCli(['models', '--json'], env)).stdout) as { id: string; scores: { minScore: number } }[];
    expect(json.find((model) => model.id === 'Xenova/siglip-base-patch16-224')?.scores.minScore).toBeLessThan(json.find((model) => model.id === 'Xenova/clip-vit-base-patch32')!.scores.minScore);
  }, 60_000);
});
