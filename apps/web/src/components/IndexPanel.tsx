import { useEffect, useId, useRef, useState, type FormEvent, type RefObject } from 'react';
import { useApolloClient } from '@apollo/client/react';
import { describeProblem } from '../errors';
import { formatCount, formatDuration, formatMs, plural } from '../format';
import { CANCEL_REINDEX_MUTATION, REINDEX_JOB_QUERY, REINDEX_MUTATION, isFinalState, type ReindexJob } from '../graphql';

/** The API's advice: progress moves once per batch (~0.4 s), so polling about once a second shows everything. */
export const POLL_INTERVAL_MS = 1000;
const FIRST_POLL_MS = 250;

export interface IndexPanelProps {
  allowedRoots: string[];
  /** A job already running when the page loaded (stats.currentReindexJob). */
  initialJob?: ReindexJob | null;
  /** Called once when a job reaches a final state. */
  onJobFinished?: (job: ReindexJob) => void;
  /** Called with every state of the job shown (started, each poll). */
  onJobUpdate?: (job: ReindexJob) => void;
  folderInputRef?: RefObject<HTMLInputElement | null>;
  onClose?: () => void;
  /** Closed but still mounted, so that a running job keeps being followed. */
  hidden?: boolean;
  pollIntervalMs?: number;
}

/** "Index a folder": the folder (checked by the API against its allowed roots), start, live progress, summary. */
export function IndexPanel({
  allowedRoots,
  initialJob,
  onJobFinished,
  onJobUpdate,
  folderInputRef,
  onClose,
  hidden,
  pollIntervalMs = POLL_INTERVAL_MS,
}: IndexPanelProps): React.JSX.Element {
  const client = useApolloClient();
  const [dir, setDir] = useState(allowedRoots[0] ?? '');
  const [job, setJob] = useState<ReindexJob | null>(initialJob ?? null);
  const [requestedDir, setRequestedDir] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pollProblem, setPollProblem] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);
  const onFinishedRef = useRef(onJobFinished);
  onFinishedRef.current = onJobFinished;
  const onUpdateRef = useRef(onJobUpdate);
  onUpdateRef.current = onJobUpdate;
  useEffect(() => {
    if (job) onUpdateRef.current?.(job);
  }, [job]);
  const titleId = useId();
  const dirId = useId();
  const helpId = useId();
  const errorId = useId();

  const running = job !== null && !isFinalState(job.state);
  const jobId = job?.id;

  useEffect(() => {
    if (!running || jobId === undefined) return undefined;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const poll = async (delay: number) => {
      timer = setTimeout(async () => {
        try {
          const { data } = await client.query({ query: REINDEX_JOB_QUERY, variables: { id: jobId }, fetchPolicy: 'network-only' });
          if (stopped) return;
          setPollProblem(null);
          const next = data?.reindexJob;
          if (!next) {
            setPollProblem('The server no longer knows this job (it was restarted?).');
            setJob((current) => current && { ...current, state: 'FAILED', error: 'The server forgot this job: it was probably restarted.' });
            return;
          }
          setJob(next);
          if (isFinalState(next.state)) onFinishedRef.current?.(next);
          else void poll(pollIntervalMs);
        } catch (problem) {
          if (stopped) return;
          setPollProblem(`Lost contact with the server; retrying… (${describeProblem(problem).message})`);
          void poll(pollIntervalMs * 2);
        }
      }, delay);
    };
    void poll(FIRST_POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [client, jobId, running, pollIntervalMs]);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const folder = dir.trim();
    if (folder === '') {
      setError('Enter a folder to index.');
      return;
    }
    setError(null);
    setStarting(true);
    try {
      const { data } = await client.mutate({ mutation: REINDEX_MUTATION, variables: { dir: folder } });
      if (data) {
        setJob(data.reindex);
        setRequestedDir(folder);
        if (isFinalState(data.reindex.state)) onFinishedRef.current?.(data.reindex);
      }
    } catch (problem) {
      setError(describeProblem(problem).message);
    } finally {
      setStarting(false);
    }
  };

  const onCancel = async () => {
    if (!job) return;
    try {
      const { data } = await client.mutate({ mutation: CANCEL_REINDEX_MUTATION, variables: { id: job.id } });
      if (data?.cancelReindex) setJob(data.cancelReindex);
    } catch (problem) {
      setPollProblem(describeProblem(problem).message);
    }
  };

  return (
    <section className="panel index-panel" aria-labelledby={titleId} id="index-panel" hidden={hidden}>
      <div className="panel-head">
        <h2 id={titleId}>Index a folder</h2>
        {onClose && (
          <button type="button" className="icon" onClick={onClose} aria-label="Close the indexing panel">
            ×
          </button>
        )}
      </div>
      <form onSubmit={onSubmit} className="index-form" noValidate>
        <label htmlFor={dirId}>Folder</label>
        <div className="index-row">
          <input
            ref={folderInputRef}
            id={dirId}
            value={dir}
            onChange={(event) => setDir(event.target.value)}
            placeholder={allowedRoots[0] ?? '/path/to/photos'}
            autoComplete="off"
            spellCheck={false}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `${errorId} ${helpId}` : helpId}
          />
          <button type="submit" className="primary" disabled={starting || running}>
            {running ? 'Indexing…' : 'Start indexing'}
          </button>
        </div>
        <p id={helpId} className="hint">
          {allowedRoots.length > 0 ? (
            <>
              This server indexes folders inside {allowedRoots.map((root, i) => (
                <span key={root}>
                  {i > 0 && ', '}
                  <code>{root}</code>
                </span>
              ))}
              ; a relative path is taken inside the first. Only new and changed photos are embedded.
            </>
          ) : (
            'Only new and changed photos are embedded.'
          )}
        </p>
        {error && (
          <p id={errorId} className="field-error" role="alert">
            {error}
          </p>
        )}
      </form>
      {job && <JobProgress job={job} requestedDir={requestedDir} onCancel={onCancel} />}
      {pollProblem && (
        <p className="field-error" role="alert">
          {pollProblem}
        </p>
      )}
    </section>
  );
}

