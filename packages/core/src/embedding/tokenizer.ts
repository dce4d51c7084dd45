import { AutoTokenizer, type PreTrainedTokenizer, type Tensor } from './transformers';

/**
 * CLIP tokenisation that matches the reference CLIPTokenizer: transformers.js drops the
 * end-of-text token when it truncates, and CLIP pools the hidden state at that token, so
 * truncated rows get it back in their last position.
 */
export class ClipTokenizer {
  private constructor(private readonly tokenizer: PreTrainedTokenizer) {}

  static async load(modelId: string): Promise<ClipTokenizer> {
    return new ClipTokenizer(await AutoTokenizer.from_pretrained(modelId));
  }

  /** input_ids as an int64 tensor [texts, longest <= 77], padded with the end token. */
  encode(texts: string[]): Tensor {
    const encoded = this.tokenizer(texts, { padding: true, truncation: true });
    const inputIds = encoded.input_ids as Tensor;
    const [rows, columns] = inputIds.dims as [number, number];
    const ids = inputIds.data as BigInt64Array;
    const endToken = BigInt(this.tokenizer.eos_token_id);
    const maxLength = Number(this.tokenizer.model_max_length);
    if (columns === maxLength) {
      for (let row = 0; row < rows; row++) {
        const last = row * columns + columns - 1;
        if (ids[last] !== endToken) ids[last] = endToken;
      }
    }
    return inputIds;
  }
}
