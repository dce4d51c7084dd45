import fs from 'node:fs';
import path from 'node:path';
import { sharedDir } from './shared';

export interface ReferenceImage {
  index: number;
  path: string;
  orig_size_wh: [number, number];
}
export interface ReferenceText {
  index: number;
  kind: string;
  text: string;
  input_ids: number[];
}
export interface ReferenceSet {
  images: (ReferenceImage & { absolutePath: string })[];
  texts: ReferenceText[];
  imageEmbeds: Float32Array[];
  textEmbeds: Float32Array[];
}

export function readRows(file: string, dimension: number): Float32Array[] {
  const bytes = fs.readFileSync(file);
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const rows: Float32Array[] = [];
  for (let offset = 0; offset < all.length; offset += dimension) rows.push(all.slice(offset, offset + dimension));
  return rows;
}

/** The Python (Hugging Face transformers) reference embeddings shipped beside a shared model. */
export function loadReference(modelDir: string): ReferenceSet {
  const referenceDir = path.join(modelDir, 'reference');
  const manifest = JSON.parse(fs.readFileSync(path.join(referenceDir, 'manifest.json'), 'utf8')) as {
    images: ReferenceImage[];
    texts: ReferenceText[];
    binaries: Record<string, { file: string; shape: number[] }>;
  };
  const dimension = manifest.binaries.image_embeds!.shape[1]!;
  return {
    images: manifest.images.map((image) => ({ ...image, absolutePath: path.join(sharedDir, image.path) })),
    texts: manifest.texts,
    imageEmbeds: readRows(path.join(referenceDir, manifest.binaries.image_embeds!.file), dimension),
    textEmbeds: readRows(path.join(referenceDir, manifest.binaries.text_embeds!.file), dimension),
  };
}
