import { useCallback, useEffect, useState } from 'react';
import { useApolloClient } from '@apollo/client/react';
import { describeProblem } from '../errors';
import { formatBytes, formatCount, formatMs, plural } from '../format';
import { graphql } from '../gql';
import type { DuplicatesQuery } from '../gql/graphql';

/**
 * The near-duplicates review page (`?view=duplicates`): groups side by side with sizes, dimensions, dates,
 * paths and pair scores, the suggested keeper first, and an export of every group (JSON or CSV). Read-only:
 * the server never deletes or moves a file; the user acts on the exported list.
 */

export const DUPLICATES_QUERY = graphql(`
  query Duplicates($threshold: Float, $minGroupSize: Int, $first: Int, $after: String) {
    duplicates(threshold: $threshold, minGroupSize: $minGroupSize, first: $first, after: $after) {
      threshold
      images
      totalGroups
      imagesInGroups
      tookMs
      pageInfo {
        endCursor
        hasNextPage
      }
      groups {
        id
        size
        keeperId
        keeperReason
        pairCount
        minPairScore
        maxPairScore
        pairs {
          a
          b
          score
        }
        images {
          id
          path
          imageUrl
          thumbnailUrl
          width
          height
          fileBytes
          modifiedAt
          scoreToKeeper
          keep
        }
      }
    }
  }
`);

type Result = DuplicatesQuery['duplicates'];
type Group = Result['groups'][number];
const PAGE = 20;
const EXPORT_PAGE = 100;

