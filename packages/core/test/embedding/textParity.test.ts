import fs from 'node:fs';
import path from 'node:path';
import { ClipEmbedder, cosine } from '../../src';
import { loadReference } from '../helpers/reference';
import { fullModelDir, modelsDir, tinyModelDir } from '../helpers/shared';

const models = [
  { name: 'clip-tiny-random', dir: tinyModelDir, referenceDir: tinyModelDir },
  { name: 'clip-vit-b32-random', dir: fullModelDir, referenceDir: path.join(modelsDir, 'clip-vit-b32-random') },
];

describe.each(models)('text parity with the Python reference: $name', ({ dir, referenceDir }) => {
  const reference = loadReference(referenceDir);
  let embedder: ClipEmbedder;

  beforeAll(async () => {
    if (!fs.existsSync(`${dir}/onnx/text_model.onnx`)) throw new Error(`${dir} missing: run node scripts/prepare-test-models.mjs`);
    embedder = await ClipEmbedder.load({ model: dir, offline: true, dataDir: '/nonexistent-data-dir', device: 'cpu', threads: 0 });
  }, 120_000);

  it('reads the embedding dimension from the model', () => {
    expect(embedder.dimension).toBe(reference.textEmbeds[0]!.length);
  });

  it('tokenises every reference text to the reference input_ids, including truncation to 77 tokens', async () => {
    for (const text of reference.texts) {
      expect(await embedder.tokenize(text.text)).toEqual(text.input_ids);
    }
    expect(reference.texts.some((text) => text.input_ids.length === 77)).toBe(true);
  }, 120_000);

  it('embeds every reference text with cosine >= 0.99999, in one padded batch', async () => {
    const embeddings = await embedder.embedTexts(reference.texts.map((text) => text.text));
    const cosines = embeddings.map((embedding, i) => cosine(embedding, reference.textEmbeds[i]!));
    const minimum = Math.min(...cosines);
    console.log(`text parity ${dir}: min cosine ${minimum.toFixed(7)} (1 - min = ${(1 - minimum).toExponential(1)}) over ${cosines.length} texts`);
    expect(minimum).toBeGreaterThanOrEqual(0.99999);
    for (const embedding of embeddings) expect(Math.hypot(...embedding)).toBeCloseTo(1, 5);
  }, 120_000);
});
