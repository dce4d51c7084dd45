import type { Embedder } from '../embedding';
import { ImageSkipError, type ClipPreprocessSpec, type PreparedImage } from '../image';
import { InvalidSearchError } from './errors';

/**
 * A composite query: terms (texts, indexed images, other images), each with a weight; negative weights subtract.
 * The query vector is the weighted sum of the terms' unit embeddings, scaled to unit length again, so that scores
 * stay cosines in [-1, 1] (rclip sums without renormalising: the same ranking, scores not comparable).
 */
export type QueryTerm = QueryTermSource & {
  weight: number;
  /** How errors name the term, e.g. "terms[2]" (default "term N", 1-based). */
  label?: string;
};

export type QueryTermSource =
  /** A description to embed with the text tower. */
  | { kind: 'text'; text: string }
  /** An indexed image by catalogue id: its stored embedding, no decoding. */
  | { kind: 'indexed'; id: number }
  /** An image file (path) or its bytes, embedded with the vision tower; `name` (e.g. the path given) shows in errors. */
  | { kind: 'image'; image: string | Buffer; name?: string };

export interface ComposedQuery {
  /** Unit-length query vector. */
  vector: Float32Array;
  /** Indexed images used as terms: they are the query, so searches leave them out of the hits. */
  excludedIds: number[];
}

/** What composing needs from the engine: the embedder, the stored embeddings, and image decoding. */
export interface TermResolver {
  embedder: Pick<Embedder, 'embedTexts' | 'embedPixels' | 'preprocess'>;
  storedEmbedding(id: number): Float32Array | undefined;
  prepareImage(source: string | Buffer, spec: ClipPreprocessSpec): Promise<PreparedImage>;
}

export interface CompositeQueryLimits {
  maxTerms: number;
  maxQueryLength: number;
}

/** Terms accepted in one query unless the searcher's settings say otherwise. */
export const DEFAULT_MAX_TERMS = 32;

/**
 * A weighted sum whose length is below this fraction of the sum of |weights| is taken as cancelled out (e.g.
 * "+dog -dog"): its direction would be rounding noise, and its "cosines" meaningless.
 */
const CANCELLED_FRACTION = 1e-4;

/** "term 2 (text "snow")": how errors name a term, 1-based as people count. */
export function describeTerm(term: QueryTermSource & { label?: string }, index: number): string {
  const what =
    term.kind === 'text'
      ? `text ${JSON.stringify(term.text.length > 40 ? `${term.text.slice(0, 40)}…` : term.text)}`
      : term.kind === 'indexed'
        ? `image id ${term.id}`
        : term.name !== undefined
          ? `image ${term.name}`
          : 'uploaded image';
  return `${term.label ?? `term ${index + 1}`} (${what})`;
}

/** Checks every term (all problems found before any embedding), so a bad query costs no model time. */
export function checkTerms(terms: readonly QueryTerm[], limits: CompositeQueryLimits): void {
  if (terms.length === 0) throw new InvalidSearchError('The query has no terms: give at least one text or image to search by');
  if (terms.length > limits.maxTerms) throw new InvalidSearchError(`The query has ${terms.length} terms; the limit is ${limits.maxTerms}`);
  terms.forEach((term, index) => {
    const name = describeTerm(term, index);
    if (typeof term.weight !== 'number' || !Number.isFinite(term.weight) || term.weight === 0) {
      throw new InvalidSearchError(`${name}: the weight must be a finite number other than 0 (got ${term.weight}); negative weights subtract`);
    }
    if (term.kind === 'text') {
      const text = term.text.trim();
      if (text === '') throw new InvalidSearchError(`${name}: the text is empty`);
      if (text.length > limits.maxQueryLength) throw new InvalidSearchError(`${name}: the text is ${text.length} characters long; the limit is ${limits.maxQueryLength}`);
    }
    if (term.kind === 'indexed' && !Number.isSafeInteger(term.id)) throw new InvalidSearchError(`${name}: not a valid image id`);
  });
}

/** Embeds the terms (texts in one batch, images in one batch) and returns the renormalised weighted sum. */
export async function composeQuery(terms: readonly QueryTerm[], resolver: TermResolver, limits: CompositeQueryLimits): Promise<ComposedQuery> {
  checkTerms(terms, limits);
  const unit: (Float32Array | undefined)[] = new Array(terms.length);
  terms.forEach((term, index) => {
    if (term.kind !== 'indexed') return;
    const stored = resolver.storedEmbedding(term.id);
    if (!stored) throw new InvalidSearchError(`${describeTerm(term, index)}: no indexed image has this id`);
    unit[index] = stored;
  });

  const textIndexes = indexesOf(terms, 'text');
  if (textIndexes.length > 0) {
    const vectors = await resolver.embedder.embedTexts(textIndexes.map((i) => (terms[i] as { text: string }).text.trim()));
    textIndexes.forEach((termIndex, j) => (unit[termIndex] = vectors[j]));
  }

  const imageIndexes = indexesOf(terms, 'image');
  if (imageIndexes.length > 0) {
    const pixels: Float32Array[] = [];
    for (const termIndex of imageIndexes) {
      const term = terms[termIndex] as Extract<QueryTerm, { kind: 'image' }>;
      try {
        pixels.push((await resolver.prepareImage(term.image, resolver.embedder.preprocess)).pixelValues);
      } catch (error) {
        if (error instanceof ImageSkipError) throw new InvalidSearchError(`${describeTerm(term, termIndex)}: ${error.message}`, { cause: error });
        throw error;
      }
    }
    const vectors = await resolver.embedder.embedPixels(pixels);
    imageIndexes.forEach((termIndex, j) => (unit[termIndex] = vectors[j]));
  }

  const vector = weightedUnitSum(
    unit.map((embedding) => embedding!),
    terms.map((term) => term.weight),
  );
  const excludedIds = [...new Set(terms.flatMap((term) => (term.kind === 'indexed' ? [term.id] : [])))];
  return { vector, excludedIds };
}

/**
 * sum_i w_i * v_i / |v_i|, scaled to unit length; summed in float64 so that many terms lose nothing to rounding.
 * Throws when the sum cancels out (see CANCELLED_FRACTION).
 */
export function weightedUnitSum(vectors: readonly Float32Array[], weights: readonly number[]): Float32Array {
  const dimension = vectors[0]!.length;
  const sum = new Float64Array(dimension);
  let totalWeight = 0;
  vectors.forEach((vector, i) => {
    if (vector.length !== dimension) throw new Error(`Embeddings of different dimensions in one query (${vector.length} and ${dimension})`);
    let squares = 0;
    for (let d = 0; d < dimension; d++) squares += vector[d]! * vector[d]!;
    const scale = weights[i]! / Math.sqrt(squares);
    for (let d = 0; d < dimension; d++) sum[d]! += vector[d]! * scale;
    totalWeight += Math.abs(weights[i]!);
  });
  let squares = 0;
  for (let d = 0; d < dimension; d++) squares += sum[d]! * sum[d]!;
  const norm = Math.sqrt(squares);
  if (!(norm > CANCELLED_FRACTION * totalWeight)) {
    throw new InvalidSearchError('The terms cancel out: their weighted sum is (nearly) zero, so it points nowhere. Change a weight or remove a term');
  }
  return Float32Array.from(sum, (value) => value / norm);
}

function indexesOf(terms: readonly QueryTerm[], kind: QueryTerm['kind']): number[] {
  return terms.flatMap((term, index) => (term.kind === kind ? [index] : []));
}
