import { useQuery } from '@apollo/client/react';
import { IMAGE_QUERY } from '../graphql';
import { fileName } from '../format';
import type { UrlTerm } from '../url';

export interface TermChipsProps {
  terms: readonly UrlTerm[];
  onRemove: (index: number) => void;
}

/** "+2", "−1", "+0.5": a term's weight as the chip shows it. */
export function formatWeight(weight: number): string {
  return `${weight < 0 ? '\u2212' : '+'}${Math.abs(weight)}`;
}

/** The terms of a composite query beside the search box: each with its weight, each removable. */
export function TermChips({ terms, onRemove }: TermChipsProps): React.JSX.Element | null {
  if (terms.length === 0) return null;
  return (
    <ul className="term-chips" aria-label="Query terms">
      {terms.map((term, index) => (
        <li key={`${index}:${term.kind}:${term.value}`}>
          {term.kind === 'img' ? <ImageTermChip term={term} onRemove={() => onRemove(index)} /> : <Chip term={term} label={`“${term.value}”`} onRemove={() => onRemove(index)} />}
        </li>
      ))}
    </ul>
  );
}

function ImageTermChip({ term, onRemove }: { term: UrlTerm; onRemove: () => void }) {
  const { data } = useQuery(IMAGE_QUERY, { variables: { id: term.value } });
  const image = data?.image;
  return <Chip term={term} label={image ? fileName(image.path) : `image #${term.value}`} imageSrc={image?.thumbnailUrl} onRemove={onRemove} />;
}

function Chip({ term, label, imageSrc, onRemove }: { term: UrlTerm; label: string; imageSrc?: string; onRemove: () => void }) {
  const sign = term.weight < 0 ? 'negative' : 'positive';
  const spoken = `${term.weight < 0 ? 'Less like' : 'More like'} ${label}, weight ${term.weight}`;
  return (
    <span className={`chip chip--term chip--${sign}`} data-testid="term-chip" data-kind={term.kind} data-value={term.value} data-weight={term.weight} title={spoken}>
      <span className="chip-weight" aria-hidden="true">
        {formatWeight(term.weight)}
      </span>
      {imageSrc && <img src={imageSrc} alt="" className="chip-image" />}
      <span className="chip-label" aria-hidden="true">{label}</span>
      <span className="visually-hidden">{spoken}</span>
      <button type="button" className="chip-remove" onClick={onRemove} aria-label={`Remove ${term.weight < 0 ? 'less like' : 'more like'} ${label}`}>
        ×
      </button>
    </span>
  );
}
