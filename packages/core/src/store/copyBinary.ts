/**
 * Reads PostgreSQL's binary COPY format (COPY ... TO STDOUT (FORMAT binary)) straight into typed arrays: a
 * replica's bulk load of a million embeddings makes no per-row JS object, and the arrays cross from the `pg`
 * worker thread to the caller by transfer, not by structured clone (syncPostgres.ts). Two row shapes:
 * - 'embeddings': (id bigint) when dimension is 0, else (id bigint, vector bytea of dimension float32 LE);
 * - 'json': (one json column): the rows' texts joined into one JSON array, for a single JSON.parse.
 *
 * Runs on that worker thread, serialised with toString: it may use only globals (no imports, no closures).
 */

export type CopyShape = { kind: 'embeddings'; dimension: number; capacity: number } | { kind: 'json' };

export interface CopiedEmbeddings {
  kind: 'embeddings';
  /** Row ids, in the order COPY sent them (count of them are set; the buffer may be longer). */
  ids: Float64Array<ArrayBuffer>;
  /** count * dimension floats (dimension 0: empty). */
  vectors: Float32Array<ArrayBuffer>;
  count: number;
  /** The first row whose vector was missing or of the wrong size: the catalogue is damaged. */
  damaged?: { id: number; bytes: number };
}

export interface CopiedJson {
  kind: 'json';
  /** UTF-8 text of one JSON array holding every row's value. */
  json: Uint8Array<ArrayBuffer>;
  count: number;
}

export interface CopyReader {
  push(chunk: Uint8Array): void;
  finish(): CopiedEmbeddings | CopiedJson;
}

/** Throws on anything that is not binary COPY data of the expected shape. */
export function createCopyReader(shape: CopyShape): CopyReader {
  const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];
  const dimension = shape.kind === 'embeddings' ? shape.dimension : 0;
  const vectorBytes = dimension * 4;
  const fields = shape.kind === 'embeddings' && dimension > 0 ? 2 : 1;
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  let rows = Math.max(1, shape.kind === 'embeddings' ? shape.capacity : 1);
  let ids = new Float64Array(shape.kind === 'embeddings' ? rows : 0);
  let vectors = new Float32Array(rows * dimension);
  let vectorView = new Uint8Array(vectors.buffer);
  let text = new Uint8Array(shape.kind === 'json' ? 1 << 16 : 0);
  let textLength = 0;
  let count = 0;
  let damaged: { id: number; bytes: number } | undefined;
  let headerRead = false;
  let ended = false;
  let pending: Uint8Array = new Uint8Array(0);

  const grow = () => {
    rows *= 2;
    const moreIds = new Float64Array(rows);
    moreIds.set(ids);
    ids = moreIds;
    const moreVectors = new Float32Array(rows * dimension);
    moreVectors.set(vectors);
    vectors = moreVectors;
    vectorView = new Uint8Array(vectors.buffer);
  };

  const appendText = (bytes: Uint8Array) => {
    if (textLength + bytes.length > text.length) {
      const bigger = new Uint8Array(Math.max(text.length * 2, textLength + bytes.length));
      bigger.set(text.subarray(0, textLength));
      text = bigger;
    }
    text.set(bytes, textLength);
    textLength += bytes.length;
  };
  if (shape.kind === 'json') appendText(new Uint8Array([0x5b])); // [

  /** Takes one row starting at `at` (its field count read already) if it is complete; returns its end, or -1. */
  const takeRow = (bytes: Uint8Array, view: DataView, at: number): number => {
    if (shape.kind === 'json') {
      if (bytes.length - at < 4) return -1;
      const size = view.getInt32(at);
      if (size < 0) throw new Error('binary COPY json value is NULL');
      if (bytes.length - at - 4 < size) return -1;
      if (count > 0) appendText(new Uint8Array([0x2c])); // ,
      appendText(bytes.subarray(at + 4, at + 4 + size)); // json (not jsonb) is sent as its text
      return at + 4 + size;
    }
    if (bytes.length - at < 12 + (fields === 2 ? 4 : 0)) return -1;
    if (view.getInt32(at) !== 8) throw new Error('binary COPY id is not a bigint');
    const id = Number(view.getBigInt64(at + 4));
    let next = at + 12;
    let length = 0;
    if (fields === 2) {
      length = view.getInt32(next);
      next += 4;
      if (length > 0 && bytes.length - next < length) return -1;
    }
    if (count === rows) grow();
    ids[count] = id;
    if (fields === 2) {
      if (length === vectorBytes) {
        const row = bytes.subarray(next, next + length);
        if (littleEndian) {
          vectorView.set(row, count * vectorBytes);
        } else {
          const rowView = new DataView(row.buffer, row.byteOffset, row.byteLength);
          for (let d = 0; d < dimension; d++) vectors[count * dimension + d] = rowView.getFloat32(d * 4, true);
        }
      } else if (!damaged) {
        damaged = { id, bytes: Math.max(length, 0) };
      }
      next += Math.max(length, 0);
    }
    return next;
  };

  /** Parses what is complete in `bytes`; returns the offset of the first byte not yet used. */
  const parse = (bytes: Uint8Array): number => {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 0;
    if (!headerRead) {
      if (bytes.length < 19) return 0;
      for (let i = 0; i < SIGNATURE.length; i++) if (bytes[i] !== SIGNATURE[i]) throw new Error('not PostgreSQL binary COPY data');
      const extension = view.getUint32(15);
      if (bytes.length < 19 + extension) return 0;
      at = 19 + extension;
      headerRead = true;
    }
    while (!ended && bytes.length - at >= 2) {
      const fieldCount = view.getInt16(at);
      if (fieldCount === -1) {
        ended = true;
        return at + 2;
      }
      if (fieldCount !== fields) throw new Error(`binary COPY row has ${fieldCount} fields, expected ${fields}`);
      const next = takeRow(bytes, view, at + 2);
      if (next < 0) break;
      count++;
      at = next;
    }
    return at;
  };

  return {
    push(chunk: Uint8Array): void {
      if (ended) return;
      let bytes: Uint8Array = chunk;
      if (pending.length > 0) {
        bytes = new Uint8Array(pending.length + chunk.length);
        bytes.set(pending);
        bytes.set(chunk, pending.length);
      }
      // Copied: the stream may reuse its chunk's memory.
      pending = bytes.slice(parse(bytes));
    },
    finish(): CopiedEmbeddings | CopiedJson {
      if (!ended || pending.length > 0) throw new Error('binary COPY data ended early');
      if (shape.kind === 'json') {
        appendText(new Uint8Array([0x5d])); // ]
        return { kind: 'json', json: text.subarray(0, textLength), count };
      }
      return { kind: 'embeddings', ids, vectors, count, ...(damaged ? { damaged } : {}) };
    },
  };
}
