import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ClipEmbedder, cosine, defaultConfig, prepareClipImage, type ModelDtype } from '../../src';
import { cpuHasVnni, referencePython, runInOnnxruntimePython } from '../helpers/onnxruntimePython';
import { loadReference, readRows } from '../helpers/reference';
import { tinyModelDir } from '../helpers/shared';

/**
 * The 8-bit graphs of the tiny CLIP (`*_int8.onnx`: dtype int8, `*_quantized.onnx`: dtype q8) against
 * onnxruntime for Python on the same graphs and the same pixels / input_ids.
 *
 * The reference runs on this machine: onnxruntime's integer kernels depend on the CPU (on x86 without
 * VNNI, u8 x s8 products are summed in pairs into saturating 16-bit lanes), so the shared
 * `reference/<dtype>/` files, computed on a CPU with VNNI, only stand in where this CPU has VNNI too and
 * Python is missing. Random weights quantise gently, so the fp32 reference is itself close: besides the
 * bar, each test checks that the product is much closer to the 8-bit reference than to the fp32 one,
 * which only holds when the 8-bit graph is the one loaded and fed correctly.
 */
const reference = loadReference(tinyModelDir);
const dimension = reference.imageEmbeds[0]!.length;
const python = referencePython();
const useStored = !python && cpuHasVnni();
const describeParity = python || useStored ? describe.each : describe.skip.each;
if (!python && !useStored) {
  console.warn('8-bit parity skipped: no onnxruntime for Python here (pnpm --filter @sis/bench python-env makes it), and the stored references need a CPU with VNNI');
}
const IMAGE_BATCH = 16; // dynamic quantisation scales activations per batch: both sides run the same batches

function gap(a: Float32Array[], b: Float32Array[]): number[] {
  return a.map((row, i) => 1 - cosine(row, b[i]!));
}
const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
const graphFile = (tower: 'vision' | 'text', dtype: ModelDtype) => path.join(tinyModelDir, 'onnx', `${tower}_model${dtype === 'q8' ? '_quantized' : `_${dtype}`}.onnx`);

describeParity(['int8', 'q8'] as const)('%s parity with onnxruntime-Python on the same graph: clip-tiny-random', (dtype: ModelDtype) => {
  const referenceDir = path.join(tinyModelDir, 'reference', dtype);
  const stored = (file: string) => readRows(path.join(referenceDir, file), dimension);
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
    const batches: { values: Float32Array; dims: number[] }[] = [];
    for (let start = 0; start < reference.images.length; start += IMAGE_BATCH) {
      const batch = reference.images.slice(start, start + IMAGE_BATCH);
      const pixels = (await Promise.all(batch.map((image) => prepareClipImage(image.absolutePath, embedder.preprocess, limits)))).map((image) => image.pixelValues);
      embeddings.push(...(await embedder.embedPixels(pixels)));
      const values = new Float32Array(pixels.reduce((sum, p) => sum + p.length, 0));
      pixels.forEach((p, i) => values.set(p, i * p.length));
      const side = Math.sqrt(pixels[0]!.length / 3);
      batches.push({ values, dims: [pixels.length, 3, side, side] });
    }
    const imageReference = python
      ? runInOnnxruntimePython(python, graphFile('vision', dtype), 'pixel_values', 'image_embeds', batches, dimension)
      : stored('image_embeds.f32');
    const toQuantized = gap(embeddings, imageReference);
    const toFp32 = gap(embeddings, reference.imageEmbeds);
    console.log(`${dtype} image parity (${python ? 'onnxruntime-Python here' : 'stored reference'}): min cosine ${(1 - Math.max(...toQuantized)).toFixed(7)} (to fp32 reference: ${(1 - Math.max(...toFp32)).toFixed(7)})`);
    expect(embeddings).toHaveLength(80);
    expect(1 - Math.max(...toQuantized)).toBeGreaterThanOrEqual(0.9999);
    expect(mean(toQuantized)).toBeLessThan(mean(toFp32) / 10);
  }, 120_000);

  it('embeds the 75 reference texts with cosine >= 0.9999, far closer to the 8-bit reference than to fp32', async () => {
    const embeddings: Float32Array[] = [];
    // One text per call as the reference ran them (a padded batch quantises with the padding's range).
    for (const text of reference.texts) embeddings.push(...(await embedder.embedTexts([text.text])));
    const runs = reference.texts.map((text) => ({ values: BigInt64Array.from(text.input_ids.map(BigInt)), dims: [1, text.input_ids.length] }));
    const textReference = python
      ? runInOnnxruntimePython(python, graphFile('text', dtype), 'input_ids', 'text_embeds', runs, dimension)
      : stored('text_embeds.f32');
    const toQuantized = gap(embeddings, textReference);
    const toFp32 = gap(embeddings, reference.textEmbeds);
    console.log(`${dtype} text parity (${python ? 'onnxruntime-Python here' : 'stored reference'}): min cosine ${(1 - Math.max(...toQuantized)).toFixed(7)} (to fp32 reference: ${(1 - Math.max(...toFp32)).toFixed(7)})`);
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