const PHASES: Record<ReindexJob['phase'], string> = {
  SCANNING: 'looking for images',
  EMBEDDING: 'embedding',
  SAVING: 'saving the index',
  DONE: 'done',
};

/** Images processed so far out of those to embed (skipped files count as processed). */
export function jobFraction(job: ReindexJob): { done: number; total: number } {
  if (job.phase === 'DONE' || job.state === 'SUCCEEDED') return { done: Math.max(1, job.toEmbed), total: Math.max(1, job.toEmbed) };
  return { done: Math.min(job.toEmbed, job.embedded + job.skipped), total: Math.max(1, job.toEmbed) };
}

export function JobProgress({ job, requestedDir, onCancel }: { job: ReindexJob; requestedDir?: string | null; onCancel?: () => void }): React.JSX.Element {
  const { done, total } = jobFraction(job);
  const percent = Math.round((done / total) * 100);
  const final = isFinalState(job.state);
  const otherFolder = requestedDir && !final && !job.dir.endsWith(requestedDir.replace(/^\.\/?/, '').replace(/\/+$/, ''));
  return (
    <div className="job" data-state={job.state} aria-live="polite">
      <p className="job-title">
        {final ? 'Indexed' : 'Indexing'} <code>{job.dir}</code>
        {!final && <>: {PHASES[job.phase]}</>}
      </p>
      {otherFolder && <p className="hint">A reindex of this folder was already running: one reindex runs at a time.</p>}
      <div className="progress-row">
        <progress
          max={total}
          value={job.toEmbed === 0 && !final ? undefined : done}
          aria-label="Indexing progress"
          aria-valuetext={`${formatCount(done)} of ${formatCount(job.toEmbed)} images (${percent}%)`}
        />
        <span className="progress-percent">{job.toEmbed === 0 && !final ? '' : `${percent}%`}</span>
      </div>
      <p className="job-counts" data-testid="job-counts">
        {job.phase === 'SCANNING' ? (
          <>{plural(job.seen, 'image')} found so far</>
        ) : (
          <>
            {formatCount(job.embedded)} of {formatCount(job.toEmbed)} embedded · {formatCount(job.skipped)} skipped · {formatCount(job.unchanged)}{' '}
            unchanged · {formatCount(job.removed)} removed
          </>
        )}
      </p>
      {!final && (
        <p className="job-rate">
          {job.imagesPerSecond > 0 ? `${job.imagesPerSecond.toFixed(1)} images/s` : 'measuring speed…'}
          {' · '}
          {job.etaSeconds === null ? 'estimating time left…' : `about ${formatDuration(job.etaSeconds)} left`}
          {job.liveWorkers !== null && job.liveWorkers !== undefined && (
            // Through the embedding queue (SIS_QUEUE_URL): the work is done by `sis worker` processes.
            <span data-testid="job-workers">
              {' · '}
              {job.liveWorkers === 0 ? 'no live workers: start `sis worker`' : plural(job.liveWorkers, 'worker')}
              {job.queueDepth !== null && job.queueDepth !== undefined && ` · ${plural(job.queueDepth, 'batch', 'batches')} queued`}
            </span>
          )}
          {onCancel && (
            <>
              {' '}
              <button type="button" onClick={onCancel}>
                Stop
              </button>
            </>
          )}
        </p>
      )}
      {final && <JobSummary job={job} />}
    </div>
  );
}

function JobSummary({ job }: { job: ReindexJob }) {
  const rate = job.imagesPerSecond > 0 ? `, ${job.imagesPerSecond.toFixed(1)} images/s` : '';
  return (
    <div className="job-summary" data-testid="job-summary">
      {job.state === 'SUCCEEDED' && (
        <p>
          <strong>Done</strong> in {formatMs(job.elapsedMs)}
          {rate}: {formatCount(job.embedded)} embedded, {formatCount(job.unchanged)} unchanged, {formatCount(job.skipped)} skipped,{' '}
          {formatCount(job.removed)} removed ({plural(job.seen, 'image file')} in the folder).
        </p>
      )}
      {job.state === 'CANCELLED' && (
        <p>
          <strong>Stopped.</strong> {formatCount(job.embedded)} images embedded before the stop are kept; start again to finish.
        </p>
      )}
      {job.state === 'FAILED' && (
        <p className="field-error" role="alert">
          <strong>Indexing failed:</strong> {job.error ?? 'unknown error'}
        </p>
      )}
      {job.skippedFiles.length > 0 && (
        <details open={job.skippedFiles.length <= 20}>
          <summary>{plural(job.skippedFiles.length, 'file')} skipped</summary>
          <ul className="skipped">
            {job.skippedFiles.map((file) => (
              <li key={file.path}>
                <code>{file.path}</code> <span className="reason">{file.reason}</span>: {file.message}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}
