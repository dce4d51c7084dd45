import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { kSteps } from '../../src/components/ResultControls';
import { job, mockApi, renderApp, resultAnswer, searchByK, statsAnswer, type MockApi } from './mockApi';

/** The whole page against mocked GraphQL answers: search form, slider, gallery, status line, URL, errors. */

function tileIds(): string[] {
  return within(screen.getByRole('list', { name: 'Results' }))
    .getAllByRole('listitem')
    .map((tile) => tile.dataset.id!);
}

async function resultsStatus(): Promise<HTMLElement> {
  return waitFor(() => {
    const status = document.querySelector<HTMLElement>('[data-status="results"]');
    if (!status) throw new Error('no results yet');
    return status;
  });
}

function api(overrides: Partial<MockApi['handlers']> = {}): MockApi {
  return mockApi({ Stats: () => statsAnswer(), Search: searchByK, Similar: (v) => resultAnswer(Number(v.k), { source: { id: String(v.imageId), path: 'holidays/2024/dog_in-snow-1.jpg' } }), ...overrides });
}

afterEach(() => window.history.replaceState(null, '', '/'));

describe('App: searching', () => {
  it('searches on Enter, fills the gallery in order, reports the result and puts the query in the URL', async () => {
    const user = userEvent.setup();
    const server = api();
    renderApp(server);
    expect(await screen.findByText(/Search 8,091 indexed images/)).toBeInTheDocument();
    await user.type(screen.getByRole('searchbox'), 'a dog in the snow{Enter}');
    expect(await resultsStatus()).toHaveTextContent("Found 12 results for 'a dog in the snow' in 18 ms (of 8,091 images)");
    expect(tileIds()).toEqual(Array.from({ length: 12 }, (_, i) => String(i + 1)));
    expect(server.calls('Search')).toEqual([{ query: 'a dog in the snow', k: 12, minScore: null }]);
    expect(window.location.search).toBe('?q=a+dog+in+the+snow&k=12');
  });

  it('runs the search of a shared URL when it opens, with its k', async () => {
    const server = api();
    renderApp(server, '/?q=sunset&k=5');
    expect(await resultsStatus()).toHaveTextContent("Found 5 results for 'sunset'");
    expect(tileIds()).toHaveLength(5);
    expect(screen.getByRole<HTMLInputElement>('searchbox').value).toBe('sunset');
    expect(screen.getByRole('slider')).toHaveAttribute('aria-valuetext', '5 results');
  });

  it('shows which index answers, with its size in memory and on disk', async () => {
    renderApp(mockApi({ Stats: () => statsAnswer(1000) }));
    expect(await screen.findByTestId('index-footer')).toHaveTextContent('Index: IDMap2,Flat · 1,000 vectors · 2.0 MiB in memory · 2.0 MiB on disk');
  });

  it('bounds k by the API maximum, which is also the end of the slider', async () => {
    const server = api({ Stats: () => statsAnswer(500, { maxResults: 50 }) });
    renderApp(server, '/?q=sunset&k=5000');
    await resultsStatus();
    expect(server.calls('Search')[0]).toMatchObject({ k: 50 });
    expect(screen.getByRole('slider').dataset.steps!.split(',').at(-1)).toBe('50');
    expect(screen.getByRole('slider')).toHaveAttribute('aria-valuetext', '50 results');
  });

  it('searches again with the number of results chosen on the slider', async () => {
    const server = api();
    renderApp(server, '/?q=sunset&k=12');
    await resultsStatus();
    fireEvent.change(screen.getByRole('slider'), { target: { value: String(kSteps(1000).indexOf(30)) } });
    await waitFor(() => expect(tileIds()).toHaveLength(30));
    expect(screen.getByRole('status')).toHaveTextContent("Found 30 results for 'sunset'");
    expect(window.location.search).toBe('?q=sunset&k=30');
  });

  it('walks back and forward through searches', async () => {
    const user = userEvent.setup();
    const server = api();
    renderApp(server, '/?q=cat&k=12');
    await resultsStatus();
    const box = screen.getByRole('searchbox');
    await user.clear(box);
    await user.type(box, 'boat{Enter}');
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent("for 'boat'"));
    act(() => window.history.back());
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent("Found 12 results for 'cat'"));
    expect(screen.getByRole<HTMLInputElement>('searchbox').value).toBe('cat');
    act(() => window.history.forward());
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent("for 'boat'"));
  });

  it('searches as you type once searches are fast', async () => {
    const user = userEvent.setup();
    const server = api();
    renderApp(server, '/?q=cat&k=12');
    await resultsStatus();
    await waitFor(() => expect(screen.getByText(/Results update as you type/)).toBeInTheDocument());
    const box = screen.getByRole('searchbox');
    await user.clear(box);
    await user.type(box, 'horse');
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent("Found 12 results for 'horse'"));
    expect(server.calls('Search').map((call) => call.query)).toEqual(['cat', 'horse']);
  });

  it('says when no result is above the score threshold, and removes the threshold on request', async () => {
    const user = userEvent.setup();
    const server = api({ Search: (v) => (v.minScore === null ? resultAnswer(12) : resultAnswer(0)) });
    renderApp(server, '/?q=cat&k=12&min=0.9');
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent("No results above the score threshold 0.900 for 'cat' (of 8,091 images)."));
    expect(screen.queryByRole('list', { name: 'Results' })).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Remove the threshold' }));
    await waitFor(() => expect(tileIds()).toHaveLength(12));
    expect(window.location.search).toBe('?q=cat&k=12');
  });

  it('calls to index a folder when the index is empty, and opens the panel with the folder field focused', async () => {
    const user = userEvent.setup();
    renderApp(api({ Stats: () => statsAnswer(0) }));
    expect(await screen.findByText('Nothing is indexed yet.')).toBeInTheDocument();
    await user.click(within(screen.getByRole('status')).getByRole('button', { name: 'Index a folder' }));
    const folder = await screen.findByRole('textbox', { name: 'Folder' });
    await waitFor(() => expect(folder).toHaveFocus());
    expect(folder).toHaveValue('/home/me/Pictures');
  });

  it('shows the progress of a reindex already running when the page opens, and says the first photos are on their way', async () => {
    const running = job({ embedded: 8, toEmbed: 500, unchanged: 0 });
    renderApp(api({ Stats: () => statsAnswer(0, { currentReindexJob: running }), ReindexJob: () => ({ data: { reindexJob: running } }) }));
    expect(await screen.findByText('Indexing your first photos…')).toBeInTheDocument();
    expect(screen.getByRole('region', { name: 'Index a folder' })).toBeInTheDocument();
    expect(screen.getByTestId('job-counts')).toHaveTextContent('8 of 500 embedded');
    expect(screen.getByRole('button', { name: 'Index a folder' })).toHaveAttribute('aria-expanded', 'true');
  });

  it('keeps following a reindex when its panel is closed, and refreshes what it knows when the job is done', async () => {
    const user = userEvent.setup();
    let done = false;
    const running = job({ embedded: 8, toEmbed: 500, unchanged: 0 });
    const server = api({
      Stats: () => statsAnswer(done ? 500 : 0, { currentReindexJob: done ? null : running }),
      ReindexJob: () => {
        done = true;
        return { data: { reindexJob: job({ state: 'SUCCEEDED', phase: 'DONE', embedded: 500, toEmbed: 500, unchanged: 0, skipped: 0 }) } };
      },
    });
    renderApp(server);
    await screen.findByText('Indexing your first photos…');
    await user.click(screen.getByRole('button', { name: 'Close the indexing panel' }));
    expect(screen.queryByRole('region', { name: 'Index a folder' })).not.toBeInTheDocument();
    expect(await screen.findByText(/Search 500 indexed images/, undefined, { timeout: 3000 })).toBeInTheDocument();
    expect(server.calls('Stats').length).toBeGreaterThanOrEqual(2);
  });
});

