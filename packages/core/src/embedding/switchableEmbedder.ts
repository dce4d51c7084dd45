import type { ModelEmbedder } from './modelEmbedder';

/**
 * The engine's model, which a completed model switch replaces while the process runs: the searcher and the
 * indexer hold this, so that both move to the new model at the same moment as the library's vectors.
 */
export class SwitchableEmbedder implements ModelEmbedder {
  constructor(private current: ModelEmbedder) {}

  /** From now on every call goes to `next`. */
  use(next: ModelEmbedder): void {
    this.current = next;
  }

  get modelName(): string {
    return this.current.modelName;
  }

  get dimension(): number {
    return this.current.dimension;
  }

  get precision(): string {
    return this.current.precision;
  }

  get preprocess(): ModelEmbedder['preprocess'] {
    return this.current.preprocess;
  }

  get family(): ModelEmbedder['family'] {
    return this.current.family;
  }

  embedTexts(texts: string[]): Promise<Float32Array[]> {
    return this.current.embedTexts(texts);
  }

  embedPixels(pixelValues: Float32Array[]): Promise<Float32Array[]> {
    return this.current.embedPixels(pixelValues);
  }

  tokenize(text: string): Promise<number[]> {
    return this.current.tokenize(text);
  }

  warmUp(): Promise<void> {
    return this.current.warmUp();
  }
}
