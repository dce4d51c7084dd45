import fs from 'node:fs';
import path from 'node:path';
import { ClipEmbedder, cosine, defaultConfig, prepareClipImage } from '../../src';
import { loadReference } from '../helpers/reference';
import { fullModelDir, modelsDir, tinyModelDir } from '../helpers/shared';

const models = [
  { name: 'clip-tiny-random', dir: tinyModelDir, referenceDir: tinyModelDir },
  { name: 'clip-vit-b32-random', dir: fullModelDir, referenceDir: path.join(modelsDir, 'clip-vit-b32-random') },
];

/** The indexer's own path: prepareClipImage (sharp decode + PIL-exact resize/crop) then embedPixels in batches. */
describe.each(models)('image parity with the Python reference: $name', ({ dir, referenceDir }) => {
  const reference = loadReference(referenceDir);

  it('embeds all 80 reference photos with cosine >= 0.9999 (64 square, 16 non-square originals)', async () => {
    if (!fs.existsSync(`${dir}/onnx/vision_model.onnx`)) throw new Error(`${dir} missing: run node scripts/prepare-test-models.mjs`);
    const embedder = await ClipEmbedder.load({ model: dir, offline: true, dataDir: '/nonexistent-data-dir', device: 'cpu', threads: 0 });
    const limits = { maxPixels: defaultConfig.maxPixels };
    const cosines: number[] = [];
    for (let start = 0; start < reference.images.length; start += 8) {
      const batch = reference.images.slice(start, start + 8);
      const prepared = await Promise.all(batch.map((image) => prepareClipImage(image.absolutePath, embedder.preprocess, limits)));
      const embeddings = await embedder.embedPixels(prepared.map((image) => image.pixelValues));
      embeddings.forEach((embedding, i) => cosines.push(cosine(embedding, reference.imageEmbeds[batch[i]!.index]!)));
    }
    const square = cosines.filter((_, i) => reference.images[i]!.orig_size_wh[0] === reference.images[i]!.orig_size_wh[1]);
    const nonSquare = cosines.filter((_, i) => reference.images[i]!.orig_size_wh[0] !== reference.images[i]!.orig_size_wh[1]);
    console.log(
      `image parity ${dir}: min cosine ${Math.min(...square).toFixed(7)} (1 - min = ${(1 - Math.min(...cosines)).toExponential(1)} overall) over ${square.length} square, ` +
        `${Math.min(...nonSquare).toFixed(7)} over ${nonSquare.length} non-square originals`,
    );
    expect(square).toHaveLength(64);
    expect(nonSquare).toHaveLength(16);
    expect(Math.min(...cosines)).toBeGreaterThanOrEqual(0.9999);
  }, 300_000);
});
