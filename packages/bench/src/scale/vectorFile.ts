import fs from 'node:fs';
import type { VectorSource } from '@sis/core';

/**
 * Raw float32 matrices on disk (row after row, no header: the scale run's manifest says the shape), so
 * that each measuring process reads only what it needs and a million vectors never travel over IPC.
 */

const BYTES = 4;

export function writeRows(fd: number, rows: Float32Array, firstRow: number, dimension: number): void {
  const bytes = Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength);
  let written = 0;
  while (written < bytes.length) {
    written += fs.writeSync(fd, bytes, written, bytes.length - written, firstRow * dimension * BYTES + written);
  }
}

export function readRows(fd: number, firstRow: number, count: number, dimension: number): Float32Array {
  const out = new Float32Array(count * dimension);
  const bytes = Buffer.from(out.buffer);
  let read = 0;
  while (read < bytes.length) {
    const n = fs.readSync(fd, bytes, read, bytes.length - read, firstRow * dimension * BYTES + read);
    if (n === 0) throw new Error(`vector file ends before row ${firstRow + count}`);
    read += n;
  }
  return out;
}

export function readMatrix(file: string, dimension: number): Float32Array {
  const fd = fs.openSync(file, 'r');
  try {
    return readRows(fd, 0, fs.fstatSync(fd).size / (dimension * BYTES), dimension);
  } finally {
    fs.closeSync(fd);
  }
}

export function writeMatrix(file: string, rows: Float32Array): void {
  fs.writeFileSync(file, Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength));
}

/**
 * The engine's VectorSource (what index builds read) over a vector file: row r has id r + 1, as catalogue
 * ids start at 1. The engine's own build code (plan, training sample, chunked adds, tuning) then runs on it.
 */
export class FileVectorSource implements VectorSource {
  constructor(
    private readonly fd: number,
    private readonly rows: number,
    private readonly dimension: number,
  ) {}

  ids(): number[] {
    return Array.from({ length: this.rows }, (_, row) => row + 1);
  }

  byIds(ids: readonly number[]): { ids: number[]; vectors: Float32Array } {
    const valid = ids.filter((id) => id >= 1 && id <= this.rows);
    const vectors = new Float32Array(valid.length * this.dimension);
    valid.forEach((id, i) => vectors.set(readRows(this.fd, id - 1, 1, this.dimension), i * this.dimension));
    return { ids: valid, vectors };
  }

  chunk(afterId: number, limit: number): { ids: number[]; vectors: Float32Array } {
    const first = Math.max(0, afterId); // id afterId + 1 is row afterId
    const count = Math.max(0, Math.min(limit, this.rows - first));
    return { ids: Array.from({ length: count }, (_, i) => first + i + 1), vectors: readRows(this.fd, first, count, this.dimension) };
  }
}
