import { forwardRef, memo, useCallback } from 'react';
import type { Hit, ScoreScale } from '../graphql';
import { altText, formatScore, hitCaption, scoreLevel } from '../format';

export interface GalleryProps {
  hits: Hit[];
  onOpen: (index: number) => void;
  /** A newer search is on its way: the tiles shown are the previous ones. */
  busy?: boolean;
  /** The model's score scale: badges are coloured by it. */
  scoreScale?: ScoreScale;
  /** "More like this" (+1) / "Less like this" (-1) on a tile: adds the image to the query as a term. */
  onAddTerm?: (hit: Hit, weight: 1 | -1) => void;
}

/**
 * A responsive grid of thumbnails, best first. Thumbnails load lazily (the browser fetches those near the viewport),
 * reserve their space from the image's dimensions, and off-screen tiles skip layout and paint (content-visibility),
 * so hundreds of results do not stall the page.
 */
export const Gallery = forwardRef<HTMLUListElement, GalleryProps>(function Gallery({ hits, onOpen, busy, scoreScale, onAddTerm }, ref) {
  return (
    <ul ref={ref} className={`gallery${busy ? ' busy' : ''}`} aria-label="Results" aria-busy={busy || undefined} data-count={hits.length}>
      {hits.map((hit, index) => (
        <Tile key={`${hit.id}:${index}`} hit={hit} index={index} onOpen={onOpen} scoreScale={scoreScale} onAddTerm={onAddTerm} />
      ))}
    </ul>
  );
});

interface TileProps {
  hit: Hit;
  index: number;
  onOpen: (index: number) => void;
  scoreScale: ScoreScale | undefined;
  onAddTerm: GalleryProps['onAddTerm'];
}

const Tile = memo(function Tile({ hit, index, onOpen, scoreScale, onAddTerm }: TileProps) {
  const open = useCallback(() => onOpen(index), [onOpen, index]);
  const alt = altText(hit.path);
  const caption = hitCaption(hit);
  return (
    <li className="tile" data-index={index} data-id={hit.id} data-score={hit.score}>
      <button type="button" onClick={open} title={hit.path} aria-label={`${alt}, score ${formatScore(hit.score)}`} aria-describedby={`path-${index}`}>
        <img
          src={hit.thumbnailUrl}
          alt={alt}
          width={hit.width}
          height={hit.height}
          loading="lazy"
          decoding="async"
          draggable={false}
        />
        <span className={scoreScale ? `score score-${scoreLevel(hit.score, scoreScale)}` : 'score'} aria-hidden="true">
          {formatScore(hit.score)}
        </span>
        <span className="path" id={`path-${index}`}>
          {hit.path}
          {caption && (
            <span className="tile-meta" data-testid="tile-meta">
              {caption}
            </span>
          )}
        </span>
      </button>
      {onAddTerm && (
        <span className="tile-terms">
          <button type="button" className="term-add" onClick={() => onAddTerm(hit, 1)} aria-label={`More like ${alt}`} title="More like this">
            +
          </button>
          <button type="button" className="term-add" onClick={() => onAddTerm(hit, -1)} aria-label={`Less like ${alt}`} title="Less like this">
            −
          </button>
        </span>
      )}
    </li>
  );
});
