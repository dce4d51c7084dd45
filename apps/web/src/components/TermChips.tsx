import { useState, type FormEvent, type KeyboardEvent } from 'react';
import { useQuery } from '@apollo/client/react';
import { IMAGE_QUERY } from '../graphql';
import { fileName } from '../format';
import type { UrlTerm } from '../url';

export interface TermChipsProps {
  terms: readonly UrlTerm[];
  onRemove: (index: number) => void;
  /** "Leave out…": a description to subtract (a -1 text term); the control shows only while a search is on screen. */
  onSubtractText?: (text: string) => void;
  maxLength?: number;
}

/** "+2", "−1", "+0.5": a term's weight as the chip shows it. */
export function formatWeight(weight: number): string {
  return `${weight < 0 ? '\u2212' : '+'}${Math.abs(weight)}`;
}

/** The terms of a composite query beside the search box: each with its weight, each removable; then "Leave out…". */
export function TermChips({ terms, onRemove, onSubtractText, maxLength }: TermChipsProps): React.JSX.Element | null {
  if (terms.length === 0 && !onSubtractText) return null;
  return (
    <ul className="term-chips" aria-label="Query terms">
      {terms.map((term, index) => (
        <li key={`${index}:${term.kind}:${term.value}`}>
          {term.kind === 'img' ? <ImageTermChip term={term} onRemove={() => onRemove(index)} /> : <Chip term={term} label={`“${term.value}”`} onRemove={() => onRemove(index)} />}
        </li>
      ))}
      {onSubtractText && (
        <li>
          <SubtractText onSubmit={onSubtractText} maxLength={maxLength} />
        </li>
      )}
    </ul>
  );
}

/** A button that opens a one-line field: Enter adds its text as a -1 term, Escape closes it. */
function SubtractText({ onSubmit, maxLength }: { onSubmit: (text: string) => void; maxLength?: number }) {
  const [open, setOpen] = useState(false);
  const [text, setText] = useState('');
  if (!open) {
    return (
      <button type="button" className="link-button term-subtract" onClick={() => setOpen(true)}>
        − Leave out…
      </button>
    );
  }
  const submit = (event: FormEvent | KeyboardEvent) => {
    event.preventDefault();
    const value = text.trim();
    if (value === '') return;
    setText('');
    setOpen(false);
    onSubmit(value);
  };
  return (
    <input
      type="text"
      className="term-subtract-input"
      aria-label="Leave out photos like this description (Enter)"
      placeholder="e.g. people (Enter)"
      value={text}
      maxLength={maxLength}
      autoFocus
      onChange={(event) => setText(event.target.value)}
      onKeyDown={(event) => {
        if (event.key === 'Enter') submit(event);
        else if (event.key === 'Escape') {
          event.preventDefault();
          setOpen(false);
        }
      }}
      onBlur={() => text.trim() === '' && setOpen(false)}
    />
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
