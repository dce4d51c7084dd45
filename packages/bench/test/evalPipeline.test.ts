/**
 * The eval pipeline end to end with the tiny random model (fast): checks the wiring that metrics.test.ts
 * cannot (gallery, indexing, missing and corrupt images, caption-to-image mapping), not the figures.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@sis/core';
import { runEval } from '../src/eval/run';
import { sharedDir, tinyModelDir } from '../src/paths';
import { ProgressDisplay } from '../src/progress';

const photos = path.join(sharedDir(), 'datasets/flickr8k-test1k/images');
const available = fs.existsSync(photos) && fs.existsSync(tinyModelDir());

(available ? describe : describe.skip)('runEval on a small captioned set', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-eval-test-'));
    const names = fs.readdirSync(photos).sort().slice(0, 3);
    fs.mkdirSync(path.join(dir, 'images'));
    for (const name of names) fs.copyFileSync(path.join(photos, name), path.join(dir, 'images', name));
    fs.writeFileSync(path.join(dir, 'images', 'broken.jpg'), 'not a jpeg');
    const rows = [
      ...names.flatMap((name, i) => [`${name},photo ${i} first caption`, `${name},"photo ${i} , second caption"`]),
      'gone.jpg,a caption of a missing file',
      'broken.jpg,a caption of a corrupt file',
      '../outside.jpg,a caption outside the folder',
    ];
    fs.writeFileSync(path.join(dir, 'captions.csv'), `image,caption\n${rows.join('\n')}\n`);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  // Either model family: `pnpm eval --model` takes the SigLIP fixture as it takes the CLIP one.
  it.each([
    ['CLIP', tinyModelDir()],
    ['SigLIP', path.join(sharedDir(), 'models/siglip-tiny-random')],
  ])('indexes the listed images, reports the missing ones and counts their captions as misses (%s)', async (family, model) => {
    const config = loadConfig({ env: { SIS_MODEL: model, SIS_OFFLINE: '1', SIS_DATA_DIR: path.join(dir, `data-${family}`) } });
    const result = await runEval(
      config,
      { images: path.join(dir, 'images'), captions: path.join(dir, 'captions.csv'), limit: undefined, ks: [1, 5], textBatch: 4, crossCheck: 6, workDir: dir, keep: false, quick: true },
      new ProgressDisplay(false),
    );
    expect(result.dataset).toMatchObject({ imagesListed: 6, imagesIndexed: 3, captionCount: 9, captionsWithoutIndexedImage: 3 });
    expect(result.dataset.imagesMissing.map((item) => [item.image, item.reason.split(':')[0]]).sort()).toEqual([
      ['../outside.jpg', 'not a path inside the images folder'],
      ['broken.jpg', 'skipped'],
      ['gone.jpg', 'file not found'],
    ]);
    expect(result.textToImage.queries).toBe(9);
    expect(result.textToImage.missing).toBe(3);
    // with 3 images in the index every found caption is within the top 5; the 3 missing ones never are
    expect(result.textToImage.recall['5']).toBeCloseTo(6 / 9, 12);
    expect(result.imageToText.queries).toBe(3);
    expect(result.crossCheck).toMatchObject({ captions: 6, agreeing: 6 });
    expect(result.headline.find((figure) => figure.key === 'textToImage.recall@5')).toMatchObject({ better: 'higher' });
    // the scratch folder is gone, the test folder kept
    expect(fs.readdirSync(dir).filter((name) => name.startsWith('sis-bench-'))).toEqual([]);
  });
});