export function DuplicatesPage(): React.JSX.Element {
  const client = useApolloClient();
  const [thresholdText, setThresholdText] = useState('');
  const [threshold, setThreshold] = useState<number | null>(null);
  const [minGroupSize, setMinGroupSize] = useState(2);
  const [result, setResult] = useState<Result | null>(null);
  const [groups, setGroups] = useState<Group[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  const fetchPage = useCallback(
    async (after: string | null, first = PAGE) => {
      const answer = await client.query({ query: DUPLICATES_QUERY, variables: { threshold, minGroupSize, first, after }, fetchPolicy: 'no-cache' });
      if (!answer.data) throw answer.error ?? new Error('No answer from the server.');
      return answer.data.duplicates;
    },
    [client, threshold, minGroupSize],
  );

  useEffect(() => {
    let cancelled = false;
    setLoading(true);
    setProblem(null);
    fetchPage(null)
      .then((page) => {
        if (cancelled) return;
        setResult(page);
        setGroups(page.groups);
        if (threshold === null) setThresholdText(String(page.threshold));
      })
      .catch((error: unknown) => !cancelled && setProblem(describeProblem(error).message))
      .finally(() => !cancelled && setLoading(false));
    return () => {
      cancelled = true;
    };
  }, [fetchPage, threshold]);

  const loadMore = async () => {
    if (!result?.pageInfo.endCursor) return;
    setLoading(true);
    try {
      const page = await fetchPage(result.pageInfo.endCursor);
      setResult(page);
      setGroups((shown) => [...shown, ...page.groups]);
    } catch (error) {
      setProblem(describeProblem(error).message);
    } finally {
      setLoading(false);
    }
  };

  const exportAll = async (format: 'json' | 'csv') => {
    try {
      const all: Group[] = [];
      let after: string | null = null;
      let current: Result;
      do {
        current = await fetchPage(after, EXPORT_PAGE);
        all.push(...current.groups);
        after = current.pageInfo.endCursor;
      } while (current.pageInfo.hasNextPage);
      const body = format === 'json' ? JSON.stringify(toExport(current.threshold, all), null, 2) : toCsv(all);
      download(`duplicates-${current.threshold}.${format}`, body, format === 'json' ? 'application/json' : 'text/csv');
    } catch (error) {
      setProblem(describeProblem(error).message);
    }
  };

  const applyThreshold = (event: React.FormEvent) => {
    event.preventDefault();
    const value = Number(thresholdText);
    if (!(thresholdText.trim() !== '' && value > 0 && value <= 1)) {
      setProblem('The threshold is a cosine similarity above 0 and at most 1, e.g. 0.95.');
      return;
    }
    setThreshold(value);
  };

  return (
    <div className="app duplicates-page">
      <header className="app-header">
        <h1>
          <a href="/" className="home">
            Photo search
          </a>{' '}
          / Near-duplicates
        </h1>
        <a href="/" className="link-button">
          Back to search
        </a>
      </header>
      <main>
        <form className="duplicates-controls" onSubmit={applyThreshold}>
          <label>
            Similarity threshold{' '}
            <input name="threshold" type="number" step="0.001" min="0.001" max="1" value={thresholdText} onChange={(event) => setThresholdText(event.target.value)} />
          </label>
          <label>
            Min. group size{' '}
            <select name="minGroupSize" value={minGroupSize} onChange={(event) => setMinGroupSize(Number(event.target.value))}>
              {[2, 3, 4, 5, 10].map((size) => (
                <option key={size} value={size}>
                  {size}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">Find groups</button>
          <span className="export">
            Export all:{' '}
            <button type="button" onClick={() => void exportAll('json')} disabled={!result || result.totalGroups === 0}>
              JSON
            </button>{' '}
            <button type="button" onClick={() => void exportAll('csv')} disabled={!result || result.totalGroups === 0}>
              CSV
            </button>
          </span>
        </form>
        <p className={`status ${problem ? 'status-error' : 'status-muted'}`} role="status" data-status={problem ? 'error' : loading ? 'loading' : 'ready'}>
          {problem ??
            (result
              ? `${plural(result.totalGroups, 'group')} (${formatCount(result.imagesInGroups)} of ${plural(result.images, 'image')}) at cosine ≥ ${result.threshold}` +
                ` · ${formatMs(result.tookMs)} · nothing is deleted or moved: export the list and act on it yourself`
              : 'Comparing every image with its nearest neighbours…')}
        </p>
        <ol className="duplicate-groups">
          {groups.map((group) => (
            <DuplicateGroupRow key={group.id} group={group} />
          ))}
        </ol>
        {result?.pageInfo.hasNextPage && (
          <button type="button" className="load-more" onClick={() => void loadMore()} disabled={loading}>
            Show more groups
          </button>
        )}
      </main>
    </div>
  );
}

function DuplicateGroupRow({ group }: { group: Group }): React.JSX.Element {
  const name = new Map(group.images.map((image) => [image.id, image.path.split('/').pop() ?? image.path]));
  return (
    <li className="duplicate-group" data-group={group.id}>
      <h2>
        {plural(group.size, 'image')} · pair scores {group.minPairScore.toFixed(4)}–{group.maxPairScore.toFixed(4)} · keep: {group.keeperReason}
      </h2>
      <ul className="duplicate-images">
        {group.images.map((image) => (
          <li key={image.id} className={image.keep ? 'duplicate-image keeper' : 'duplicate-image'}>
            <a href={image.imageUrl} target="_blank" rel="noreferrer">
              <img src={image.thumbnailUrl} alt={image.path} loading="lazy" />
            </a>
            <span className="badge">{image.keep ? 'Keep' : `${image.scoreToKeeper.toFixed(4)} to keeper`}</span>
            <dl>
              <dt>Size</dt>
              <dd>
                {image.width}×{image.height} · {formatBytes(image.fileBytes)}
              </dd>
              <dt>Modified</dt>
              <dd>{image.modifiedAt.slice(0, 10)}</dd>
              <dt>Path</dt>
              <dd className="path" title={image.path}>
                {image.path}
              </dd>
            </dl>
          </li>
        ))}
      </ul>
      {group.pairs.length > 0 && (
        <details className="pairs">
          <summary>{plural(group.pairCount, 'pair')} at or above the threshold</summary>
          <ul>
            {group.pairs.map((pair) => (
              <li key={`${pair.a}-${pair.b}`}>
                {name.get(pair.a)} ↔ {name.get(pair.b)}: {pair.score.toFixed(4)}
              </li>
            ))}
          </ul>
        </details>
      )}
    </li>
  );
}

function toExport(threshold: number, groups: Group[]) {
  return {
    threshold,
    groups: groups.map((group) => ({
      group: group.id,
      keeper: group.images.find((image) => image.keep)?.path ?? null,
      keeperReason: group.keeperReason,
      images: group.images.map((image) => ({
        path: image.path,
        keep: image.keep,
        width: image.width,
        height: image.height,
        bytes: image.fileBytes,
        modified: image.modifiedAt,
        scoreToKeeper: image.scoreToKeeper,
      })),
    })),
  };
}

function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) && !/^-?\d/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function toCsv(groups: Group[]): string {
  const lines = ['group,keep,path,width,height,bytes,modified,score_to_keeper'];
  for (const group of groups) {
    for (const image of group.images) {
      lines.push(
        [group.id, image.keep ? 'yes' : 'no', image.path, image.width, image.height, image.fileBytes, image.modifiedAt, image.scoreToKeeper.toFixed(6)]
          .map((value) => csvField(String(value)))
          .join(','),
      );
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}

function download(fileName: string, body: string, type: string): void {
  const url = URL.createObjectURL(new Blob([body], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}
