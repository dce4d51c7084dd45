import { useEffect, useId, useRef, type KeyboardEvent } from 'react';
import { createPortal } from 'react-dom';
import type { Hit } from '../graphql';
import { altText, fileName, formatCamera, formatPosition, formatScore, formatTaken } from '../format';

export interface LightboxProps {
  hits: Hit[];
  index: number;
  onIndexChange: (index: number) => void;
  onClose: () => void;
  onFindSimilar: (hit: Hit) => void;
  /** "More like this" (+1) / "Less like this" (-1): adds the image to the query as a term. */
  onAddTerm?: (hit: Hit, weight: 1 | -1) => void;
}

/**
 * The full image of one result with its path, score and size. Left/Right arrows step through the results, Escape closes;
 * focus stays inside while it is open (the page behind is inert) and the page does not scroll behind it.
 */
export function Lightbox({ hits, index, onIndexChange, onClose, onFindSimilar, onAddTerm }: LightboxProps): React.JSX.Element | null {
  const hit = hits[index];
  const dialogRef = useRef<HTMLDivElement>(null);
  const closeRef = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const hasPrevious = index > 0;
  const hasNext = index < hits.length - 1;

  useEffect(() => {
    closeRef.current?.focus();
    const { overflow } = document.body.style;
    document.body.style.overflow = 'hidden';
    const root = document.getElementById('root');
    root?.setAttribute('inert', '');
    return () => {
      document.body.style.overflow = overflow;
      root?.removeAttribute('inert');
    };
  }, []);

  // Fetch the neighbours' full images ahead, so that stepping through is instant.
  useEffect(() => {
    for (const neighbour of [hits[index + 1], hits[index - 1]]) {
      if (neighbour) new Image().src = neighbour.imageUrl;
    }
  }, [hits, index]);

  if (!hit) return null;
  const camera = formatCamera(hit.cameraMake, hit.cameraModel);

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      onClose();
    } else if (event.key === 'ArrowRight' && hasNext) {
      event.preventDefault();
      onIndexChange(index + 1);
    } else if (event.key === 'ArrowLeft' && hasPrevious) {
      event.preventDefault();
      onIndexChange(index - 1);
    } else if (event.key === 'Tab') {
      trapFocus(event, dialogRef.current);
    }
  };

  return createPortal(
    <div className="lightbox-backdrop" onMouseDown={(event) => event.target === event.currentTarget && onClose()}>
      <div ref={dialogRef} className="lightbox" role="dialog" aria-modal="true" aria-labelledby={titleId} onKeyDown={onKeyDown}>
        <div className="lightbox-bar">
          <h2 id={titleId} className="lightbox-title">
            {fileName(hit.path)}
          </h2>
          <span className="lightbox-position">
            {index + 1} of {hits.length}
          </span>
          <button ref={closeRef} type="button" className="icon" onClick={onClose} aria-label="Close (Escape)">
            ×
          </button>
        </div>
        <div className="lightbox-stage">
          <button type="button" className="icon nav prev" onClick={() => onIndexChange(index - 1)} disabled={!hasPrevious} aria-label="Previous result (Left arrow)">
            ‹
          </button>
          <img key={hit.id} src={hit.imageUrl} alt={altText(hit.path)} width={hit.width} height={hit.height} className="lightbox-image" />
          <button type="button" className="icon nav next" onClick={() => onIndexChange(index + 1)} disabled={!hasNext} aria-label="Next result (Right arrow)">
            ›
          </button>
        </div>
        <div className="lightbox-info">
          <dl>
            <div>
              <dt>Path</dt>
              <dd data-testid="lightbox-path">{hit.path}</dd>
            </div>
            <div>
              <dt>Score</dt>
              <dd data-testid="lightbox-score">{formatScore(hit.score)}</dd>
            </div>
            <div>
              <dt>Size</dt>
              <dd data-testid="lightbox-size">
                {hit.width} × {hit.height} px
              </dd>
            </div>
            {hit.fileType && (
              <div>
                <dt>Type</dt>
                <dd data-testid="lightbox-type">{hit.fileType.toUpperCase()}</dd>
              </div>
            )}
            {hit.takenAt && (
              <div>
                <dt>Taken</dt>
                <dd data-testid="lightbox-taken">{formatTaken(hit.takenAt)}</dd>
              </div>
            )}
            {camera && (
              <div>
                <dt>Camera</dt>
                <dd data-testid="lightbox-camera">{camera}</dd>
              </div>
            )}
            {hit.latitude != null && hit.longitude != null && (
              <div>
                <dt>Location</dt>
                <dd data-testid="lightbox-location">{formatPosition(hit.latitude, hit.longitude)}</dd>
              </div>
            )}
          </dl>
          <div className="lightbox-actions">
            <button type="button" className="primary" onClick={() => onFindSimilar(hit)}>
              Find similar
            </button>
            {onAddTerm && (
              <>
                <button type="button" onClick={() => onAddTerm(hit, 1)}>
                  More like this
                </button>
                <button type="button" onClick={() => onAddTerm(hit, -1)}>
                  Less like this
                </button>
              </>
            )}
            <a href={hit.imageUrl} target="_blank" rel="noreferrer">
              Open original
            </a>
          </div>
        </div>
      </div>
    </div>,
    document.body,
  );
}

function trapFocus(event: KeyboardEvent, container: HTMLElement | null): void {
  if (!container) return;
  const focusable = Array.from(container.querySelectorAll<HTMLElement>('button:not([disabled]), a[href], [tabindex]:not([tabindex="-1"])'));
  const first = focusable[0];
  const last = focusable[focusable.length - 1];
  if (!first || !last) return;
  if (event.shiftKey && document.activeElement === first) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault();
    first.focus();
  }
}