describe('App: errors', () => {
  it('shows the API message of a refused search, never a stack', async () => {
    const server = api({
      Search: () => ({
        errors: [{ message: 'The search text is empty: describe what you are looking for.', extensions: { code: 'BAD_USER_INPUT' } }],
      }),
    });
    renderApp(server, '/?q=x&k=12');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The search failed: The search text is empty: describe what you are looking for.');
    expect(alert.textContent).not.toMatch(/at .*\.js|Error:/);
  });

  it('reads the message of an HTTP error answered in JSON (e.g. an upload over the limit)', async () => {
    const server = api({
      Search: () => ({ httpStatus: 413, body: JSON.stringify({ errors: [{ message: 'The request body is larger than 13.4 MiB.', extensions: { code: 'BAD_USER_INPUT' } }] }) }),
    });
    renderApp(server, '/?q=x&k=12');
    expect(await screen.findByRole('alert')).toHaveTextContent('The search failed: The request body is larger than 13.4 MiB.');
  });

  it('says the API cannot be reached when the request fails, and recovers on "Try again"', async () => {
    const user = userEvent.setup();
    let up = false;
    const server = api({ Stats: () => (up ? statsAnswer() : new TypeError('Failed to fetch')) });
    renderApp(server);
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Cannot reach the search server.');
    expect(alert).toHaveTextContent('Failed to fetch');
    up = true;
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText(/Search 8,091 indexed images/)).toBeInTheDocument();
  });

  it('treats a gateway error with no GraphQL body (the dev proxy with no API behind it) as unreachable', async () => {
    const server = api({ Search: () => ({ httpStatus: 502, body: '', contentType: 'text/plain' }) });
    renderApp(server, '/?q=x&k=12');
    expect(await screen.findByRole('alert')).toHaveTextContent('Cannot reach the search server.');
  });
});

