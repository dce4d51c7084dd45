import { TransformersEmbedder, cosine, defaultConfig, prepareClipImage } from '../../src';
import { loadReference } from '../helpers/reference';
import { siglipTinyModelDir } from '../helpers/shared';

/** SigLIP through the indexer's and searcher's own path: prepareClipImage + embedPixels, embedTexts in one batch. */
describe('SigLIP parity with the Python reference: siglip-tiny-random', () => {
  const reference = loadReference(siglipTinyModelDir);
  let embedder: TransformersEmbedder;

  beforeAll(async () => {
    embedder = await TransformersEmbedder.load({ model: siglipTinyModelDir, offline: true, dataDir: '/nonexistent-data-dir', device: 'cpu', threads: 0 });
  }, 120_000);

  it('is detected as SigLIP, 64-d, squashing to the size of its preprocessor_config.json with its mean/std', () => {
    expect(embedder.family).toBe('siglip');
    expect(embedder.dimension).toBe(64);
    expect(embedder.preprocess).toMatchObject({ squash: true, cropWidth: 224, cropHeight: 224, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
  });

  it('embeds all 80 reference photos with cosine >= 0.9999 (64 square, 16 non-square originals)', async () => {
    const limits = { maxPixels: defaultConfig.maxPixels };
    const cosines: number[] = [];
    for (let start = 0; start < reference.images.length; start += 8) {
      const batch = reference.images.slice(start, start + 8);
      const prepared = await Promise.all(batch.map((image) => prepareClipImage(image.absolutePath, embedder.preprocess, limits)));
      const embeddings = await embedder.embedPixels(prepared.map((image) => image.pixelValues));
      embeddings.forEach((embedding, i) => cosines.push(cosine(embedding, reference.imageEmbeds[batch[i]!.index]!)));
    }
    const isSquare = (i: number) => reference.images[i]!.orig_size_wh[0] === reference.images[i]!.orig_size_wh[1];
    const square = cosines.filter((_, i) => isSquare(i));
    const nonSquare = cosines.filter((_, i) => !isSquare(i));
    console.log(`SigLIP image parity: 1 - min cosine = ${(1 - Math.min(...cosines)).toExponential(1)}; min ${Math.min(...square).toFixed(7)} over ${square.length} square, ${Math.min(...nonSquare).toFixed(7)} over ${nonSquare.length} non-square originals`);
    expect(square).toHaveLength(64);
    expect(nonSquare).toHaveLength(16);
    expect(Math.min(...cosines)).toBeGreaterThanOrEqual(0.9999);
  }, 300_000);

  it('tokenises every reference text to the reference input_ids padded with </s> to exactly 64, truncated with </s> last', async () => {
    for (const text of reference.texts) {
      const padded = [...text.input_ids, ...new Array<number>(64 - text.input_ids.length).fill(1)];
      expect(await embedder.tokenize(text.text)).toEqual(padded);
    }
    expect(reference.texts.some((text) => text.input_ids.length === 64)).toBe(true);
  }, 120_000);

  it('embeds every reference text with cosine >= 0.99999, in one batch (padding reaches 64 in every row)', async () => {
    const embeddings = await embedder.embedTexts(reference.texts.map((text) => text.text));
    const cosines = embeddings.map((embedding, i) => cosine(embedding, reference.textEmbeds[i]!));
    const minimum = Math.min(...cosines);
    console.log(`SigLIP text parity: min cosine ${minimum.toFixed(7)} (1 - min = ${(1 - minimum).toExponential(1)}) over ${cosines.length} texts`);
    expect(minimum).toBeGreaterThanOrEqual(0.99999);
  }, 120_000);
});
