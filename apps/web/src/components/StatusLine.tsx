import { formatMs, formatScore, plural } from '../format';

/** What a search was for, as the status line names it. */
export type QueryDescription =
  | { kind: 'text'; text: string }
  | { kind: 'similar'; label: string }
  | { kind: 'image'; name: string }
  /** A composite query: the text (if any) and how many more terms. */
  | { kind: 'terms'; text: string; terms: number };

export type Status =
  | { kind: 'starting' }
  | { kind: 'no-index' }
  | { kind: 'indexing-first' }
  | { kind: 'idle'; totalImages: number }
  | { kind: 'searching'; query: QueryDescription }
  | { kind: 'results'; query: QueryDescription; count: number; tookMs: number; totalImages: number; minScore?: number }
  | { kind: 'unreachable'; message: string }
  | { kind: 'api-error'; message: string };

export interface StatusLineProps {
  status: Status;
  onIndexFolder?: () => void;
  onClearThreshold?: () => void;
  onRetry?: () => void;
}

function describe(query: QueryDescription): string {
  switch (query.kind) {
    case 'text':
      return `for '${query.text}'`;
    case 'similar':
      return `similar to '${query.label}'`;
    case 'image':
      return `for your image '${query.name}'`;
    case 'terms':
      return `${query.text ? `for '${query.text}' ` : ''}with ${plural(query.terms, query.text ? 'more term' : 'term')}`;
  }
}

/** "Found 12 results for 'a dog in the snow' in 18 ms (of 8,091 images)". */
export function resultsText(query: QueryDescription, count: number, tookMs: number, totalImages: number): string {
  const noun = query.kind === 'similar' ? plural(count, 'image') : plural(count, 'result');
  return `Found ${noun} ${describe(query)} in ${formatMs(tookMs)} (of ${plural(totalImages, 'image')})`;
}

/** One line under the search box: the outcome of the last search, or what to do next. */
export function StatusLine({ status, onIndexFolder, onClearThreshold, onRetry }: StatusLineProps): React.JSX.Element {
  switch (status.kind) {
    case 'starting':
      return <Line tone="muted">Connecting to the search server…</Line>;
    case 'no-index':
      return (
        <Line tone="notice" kindName="no-index">
          <strong>Nothing is indexed yet.</strong> Index a folder of photos, then search it by describing what you are looking for.{' '}
          {onIndexFolder && (
            <button type="button" className="primary" onClick={onIndexFolder}>
              Index a folder
            </button>
          )}
        </Line>
      );
    case 'indexing-first':
      return (
        <Line tone="notice" kindName="indexing-first">
          <strong>Indexing your first photos…</strong> They become searchable as the indexer saves them; the progress is shown above.
        </Line>
      );
    case 'idle':
      return (
        <Line tone="muted" kindName="idle">
          Search {plural(status.totalImages, 'indexed image')} by describing a photo, or by showing one.
        </Line>
      );
    case 'searching':
      return (
        <Line tone="muted" kindName="searching">
          Searching {describe(status.query)}…
        </Line>
      );
    case 'results':
      if (status.count > 0) return <Line kindName="results">{resultsText(status.query, status.count, status.tookMs, status.totalImages)}</Line>;
      if (status.minScore !== undefined) {
        return (
          <Line tone="notice" kindName="below-threshold">
            No results above the score threshold {formatScore(status.minScore)} {describe(status.query)} (of{' '}
            {plural(status.totalImages, 'image')}).{' '}
            {onClearThreshold && (
              <button type="button" onClick={onClearThreshold}>
                Remove the threshold
              </button>
            )}
          </Line>
        );
      }
      return (
        <Line tone="notice" kindName="empty">
          No results {describe(status.query)} (of {plural(status.totalImages, 'image')}).
        </Line>
      );
    case 'unreachable':
      return (
        <Line tone="error" kindName="unreachable" alert>
          <strong>Cannot reach the search server.</strong> Check that it is running (<code>./scripts/start</code> or{' '}
          <code>sis serve</code>), then try again. <span className="detail">({status.message})</span>{' '}
          {onRetry && (
            <button type="button" onClick={onRetry}>
              Try again
            </button>
          )}
        </Line>
      );
    case 'api-error':
      return (
        <Line tone="error" kindName="api-error" alert>
          <strong>The search failed:</strong> {status.message}
        </Line>
      );
  }
}

function Line({ children, tone, kindName, alert }: { children: React.ReactNode; tone?: 'muted' | 'notice' | 'error'; kindName?: string; alert?: boolean }) {
  return (
    <div className={`status${tone ? ` status-${tone}` : ''}`} data-status={kindName} role={alert ? 'alert' : 'status'} aria-live={alert ? 'assertive' : 'polite'}>
      {children}
    </div>
  );
}

