import { useEffect, useId, useRef, useState, type ChangeEvent } from 'react';
import { useDebounced } from '../hooks';

export const SLIDER_COMMIT_DELAY_MS = 250;

export interface ResultCountSliderProps {
  /** The number of results in force (from the URL). */
  value: number;
  /** The API's largest k (stats.limits.maxResults). */
  max: number;
  /** Called once the slider has rested for a moment, not on every step of a drag. */
  onChange: (k: number) => void;
  disabled?: boolean;
}

/** Number of results, 1 to the API's maximum. Shows the value at once; searches when the slider rests. */
export function ResultCountSlider({ value, max, onChange, disabled }: ResultCountSliderProps): React.JSX.Element {
  const [shown, setShown] = useState(value);
  const id = useId();
  const pendingValue = useRef<number | undefined>(undefined);
  const commit = useDebounced((k: number) => {
    pendingValue.current = undefined;
    onChange(k);
  }, SLIDER_COMMIT_DELAY_MS);

  useEffect(() => {
    if (pendingValue.current === undefined) setShown(value);
  }, [value]);

  const onInput = (event: ChangeEvent<HTMLInputElement>) => {
    const k = Math.min(max, Math.max(1, Math.round(Number(event.target.value))));
    setShown(k);
    pendingValue.current = k;
    commit.call(k);
  };

  return (
    <div className="control slider">
      <label htmlFor={id}>
        Results: <span data-testid="k-value">{shown}</span>
      </label>
      <input
        id={id}
        type="range"
        min={1}
        max={max}
        step={1}
        value={Math.min(shown, max)}
        onChange={onInput}
        disabled={disabled}
        aria-valuetext={`${shown} results`}
      />
    </div>
  );
}

export interface ScoreThresholdProps {
  value: number | undefined;
  onChange: (minScore: number | undefined) => void;
  disabled?: boolean;
  /** The model's suggested threshold (stats.scoreScale.minScore), offered in the help text. */
  suggested?: number;
  /** The threshold the server applied by itself (the model's default, SearchResult.minScore) while the field is empty. */
  modelDefault?: number;
}

/** Optional minimum cosine score; empty means no threshold. */
export function ScoreThreshold({ value, onChange, disabled, suggested, modelDefault }: ScoreThresholdProps): React.JSX.Element {
  const [text, setText] = useState(value === undefined ? '' : String(value));
  const id = useId();
  const helpId = useId();
  const lastSent = useRef(value);
  const commit = useDebounced((next: number | undefined) => {
    lastSent.current = next;
    onChange(next);
  }, 400);

  useEffect(() => {
    if (value !== lastSent.current) {
      lastSent.current = value;
      setText(value === undefined ? '' : String(value));
    }
  }, [value]);

  const invalid = text.trim() !== '' && !isScore(text);
  const onInput = (event: ChangeEvent<HTMLInputElement>) => {
    setText(event.target.value);
    const trimmed = event.target.value.trim();
    if (trimmed === '') commit.call(undefined);
    else if (isScore(trimmed)) commit.call(Number(trimmed));
    else commit.cancel();
  };

  return (
    <div className="control threshold">
      <label htmlFor={id}>Minimum score</label>
      <input
        id={id}
        type="number"
        inputMode="decimal"
        min={-1}
        max={1}
        step={0.05}
        placeholder={modelDefault !== undefined ? `model default ${modelDefault}` : suggested === undefined ? 'none' : `none (try ${suggested})`}
        value={text}
        onChange={onInput}
        disabled={disabled}
        aria-invalid={invalid || undefined}
        aria-describedby={helpId}
      />
      <span id={helpId} className={invalid ? 'field-error' : 'visually-hidden'}>
        {invalid
          ? 'A score is a number from -1 to 1.'
          : modelDefault !== undefined
            ? `Cosine similarity from -1 to 1; empty applies this model's default, ${modelDefault}; -1 shows every result.`
            : `Cosine similarity from -1 to 1; leave empty for no threshold.${suggested === undefined ? '' : ` Suggested for this model: ${suggested}.`}`}
      </span>
    </div>
  );
}

function isScore(text: string): boolean {
  const value = Number(text);
  return text.trim() !== '' && Number.isFinite(value) && value >= -1 && value <= 1;
}
