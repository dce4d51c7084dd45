import { AutoTokenizer, type PreTrainedTokenizer, type Tensor } from './transformers';

/**
 * How a family pads its texts. CLIP pools at the end token, so padding to the longest text of the
 * batch is exact; SigLIP pools at the last position, so every row must have the length it was trained
 * with (the tokenizer's model_max_length, 64 for the published models), padded with its pad token.
 */
export type TextPadding = 'longest' | 'max_length';

/**
 * Tokenisation that matches the reference tokenizers (CLIPTokenizer, SiglipTokenizer): the model's own
 * tokenizer files decide the vocabulary, normalisation, pad token and maximum length. transformers.js
 * drops the end token when it truncates, and both families need it there (CLIP pools at it; SigLIP's
 * reference truncates with `</s>` last), so truncated rows get it back in their last position.
 */
export class ModelTokenizer {
  private constructor(
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly padding: TextPadding,
    /** Row length: at most this many tokens (CLIP), or exactly this many (SigLIP). */
    readonly maxLength: number,
  ) {}

  /** `positionLimit`: the text tower's max_position_embeddings, the bound when the tokenizer gives none. */
  static async load(modelId: string, padding: TextPadding, positionLimit: number): Promise<ModelTokenizer> {
    const tokenizer = await AutoTokenizer.from_pretrained(modelId);
    const declared = Number(tokenizer.model_max_length);
    // transformers' "no limit" is a huge sentinel; the model's position table is the real bound.
    const maxLength = Number.isInteger(declared) && declared > 0 && declared <= positionLimit ? declared : positionLimit;
    if (padding === 'max_length' && tokenizer.pad_token_id === undefined) {
      throw new Error('the tokenizer has no pad token, which this model family pads its texts with');
    }
    return new ModelTokenizer(tokenizer, padding, maxLength);
  }

  /** input_ids as an int64 tensor [texts, longest <= maxLength] ('longest') or [texts, maxLength] ('max_length'). */
  encode(texts: string[]): Tensor {
    const encoded =
      this.padding === 'longest'
        ? this.tokenizer(texts, { padding: true, truncation: true })
        : this.tokenizer(texts, { padding: 'max_length', truncation: true, max_length: this.maxLength });
    const inputIds = encoded.input_ids as Tensor;
    const [rows, columns] = inputIds.dims as [number, number];
    const ids = inputIds.data as BigInt64Array;
    const endToken = BigInt(this.tokenizer.eos_token_id);
    if (columns === this.maxLength) {
      for (let row = 0; row < rows; row++) {
        const last = row * columns + columns - 1;
        if (ids[last] !== endToken) ids[last] = endToken;
      }
    }
    return inputIds;
  }
}
