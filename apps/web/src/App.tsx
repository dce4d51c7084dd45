import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useApolloClient, useQuery } from '@apollo/client/react';
import { Gallery } from './components/Gallery';
import { IndexPanel } from './components/IndexPanel';
import { Lightbox } from './components/Lightbox';
import { ResultCountSlider, ScoreThreshold } from './components/ResultControls';
import { SearchForm, type QueryChip } from './components/SearchForm';
import { StatusLine, type QueryDescription, type Status } from './components/StatusLine';
import { describeProblem } from './errors';
import { formatBytes } from './format';
import { SEARCH_BY_IMAGE_QUERY, SEARCH_QUERY, SEARCH_TERMS_QUERY, SIMILAR_QUERY, STATS_QUERY, isFinalState, type Hit, type ReindexJob, type ResultData } from './graphql';
import { TermChips } from './components/TermChips';
import { readAsDataUrl, useImageDropAndPaste, useUrlState, type NavigateMode } from './hooks';
import { addTerm, type UrlState, type UrlTerm } from './url';
import { IndexFooter } from './components/IndexFooter';
import { FilterBar, toFilterInput, toSortInput } from './components/FilterBar';

/** Searches are "fast enough" for as-you-type once a text search's round trip takes less than this. */
export const LIVE_SEARCH_MAX_MS = 250;
/** Before the server has told us (stats.limits.maxResults). */
const FALLBACK_MAX_RESULTS = 1000;

interface ImageQuery {
  name: string;
  dataUrl: string;
}

