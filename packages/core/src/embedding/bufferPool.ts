/**
 * Input batch buffers kept for reuse: indexing fills one of ~5 MB (8 images at 224 px) per model call, and
 * allocating a new one each time made V8 collect garbage every few batches (each counts as external memory),
 * on the same cores as decoding and inference. A buffer is taken for one call and given back when its run
 * has finished (ONNX Runtime reads the input in place), so concurrent calls never share one.
 */
export class BufferPool {
  private readonly free: Float32Array[] = [];

  constructor(private readonly keep = 2) {}

  /** A buffer of exactly `length` values (contents undefined): a kept one of that length, else a new one. */
  take(length: number): Float32Array {
    const index = this.free.findIndex((buffer) => buffer.length === length);
    return index >= 0 ? this.free.splice(index, 1)[0]! : new Float32Array(length);
  }

  /** Keeps `buffer` for a later take (the oldest kept is dropped beyond `keep`). */
  give(buffer: Float32Array): void {
    this.free.push(buffer);
    if (this.free.length > this.keep) this.free.shift();
  }
}
