import { useEffect, useId, useRef, useState, type ChangeEvent, type FormEvent } from 'react';
import { useDebounced } from '../hooks';

/** What the query box shows instead of (or besides) text: an example image, or the indexed image of "find similar". */
export interface QueryChip {
  kind: 'image' | 'similar';
  label: string;
  imageSrc?: string;
}

export interface SearchFormProps {
  /** The committed text query (from the URL); the box follows it when it changes from outside (back/forward). */
  query: string;
  /** Searches as the user types (debounced), once searches have proved fast enough. */
  live: boolean;
  onSearch: (text: string, how: { live: boolean }) => void;
  chip?: QueryChip | null;
  onRemoveChip?: () => void;
  onPickImage?: (file: File) => void;
  maxLength?: number;
  disabled?: boolean;
  /** Shown under the query box: the composite query's term chips. */
  children?: React.ReactNode;
}

export const LIVE_SEARCH_DELAY_MS = 300;

export function SearchForm({ query, live, onSearch, chip, onRemoveChip, onPickImage, maxLength, disabled, children }: SearchFormProps): React.JSX.Element {
  const [text, setText] = useState(query);
  const lastSent = useRef(query);
  const inputId = useId();
  const hintId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const debounced = useDebounced((value: string) => {
    lastSent.current = value;
    onSearch(value, { live: true });
  }, LIVE_SEARCH_DELAY_MS);

  // Follow the URL when it changes from elsewhere (back/forward, "find similar"), not when it echoes what was typed.
  useEffect(() => {
    if (query !== lastSent.current) {
      lastSent.current = query;
      setText(query);
    }
  }, [query]);

  const onChange = (event: ChangeEvent<HTMLInputElement>) => {
    setText(event.target.value);
    if (live && event.target.value.trim() !== '') debounced.call(event.target.value.trim());
    else debounced.cancel();
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    debounced.cancel();
    const value = text.trim();
    if (value === '') return;
    lastSent.current = value;
    onSearch(value, { live: false });
  };

  const onFile = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (file) onPickImage?.(file);
  };

  return (
    <form role="search" className="search-form" onSubmit={onSubmit} aria-label="Search photos">
      <label htmlFor={inputId} className="visually-hidden">
        Describe the photo you are looking for
      </label>
      <div className="query-box">
        {chip && (
          <span className={`chip chip--${chip.kind}`} data-testid="query-chip">
            {chip.imageSrc && <img src={chip.imageSrc} alt="" className="chip-image" />}
            <span className="chip-label">{chip.label}</span>
            <button type="button" className="chip-remove" onClick={onRemoveChip} aria-label={`Remove ${chip.label}`}>
              ×
            </button>
          </span>
        )}
        <input
          ref={inputRef}
          id={inputId}
          type="search"
          name="q"
          value={text}
          onChange={onChange}
          placeholder={chip ? 'Or describe a photo…' : 'Describe a photo, e.g. a dog running in the snow'}
          autoComplete="off"
          spellCheck={false}
          enterKeyHint="search"
          maxLength={maxLength}
          disabled={disabled}
          aria-describedby={hintId}
        />
        <button type="submit" className="primary" disabled={disabled}>
          Search
        </button>
      </div>
      {children}
      <p id={hintId} className="hint">
        {live ? 'Results update as you type. ' : 'Press Enter to search. '}
        Or search by an image: drop or paste one anywhere on the page, or{' '}
        <label className="file-pick">
          <input type="file" accept="image/*" onChange={onFile} disabled={disabled} className="visually-hidden" aria-label="Search by an image file" />
          <span>choose a file</span>
        </label>
        .
      </p>
    </form>
  );
}