export function App(): React.JSX.Element {
  const client = useApolloClient();
  const stats = useQuery(STATS_QUERY, { notifyOnNetworkStatusChange: true });
  // Keeps what it knew while the stats are refetched (after a reindex): the page does not flicker back to "starting".
  const statsData = (stats.data ?? stats.previousData)?.stats;
  const [image, setImage] = useState<ImageQuery | null>(null);
  const [imageProblem, setImageProblem] = useState<string | null>(null);
  const [url, navigate] = useUrlState(() => {
    setImage(null);
    setLightbox(null);
  });
  const [panelOpen, setPanelOpen] = useState(false);
  const [lightbox, setLightbox] = useState<number | null>(null);
  const [live, setLive] = useState(false);
  const [shownJob, setShownJob] = useState<ReindexJob | null>(null);
  const folderInputRef = useRef<HTMLInputElement>(null);
  const galleryRef = useRef<HTMLUListElement>(null);

  const maxResults = statsData?.limits.maxResults ?? FALLBACK_MAX_RESULTS;
  const k = Math.min(Math.max(1, url.k), maxResults);
  const minScore = url.minScore ?? null;
  const filter = useMemo(() => toFilterInput(url.filter), [url.filter]);
  const sort = toSortInput(url.sort);
  // Only when set: an unfiltered search sends the same variables as before filters existed.
  const narrowing = useMemo(() => ({ ...(filter && { filter }), ...(sort && { sort }) }), [filter, sort]);
  // Searches wait for the stats: they give the largest k, and say whether anything is indexed at all.
  const ready = statsData !== undefined;
  const terms = useMemo(() => url.terms ?? [], [url.terms]);
  const mode: 'terms' | 'image' | 'similar' | 'text' | null = terms.length > 0 ? 'terms' : image ? 'image' : url.similar ? 'similar' : url.q ? 'text' : null;

  const textSearch = useQuery(SEARCH_QUERY, {
    variables: { query: url.q, k, minScore, ...narrowing },
    skip: !ready || mode !== 'text',
    fetchPolicy: 'cache-first',
  });
  const similarSearch = useQuery(SIMILAR_QUERY, {
    variables: { imageId: url.similar ?? '', k, minScore, ...narrowing },
    skip: !ready || mode !== 'similar',
    fetchPolicy: 'cache-first',
  });
  const imageSearch = useQuery(SEARCH_BY_IMAGE_QUERY, {
    variables: { imageBase64: image?.dataUrl ?? '', k, minScore, ...narrowing },
    skip: !ready || mode !== 'image',
    fetchPolicy: 'no-cache',
  });
  // A composite query: the text, an uploaded image (not in the URL, as an image search is not), and the URL's terms.
  const termInputs = useMemo(() => [...(image ? [{ imageBase64: image.dataUrl, weight: 1 }] : []), ...terms.map(termInput)], [image, terms]);
  const termsSearch = useQuery(SEARCH_TERMS_QUERY, {
    variables: { query: url.q || null, terms: termInputs, k, minScore, ...narrowing },
    skip: !ready || mode !== 'terms',
    fetchPolicy: image ? 'no-cache' : 'cache-first',
  });
  const search =
    mode === 'terms' ? termsSearch : mode === 'text' ? textSearch : mode === 'similar' ? similarSearch : mode === 'image' ? imageSearch : null;
  const current: ResultData | undefined = search?.data;
  const shown: ResultData | undefined = current ?? (search?.loading ? (search.previousData ?? undefined) : undefined);
  const hits: Hit[] = useMemo(() => shown?.result.hits ?? [], [shown]);

  // As-you-type turns on once a text search has come back quickly (and off again when one is slow).
  const searchStartedAt = useRef<number | null>(null);
  const textKey = mode === 'text' ? `${url.q}\u0000${k}\u0000${minScore}` : null;
  useEffect(() => {
    searchStartedAt.current = textKey === null ? null : performance.now();
  }, [textKey]);
  useEffect(() => {
    if (mode !== 'text' || textSearch.loading || !textSearch.data || searchStartedAt.current === null) return;
    const roundTrip = performance.now() - searchStartedAt.current;
    searchStartedAt.current = null;
    setLive(roundTrip < LIVE_SEARCH_MAX_MS);
  }, [mode, textSearch.loading, textSearch.data]);

  const go = useCallback((next: Partial<UrlState>, how: NavigateMode) => navigate({ ...url, ...next }, how), [navigate, url]);

  const onSearch = useCallback(
    (text: string, how: { live: boolean }) => {
      setImage(null);
      setImageProblem(null);
      setLightbox(null);
      go({ q: text, similar: undefined }, how.live ? 'live' : 'push');
    },
    [go],
  );

  const onPickImage = useCallback(
    async (file: File) => {
      setLightbox(null);
      if (!file.type.startsWith('image/')) {
        setImageProblem(`${file.name || 'That file'} is not an image: drop or paste a photo (JPEG, PNG, WebP, GIF, TIFF or HEIF).`);
        return;
      }
      const limit = statsData?.limits.maxUploadBytes;
      if (limit !== undefined && file.size > limit) {
        setImageProblem(`${file.name || 'The image'} is ${formatBytes(file.size)}; the server accepts images up to ${formatBytes(limit)}.`);
        return;
      }
      try {
        const dataUrl = await readAsDataUrl(file);
        setImageProblem(null);
        go({ q: '', similar: undefined, terms: undefined }, 'push');
        setImage({ name: file.name || 'pasted image', dataUrl });
      } catch (problem) {
        setImageProblem(`The image could not be read: ${problem instanceof Error ? problem.message : String(problem)}`);
      }
    },
    [go, statsData],
  );
  const { dragging } = useImageDropAndPaste((file) => void onPickImage(file), ready);

  const onFindSimilar = useCallback(
    (hit: Hit) => {
      setLightbox(null);
      setImage(null);
      go({ q: '', similar: hit.id, terms: undefined }, 'push');
    },
    [go],
  );

  // "More like this" / "Less like this": the image joins the query as a +1 / -1 term ("find similar" becomes a +1 term);
  // "Leave out" a description: a -1 text term.
  const onAddUrlTerm = useCallback(
    (kind: UrlTerm['kind'], value: string, weight: number) => {
      setLightbox(null);
      const base: UrlTerm[] = url.terms ?? (url.similar ? [{ kind: 'img', value: url.similar, weight: 1 }] : []);
      const next = addTerm(base, kind, value, weight);
      go({ similar: undefined, terms: next.length > 0 ? next : undefined }, 'push');
    },
    [go, url.terms, url.similar],
  );
  const onAddTerm = useCallback((hit: Hit, weight: 1 | -1) => onAddUrlTerm('img', hit.id, weight), [onAddUrlTerm]);
  const onSubtractText = useCallback((text: string) => onAddUrlTerm('text', text, -1), [onAddUrlTerm]);

  const onRemoveTerm = useCallback(
    (index: number) => {
      const next = terms.filter((_, i) => i !== index);
      go({ terms: next.length > 0 ? next : undefined }, 'push');
    },
    [go, terms],
  );

  const onRemoveChip = useCallback(() => {
    setImage(null);
    setLightbox(null);
    if (url.similar) go({ similar: undefined }, 'push');
  }, [go, url.similar]);

  const openPanel = useCallback(() => {
    setPanelOpen(true);
    // The panel mounts on this render: focus its folder field on the next frame.
    requestAnimationFrame(() => folderInputRef.current?.focus());
  }, []);

  const onJobFinished = useCallback(
    (job: ReindexJob) => {
      if (job.state === 'SUCCEEDED' || job.state === 'CANCELLED') {
        // New images: every cached search is stale. Dropping them makes the search on screen fetch again.
        for (const fieldName of ['search', 'similar', 'searchByImage', 'image']) client.cache.evict({ id: 'ROOT_QUERY', fieldName });
        client.cache.gc();
        void client.refetchQueries({ include: [STATS_QUERY] }).catch(() => undefined);
      }
    },
    [client],
  );

  // A reindex running when the page loads: show its progress.
  const runningJob = statsData?.currentReindexJob ?? null;
  const indexing = shownJob ? !isFinalState(shownJob.state) : runningJob !== null;
  useEffect(() => {
    if (runningJob) setPanelOpen(true);
  }, [runningJob]);

  const closeLightbox = useCallback(() => {
    const index = lightbox;
    setLightbox(null);
    if (index !== null) requestAnimationFrame(() => galleryRef.current?.querySelector<HTMLButtonElement>(`[data-index="${index}"] button`)?.focus());
  }, [lightbox]);

  useEffect(() => {
    if (lightbox !== null && lightbox >= hits.length) setLightbox(null);
  }, [hits, lightbox]);

  const description: QueryDescription | null =
    mode === 'terms'
      ? { kind: 'terms', text: url.q, terms: termInputs.length }
      : mode === 'text'
      ? { kind: 'text', text: url.q }
      : mode === 'similar'
        ? { kind: 'similar', label: shown?.source?.path ?? `image #${url.similar}` }
        : mode === 'image'
          ? { kind: 'image', name: image!.name }
          : null;

  const chip: QueryChip | null = image
    ? { kind: 'image', label: image.name, imageSrc: image.dataUrl }
    : url.similar
      ? { kind: 'similar', label: `Similar to ${shown?.source?.path ?? `image #${url.similar}`}`, imageSrc: shown?.source?.thumbnailUrl }
      : null;

  const status: Status = (() => {
    if (!statsData) {
      if (stats.error) return { kind: 'unreachable', message: describeProblem(stats.error).message };
      return { kind: 'starting' };
    }
    if (search?.error) {
      const problem = describeProblem(search.error);
      return problem.kind === 'unreachable' ? { kind: 'unreachable', message: problem.message } : { kind: 'api-error', message: problem.message };
    }
    if (!description) {
      if (statsData.images > 0) return { kind: 'idle', totalImages: statsData.images };
      return indexing ? { kind: 'indexing-first' } : { kind: 'no-index' };
    }
    if (search?.loading || !current) return { kind: 'searching', query: description };
    if (current.result.totalImages === 0) return indexing ? { kind: 'indexing-first' } : { kind: 'no-index' };
    return {
      kind: 'results',
      query: description,
      count: current.result.hits.length,
      tookMs: current.result.tookMs,
      totalImages: current.result.totalImages,
      // The server's threshold: the one asked for, or the model's default for a text search.
      ...((url.minScore ?? current.result.minScore ?? undefined) !== undefined && { minScore: url.minScore ?? current.result.minScore ?? undefined }),
    };
  })();

  const retry = () => {
    if (!statsData) void stats.refetch().catch(() => undefined);
    else void search?.refetch().catch(() => undefined);
  };

  const showGallery = hits.length > 0 && !search?.error;

  return (
    <div className="app">
      <header className="app-header">
        <h1>
          <a href="/" className="home">
            Photo search
          </a>
        </h1>
        <button type="button" className="link-button" aria-expanded={panelOpen} aria-controls="index-panel" onClick={() => (panelOpen ? setPanelOpen(false) : openPanel())}>
          Index a folder
        </button>
        <a href="/?view=duplicates" className="link-button">
          Near-duplicates
        </a>
      </header>

      {statsData && (
        <IndexPanel
          hidden={!panelOpen}
          allowedRoots={statsData.allowedRoots}
          initialJob={runningJob}
          onJobFinished={onJobFinished}
          onJobUpdate={setShownJob}
          folderInputRef={folderInputRef}
          onClose={() => setPanelOpen(false)}
        />
      )}

      <main>
        <SearchForm
          query={url.q}
          live={live}
          onSearch={onSearch}
          chip={chip}
          onRemoveChip={onRemoveChip}
          onPickImage={(file) => void onPickImage(file)}
          maxLength={statsData?.limits.maxQueryLength}
          disabled={!ready}
        >
          <TermChips terms={terms} onRemove={onRemoveTerm} onSubtractText={mode !== null ? onSubtractText : undefined} maxLength={statsData?.limits.maxQueryLength} />
        </SearchForm>
        <div className="controls">
          <ResultCountSlider value={k} max={maxResults} onChange={(next) => go({ k: next }, 'push')} disabled={!ready} />
          <ScoreThreshold
            value={url.minScore}
            onChange={(next) => go({ minScore: next }, 'replace')}
            disabled={!ready}
            suggested={statsData?.scoreScale.minScore}
            modelDefault={url.minScore === undefined ? (current?.result.minScore ?? undefined) : undefined}
          />
        </div>
        <FilterBar
          filter={url.filter ?? {}}
          sort={url.sort}
          onChange={(next) => go({ filter: Object.keys(next).length > 0 ? next : undefined }, 'push')}
          onSort={(next) => go({ sort: next }, 'push')}
          disabled={!ready}
        />
        {imageProblem && (
          <div className="status status-error" role="alert" data-status="image-problem">
            {imageProblem}
          </div>
        )}
        <StatusLine status={status} onIndexFolder={openPanel} onClearThreshold={() => go({ minScore: url.minScore === undefined ? -1 : undefined }, 'push')} onRetry={retry} />
        {showGallery && <Gallery ref={galleryRef} hits={hits} onOpen={setLightbox} busy={search?.loading} scoreScale={statsData?.scoreScale} onAddTerm={onAddTerm} />}
      </main>
      {statsData?.index && <IndexFooter index={statsData.index} />}

      {lightbox !== null && hits[lightbox] && (
        <Lightbox hits={hits} index={lightbox} onIndexChange={setLightbox} onClose={closeLightbox} onFindSimilar={onFindSimilar} onAddTerm={onAddTerm} />
      )}
      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          <p>Drop an image to find similar photos</p>
        </div>
      )}
    </div>
  );
}

function termInput(term: UrlTerm): { text: string; weight: number } | { imageId: string; weight: number } {
  return term.kind === 'img' ? { imageId: term.value, weight: term.weight } : { text: term.value, weight: term.weight };
}
