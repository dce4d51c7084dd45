import { Field, Float, ID, InputType } from 'type-graphql';
import { readImageHeader, type ImageHeader, type QueryTerm } from '@sis/core';
import type { ApiContext } from '../context';
import { UserInputError } from '../errors';
import { decodeBase64Upload } from '../upload';
import { decodeBytes } from '../uploadBudget';
import { parseImageId } from './present';

@InputType({ description: 'One term of a composite search: exactly one of text, imageId or imageBase64, with a weight.' })
export class SearchTermInput {
  @Field(() => String, { nullable: true, description: 'A description (1 to maxQueryLength characters).' })
  text?: string | null;

  @Field(() => ID, { nullable: true, description: 'An indexed image (SearchHit.id); it is left out of the hits.' })
  imageId?: string | null;

  @Field(() => String, { nullable: true, description: 'An image file in base64 (as searchByImage takes it), at most maxUploadBytes once decoded.' })
  imageBase64?: string | null;

  @Field(() => Float, {
    nullable: true,
    defaultValue: 1,
    description: "How much the term counts: finite and not 0; negative subtracts. The query vector is the sum of the terms' unit embeddings times their weights, scaled to unit length (scores stay cosines).",
  })
  weight?: number | null;
}

/** The engine's terms for a search's `query` and `terms`, with the headers of the uploaded images (for the decode budget). */
export function toQueryTerms(query: string | null | undefined, terms: readonly SearchTermInput[], ctx: ApiContext): { terms: QueryTerm[]; uploads: Buffer[] } {
  const result: QueryTerm[] = query === null || query === undefined ? [] : [{ kind: 'text', text: query, weight: 1, label: 'query' }];
  const uploads: Buffer[] = [];
  terms.forEach((input, i) => {
    const name = `terms[${i}]`;
    const weight = input.weight ?? 1;
    const given = (['text', 'imageId', 'imageBase64'] as const).filter((key) => input[key] !== null && input[key] !== undefined);
    if (given.length !== 1) {
      throw new UserInputError(`${name} must have exactly one of text, imageId or imageBase64 (got ${given.length === 0 ? 'none' : given.join(' and ')}).`);
    }
    if (input.text !== null && input.text !== undefined) result.push({ kind: 'text', text: input.text, weight, label: name });
    else if (input.imageId !== null && input.imageId !== undefined) {
      const id = parseImageId(input.imageId.trim());
      if (id === undefined) throw new UserInputError(`${name}.imageId must be the id of an indexed image (a positive whole number such as "42"), got ${JSON.stringify(input.imageId.slice(0, 40))}.`);
      result.push({ kind: 'indexed', id, weight, label: name });
    } else {
      let bytes: Buffer;
      try {
        bytes = decodeBase64Upload(input.imageBase64!, ctx.limits.maxUploadBytes);
      } catch (error) {
        if (error instanceof UserInputError) throw new UserInputError(`${name}: ${error.message}`);
        throw error;
      }
      uploads.push(bytes);
      result.push({ kind: 'image', image: bytes, weight, label: name });
    }
  });
  return { terms: result, uploads };
}

/**
 * Admits the uploaded images' decoding to the server's upload budget. The engine decodes a query's images one after
 * another, so one reservation, for the largest, covers them all. Unreadable headers are left to the decoder.
 */
export async function admitUploads(uploads: readonly Buffer[], ctx: ApiContext): Promise<() => void> {
  let largest: ImageHeader | undefined;
  for (const bytes of uploads) {
    const header = await readImageHeader(bytes);
    if (header && header.width * header.height <= ctx.limits.maxPixels && (!largest || decodeBytes(header) > decodeBytes(largest))) largest = header;
  }
  return largest ? ctx.uploads.acquire(largest) : () => undefined;
}
