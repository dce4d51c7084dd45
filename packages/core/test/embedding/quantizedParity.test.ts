import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ClipEmbedder, cosine, defaultConfig, prepareClipImage, type ModelDtype } from '../../src';
import { loadReference, readRows } from '../helpers/reference';
import { tinyModelDir } from '../helpers/shared';

/**
 * The 8-bit graphs of the tiny CLIP (`*_int8.onnx`: dtype int8, `*_quantized.onnx`: dtype q8) against
 * onnxruntime for Python on the same graphs and the same pixels / input_ids (`reference/<dtype>/`).
 * Random weights quantise gently, so the fp32 reference is itself close (images 0.99991): besides the
 * bar, each test checks that the product is much closer to the 8-bit reference than to the fp32 one,
 * which only holds when the 8-bit graph is the one loaded and fed correctly.
 */
const reference = loadReference(tinyModelDir);
const dimension = reference.imageEmbeds[0]!.length;

function gap(a: Float32Array[], b: Float32Array[]): number[] {
  return a.map((row, i) => 1 - cosine(row, b[i]!));
}
const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

describe.each(['int8', 'q8'] as const)('%s parity with onnxruntime-Python on the same graph: clip-tiny-random', (dtype: ModelDtype) => {
  const referenceDir = path.join(tinyModelDir, 'reference', dtype);
  const imageReference = readRows(path.join(referenceDir, 'image_embeds.f32'), dimension);
  const textReference = readRows(path.join(referenceDir, 'text_embeds.f32'), dimension);
  let embedder: ClipEmbedder;

  beforeAll(async () => {
    embedder = await ClipEmbedder.load({ model: tinyModelDir, offline: true, dataDir: '/nonexistent-data-dir', device: 'cpu', threads: 0, dtype });
  }, 120_000);

  it('records the precision', () => {
    expect(embedder.precision).toBe(dtype);
  });

  it('embeds the 80 reference photos with cosine >= 0.9999, far closer to the 8-bit reference than to fp32', async () => {
    const limits = { maxPixels: defaultConfig.maxPixels };
    const embeddings: Float32Array[] = [];
    // Batches of 16 as the reference ran them: dynamic quantisation scales activations per batch.
    for (let start = 0; start < reference.images.length; start += 16) {
      const batch = reference.images.slice(start, start + 16);
      const prepared = await Promise.all(batch.map((image) => prepareClipImage(image.absolutePath, embedder.preprocess, limits)));
      embeddings.push(...(await embedder.embedPixels(prepared.map((image) => image.pixelValues))));
    }
    const toQuantized = gap(embeddings, imageReference);
    const toFp32 = gap(embeddings, reference.imageEmbeds);
    console.log(`${dtype} image parity: min cosine ${(1 - Math.max(...toQuantized)).toFixed(7)} (to fp32 reference: ${(1 - Math.max(...toFp32)).toFixed(7)})`);
    expect(embeddings).toHaveLength(80);
    expect(1 - Math.max(...toQuantized)).toBeGreaterThanOrEqual(0.9999);
    expect(mean(toQuantized)).toBeLessThan(mean(toFp32) / 10);
  }, 120_000);

  it('embeds the 75 reference texts with cosine >= 0.9999, far closer to the 8-bit reference than to fp32', async () => {
    const embeddings: Float32Array[] = [];
    // One text per call as the reference ran them (a padded batch quantises with the padding's range).
    for (const text of reference.texts) embeddings.push(...(await embedder.embedTexts([text.text])));
    const toQuantized = gap(embeddings, textReference);
    const toFp32 = gap(embeddings, reference.textEmbeds);
    console.log(`${dtype} text parity: min cosine ${(1 - Math.max(...toQuantized)).toFixed(7)} (to fp32 reference: ${(1 - Math.max(...toFp32)).toFixed(7)})`);
    expect(1 - Math.max(...toQuantized)).toBeGreaterThanOrEqual(0.9999);
    expect(mean(toQuantized)).toBeLessThan(mean(toFp32) / 10);
  }, 120_000);
});

describe('precision setting', () => {
  it('refuses a precision whose graph file the folder lacks, naming the file and the setting', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-dtype-'));
    try {
      for (const name of ['config.json', 'preprocessor_config.json']) fs.copyFileSync(path.join(tinyModelDir, name), path.join(folder, name));
      const load = ClipEmbedder.load({ model: folder, offline: true, dataDir: '/nonexistent-data-dir', device: 'cpu', threads: 0, dtype: 'fp16' });
      await expect(load).rejects.toThrow(/no onnx\/vision_model_fp16\.onnx, which precision fp16 needs \(SIS_DTYPE_VISION or SIS_DTYPE\)/);
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });

  it('gives each tower its own precision when asked, and labels the mix', async () => {
    const embedder = await ClipEmbedder.load({
      model: tinyModelDir, offline: true, dataDir: '/nonexistent-data-dir', device: 'cpu', threads: 0, dtype: 'fp32', dtypeVision: 'int8',
    });
    expect(embedder.towers).toEqual({ vision: 'int8', text: 'fp32' });
    expect(embedder.precision).toBe('vision=int8,text=fp32');
    const [text] = await embedder.embedTexts([reference.texts[0]!.text]);
    expect(cosine(text!, reference.textEmbeds[0]!)).toBeGreaterThan(0.99999); // fp32 text tower
  }, 120_000);
});