describe('App: lightbox and search by image', () => {
  it('opens a result, steps with the arrows, closes with Escape back to the tile, and finds similar images', async () => {
    const user = userEvent.setup();
    const server = api();
    renderApp(server, '/?q=cat&k=12');
    await resultsStatus();
    await user.click(screen.getByRole('button', { name: /^dog in snow 2,/ }));
    const dialog = screen.getByRole('dialog', { name: 'dog_in-snow-2.jpg' });
    expect(within(dialog).getByTestId('lightbox-path')).toHaveTextContent('holidays/2024/dog_in-snow-2.jpg');
    expect(within(dialog).getByTestId('lightbox-score')).toHaveTextContent('0.300');
    expect(within(dialog).getByTestId('lightbox-size')).toHaveTextContent('500 × 375 px');
    expect(within(dialog).getByRole('img', { name: 'dog in snow 2' })).toHaveAttribute('src', 'http://api.test/images/2');
    expect(within(dialog).getByRole('button', { name: 'Close (Escape)' })).toHaveFocus();

    await user.keyboard('{ArrowRight}');
    expect(screen.getByTestId('lightbox-path')).toHaveTextContent('dog_in-snow-3.jpg');
    await user.keyboard('{ArrowLeft}{ArrowLeft}{ArrowLeft}');
    expect(screen.getByTestId('lightbox-path')).toHaveTextContent('dog_in-snow-1.jpg');
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    await waitFor(() => expect(screen.getByRole('button', { name: /^dog in snow 1,/ })).toHaveFocus());

    await user.keyboard('{Enter}');
    await user.click(screen.getByRole('button', { name: 'Find similar' }));
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent("Found 12 images similar to 'holidays/2024/dog_in-snow-1.jpg'"));
    expect(server.calls('Similar')).toEqual([{ imageId: '1', k: 12, minScore: null }]);
    expect(window.location.search).toBe('?similar=1&k=12');
    expect(screen.getByTestId('query-chip')).toHaveTextContent('Similar to holidays/2024/dog_in-snow-1.jpg');
  });

  it('searches by a pasted image, shows it as a chip, and drops it when the chip is removed', async () => {
    const user = userEvent.setup();
    const server = api({ SearchByImage: (v) => resultAnswer(Number(v.k), { tookMs: 310 }) });
    renderApp(server);
    await screen.findByText(/Search 8,091 indexed images/);
    const file = new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], 'beach.png', { type: 'image/png' });
    const paste = new Event('paste', { bubbles: true, cancelable: true });
    Object.defineProperty(paste, 'clipboardData', { value: { items: [{ kind: 'file', getAsFile: () => file }] } });
    act(() => {
      window.dispatchEvent(paste);
    });
    expect(await resultsStatus()).toHaveTextContent("Found 12 results for your image 'beach.png' in 310 ms (of 8,091 images)");
    expect(server.calls('SearchByImage')[0]).toEqual({ imageBase64: 'data:image/png;base64,iVBORw==', k: 12, minScore: null });
    expect(screen.getByTestId('query-chip')).toHaveTextContent('beach.png');
    await user.click(screen.getByRole('button', { name: 'Remove beach.png' }));
    expect(screen.queryByTestId('query-chip')).not.toBeInTheDocument();
    expect(await screen.findByText(/Search 8,091 indexed images/)).toBeInTheDocument();
  });

  it('refuses an image over the upload limit, and a file that is not an image, before sending anything', async () => {
    const user = userEvent.setup({ applyAccept: false });
    const server = api({ Stats: () => statsAnswer(10, { maxUploadBytes: 3 }), SearchByImage: () => resultAnswer(1) });
    renderApp(server);
    await screen.findByText(/Search 10 indexed images/);
    await user.upload(screen.getByLabelText('Search by an image file'), new File([new Uint8Array(10)], 'big.jpg', { type: 'image/jpeg' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('big.jpg is 10 B; the server accepts images up to 3 B.');
    await user.upload(screen.getByLabelText('Search by an image file'), new File(['hello'], 'notes.txt', { type: 'text/plain' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('notes.txt is not an image');
    expect(server.calls('SearchByImage')).toEqual([]);
  });
});
