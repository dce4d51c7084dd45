import fs from 'node:fs';
import { InvalidArgumentError } from 'commander';
import type { QueryTerm } from '@sis/core';
import { resolveUserPath, UserFacingError } from './context';

/** One --add / --subtract / --add-image / --subtract-image value as typed: `[WEIGHT:]VALUE`. */
export interface WeightedArgument {
  kind: 'text' | 'image';
  weight: number;
  value: string;
}

/** A leading number and a colon is a weight ("2:snow", "0.5:./pool.jpg", "1e-1:x"); anything else is the value itself. */
const WEIGHT_PREFIX = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?):(.*)$/is;

export function parseWeighted(raw: string, kind: WeightedArgument['kind'], sign: 1 | -1): WeightedArgument {
  const match = WEIGHT_PREFIX.exec(raw);
  const weight = match ? Number(match[1]) : 1;
  const value = (match ? match[2]! : raw).trim();
  if (!Number.isFinite(weight) || weight === 0) throw new InvalidArgumentError(`the weight must be a finite number other than 0 (got ${match![1]}).`);
  if (value === '') throw new InvalidArgumentError(`nothing after the weight: write WEIGHT:${kind === 'text' ? 'TEXT' : 'FILE'}, e.g. ${kind === 'text' ? '2:snow' : '0.5:./pool.jpg'}.`);
  return { kind, weight: sign * weight, value };
}

/** commander option parsers that collect repeated flags in the order typed. */
export function collectWeighted(kind: WeightedArgument['kind'], sign: 1 | -1): (raw: string, previous: WeightedArgument[] | undefined) => WeightedArgument[] {
  return (raw, previous) => [...(previous ?? []), parseWeighted(raw, kind, sign)];
}

/**
 * The engine's terms: the positional text (weight 1) first, then the flags in the order typed. A file that is already
 * in the index counts as that indexed image (its stored vector, left out of the results, as "More like this" does in
 * the web app and `terms: [{ imageId }]` in GraphQL); any other file is decoded and embedded.
 */
export function toQueryTerms(text: string, flags: WeightedArgument[], indexedIdOf: (realPath: string) => number | undefined): QueryTerm[] {
  const terms: QueryTerm[] = text === '' ? [] : [{ kind: 'text', text, weight: 1 }];
  for (const flag of flags) {
    if (flag.kind === 'text') {
      terms.push({ kind: 'text', text: flag.value, weight: flag.weight });
      continue;
    }
    const file = resolveUserPath(flag.value);
    if (!fs.existsSync(file)) throw new UserFacingError(`Image not found: ${file}`);
    const id = indexedIdOf(fs.realpathSync(file));
    terms.push(id === undefined ? { kind: 'image', image: file, name: flag.value, weight: flag.weight } : { kind: 'indexed', id, weight: flag.weight });
  }
  return terms;
}

/** `"golden retriever" + 2 × "snow" − "people" + ./pool.jpg`, for the results' header line. */
export function describeTerms(text: string, flags: WeightedArgument[]): string {
  const parts = text === '' ? [] : [JSON.stringify(text)];
  for (const flag of flags) {
    const value = flag.kind === 'text' ? JSON.stringify(flag.value) : flag.value;
    const magnitude = Math.abs(flag.weight) === 1 ? '' : `${Math.abs(flag.weight)} × `;
    const sign = flag.weight < 0 ? '−' : '+';
    parts.push(parts.length === 0 && sign === '+' ? `${magnitude}${value}` : `${sign} ${magnitude}${value}`);
  }
  return parts.join(' ');
}
