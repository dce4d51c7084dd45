import os from 'node:os';

/** Embeddings are stored as float32 little-endian BLOBs, whatever the host's byte order. */

const hostIsLittleEndian = os.endianness() === 'LE';

export function encodeEmbedding(vector: Float32Array): Buffer {
  if (hostIsLittleEndian) return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
  const bytes = Buffer.allocUnsafe(vector.length * 4);
  vector.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes;
}

/** Copies (SQLite buffers need not be 4-byte aligned); returns undefined if the BLOB does not hold `dimension` floats. */
export function decodeEmbedding(bytes: Uint8Array, dimension: number): Float32Array | undefined {
  if (bytes.byteLength !== dimension * 4) return undefined;
  const vector = new Float32Array(dimension);
  if (hostIsLittleEndian) {
    new Uint8Array(vector.buffer).set(bytes);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < dimension; i++) vector[i] = view.getFloat32(i * 4, true);
  }
  return vector;
}
