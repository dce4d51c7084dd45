import { createCopyReader, type CopiedEmbeddings } from '../../src/store/copyBinary';

const createEmbeddingCopyReader = (dimension: number, capacity: number) => {
  const reader = createCopyReader({ kind: 'embeddings', dimension, capacity });
  return { push: (chunk: Uint8Array) => reader.push(chunk), finish: () => reader.finish() as CopiedEmbeddings };
};

/** PostgreSQL's binary COPY of rows (id bigint, vector bytea), as the server sends it. */
function copyData(rows: readonly { id: number; vector: Float32Array | null }[], extension = 0): Buffer {
  const parts: Buffer[] = [Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1')];
  const header = Buffer.alloc(8 + extension);
  header.writeUInt32BE(0, 0);
  header.writeUInt32BE(extension, 4);
  parts.push(header);
  for (const row of rows) {
    const head = Buffer.alloc(2 + 4 + 8 + 4);
    head.writeInt16BE(2, 0);
    head.writeInt32BE(8, 2);
    head.writeBigInt64BE(BigInt(row.id), 6);
    head.writeInt32BE(row.vector ? row.vector.byteLength : -1, 14);
    parts.push(head);
    if (row.vector) parts.push(Buffer.from(row.vector.buffer, row.vector.byteOffset, row.vector.byteLength));
  }
  const trailer = Buffer.alloc(2);
  trailer.writeInt16BE(-1, 0);
  parts.push(trailer);
  return Buffer.concat(parts);
}

const D = 5;
const rows = Array.from({ length: 37 }, (_, i) => ({ id: 3 * i + 2 ** 40, vector: Float32Array.from({ length: D }, (_, d) => i * 10 + d + 0.25) }));

describe('binary COPY reader', () => {
  test('reads every row exactly, whatever the chunk boundaries, growing past its capacity', () => {
    const data = copyData(rows, 3);
    for (const chunkSize of [1, 2, 7, 19, 64, data.length]) {
      const reader = createEmbeddingCopyReader(D, 4);
      for (let at = 0; at < data.length; at += chunkSize) reader.push(data.subarray(at, at + chunkSize));
      const copied = reader.finish();
      expect(copied.count).toBe(rows.length);
      expect(Array.from(copied.ids.subarray(0, copied.count))).toEqual(rows.map((row) => row.id));
      expect(Array.from(copied.vectors.subarray(0, copied.count * D))).toEqual(rows.flatMap((row) => Array.from(row.vector)));
      expect(copied.damaged).toBeUndefined();
    }
  });

  test('a missing or wrongly sized vector is reported with the first such id', () => {
    const data = copyData([rows[0]!, { id: 99, vector: null }, { id: 100, vector: new Float32Array(D + 1) }]);
    const reader = createEmbeddingCopyReader(D, 3);
    reader.push(data);
    expect(reader.finish().damaged).toEqual({ id: 99, bytes: 0 });
  });

  test('data cut short, or not COPY data at all, is refused', () => {
    const data = copyData(rows);
    const cut = createEmbeddingCopyReader(D, 1);
    cut.push(data.subarray(0, data.length - 3));
    expect(() => cut.finish()).toThrow('ended early');
    expect(() => createEmbeddingCopyReader(D, 1).push(Buffer.alloc(40))).toThrow('not PostgreSQL binary COPY data');
    expect(() => createEmbeddingCopyReader(0, 1).push(data)).toThrow('2 fields, expected 1');
  });
});

test('json rows become one JSON array, whatever the chunk boundaries', () => {
  const values = [{ id: 1, path: '/a "quoted"\\path.jpg' }, { id: 2, path: '/ünïcode/\n.jpg' }, { id: 3, path: '' }];
  const parts: Buffer[] = [Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)];
  for (const value of values) {
    const text = Buffer.from(JSON.stringify(value), 'utf8');
    const head = Buffer.alloc(6);
    head.writeInt16BE(1, 0);
    head.writeInt32BE(text.length, 2);
    parts.push(head, text);
  }
  parts.push(Buffer.from([0xff, 0xff]));
  const data = Buffer.concat(parts);
  for (const chunkSize of [1, 5, data.length]) {
    const reader = createCopyReader({ kind: 'json' });
    for (let at = 0; at < data.length; at += chunkSize) reader.push(data.subarray(at, at + chunkSize));
    const copied = reader.finish();
    expect(copied.kind === 'json' && JSON.parse(new TextDecoder().decode(copied.json))).toEqual(values);
    expect(copied.count).toBe(3);
  }
});
