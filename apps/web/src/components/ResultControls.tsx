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

/** Roughly logarithmic steps (1-2-2.5-3-4-5-6-8 per decade): 12 sits about a third of the way along, 1000 at the end. */
const K_STEPS = [1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 30, 40, 50, 60, 80, 100, 120, 160, 200, 250, 300, 400, 500, 600, 800, 1000];

/** The slider's stops for an API maximum: the steps below it, then the maximum itself. */
export function kSteps(max: number): number[] {
  const below = K_STEPS.filter((k) => k < max);
  return [...below, Math.max(1, max)];
}

/** The stop nearest to k (a k from a shared link need not be a stop: the label still shows it exactly). */
export function nearestStep(steps: readonly number[], k: number): number {
  let best = 0;
  steps.forEach((step, i) => {
    if (Math.abs(Math.log(step) - Math.log(k)) < Math.abs(Math.log(steps[best]!) - Math.log(k))) best = i;
  });
  return best;
}

/**
 * Number of results, 1 to the API's maximum, in stepped stops (about logarithmic), so that the small counts people
 * use most get most of the track. Shows the value at once; searches when the slider rests.
 */
export function ResultCountSlider({ value, max, onChange, disabled }: ResultCountSliderProps): React.JSX.Element {
  const [shown, setShown] = useState(value);
  const id = useId();
  const pendingValue = useRef<number | undefined>(undefined);
  const steps = kSteps(max);
  const commit = useDebounced((k: number) => {
    pendingValue.current = undefined;
    onChange(k);
  }, SLIDER_COMMIT_DELAY_MS);

  useEffect(() => {
    if (pendingValue.current === undefined) setShown(value);
  }, [value]);

  const onInput = (event: ChangeEvent<HTMLInputElement>) => {
    const position = Math.min(steps.length - 1, Math.max(0, Math.round(Number(event.target.value))));
    const k = steps[position]!;
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
        min={0}
        max={steps.length - 1}
        step={1}
        value={nearestStep(steps, Math.min(shown, max))}
        onChange={onInput}
        disabled={disabled}
        aria-valuetext={`${shown} results`}
        data-steps={steps.join(',')}
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
}

/** Optional minimum cosine score; empty means no threshold. */
export function ScoreThreshold({ value, onChange, disabled, suggested }: ScoreThresholdProps): React.JSX.Element {
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
        placeholder={suggested === undefined ? 'none' : `none (try ${suggested})`}
        value={text}
        onChange={onInput}
        disabled={disabled}
        aria-invalid={invalid || undefined}
        aria-describedby={helpId}
      />
      <span id={helpId} className={invalid ? 'field-error' : 'visually-hidden'}>
        {invalid
          ? 'A score is a number from -1 to 1.'
          : `Cosine similarity from -1 to 1; leave empty for no threshold.${suggested === undefined ? '' : ` Suggested for this model: ${suggested}.`}`}
      </span>
    </div>
  );
}

function isScore(text: string): boolean {
  const value = Number(text);
  return text.trim() !== '' && Number.isFinite(value) && value >= -1 && value <= 1;
}
