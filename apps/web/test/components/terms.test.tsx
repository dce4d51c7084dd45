import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { addTerm, formatUrlState, parseUrlState } from '../../src/url';
import { mockApi, renderApp, resultAnswer, searchByK, statsAnswer, type MockApi } from './mockApi';

/** Composite queries in the page: "More like this" / "Less like this", term chips with weights, the terms in the URL. */

function api(): MockApi {
  return mockApi({
    Stats: () => statsAnswer(),
    Search: searchByK,
    SearchTerms: searchByK,
    SearchByImage: searchByK,
    Similar: (v) => resultAnswer(Number(v.k), { source: { id: String(v.imageId), path: 'holidays/dog.jpg' } }),
    TermImage: (v) => ({ data: { image: { __typename: 'Image', id: v.id, path: `holidays/photo-${String(v.id)}.jpg`, thumbnailUrl: `http://api.test/thumbnails/${String(v.id)}` } } }),
  });
}

function chips(): { kind: string; value: string; weight: string; text: string }[] {
  return screen.queryAllByTestId('term-chip').map((chip) => ({ kind: chip.dataset.kind!, value: chip.dataset.value!, weight: chip.dataset.weight!, text: chip.textContent! }));
}

afterEach(() => window.history.replaceState(null, '', '/'));

describe('terms in the URL', () => {
  it('round-trips q, terms in order, k and min', () => {
    const state = { q: 'golden retriever', k: 24, minScore: 0.2, terms: [{ kind: 'text' as const, value: 'snow, deep', weight: 2 }, { kind: 'img' as const, value: '42', weight: -1 }] };
    const search = formatUrlState(state);
    expect(search).toBe('?q=golden+retriever&t=2%2Ctext%2Csnow%2C+deep&t=-1%2Cimg%2C42&k=24&min=0.2');
    expect(parseUrlState(search)).toEqual(state);
  });

  it('drops malformed terms from a hand-edited URL', () => {
    expect(parseUrlState('?q=x&t=0,img,4&t=abc,img,4&t=1,img,x&t=1,pic,4&t=1,text,&t=0.5,img,7').terms).toEqual([{ kind: 'img', value: '7', weight: 0.5 }]);
    expect(parseUrlState('?q=x&t=nonsense').terms).toBeUndefined();
  });

  it('adds to an image term already there, and removes one that comes to 0', () => {
    const one = addTerm([], 'img', '5', 1);
    expect(addTerm(one, 'img', '5', 1)).toEqual([{ kind: 'img', value: '5', weight: 2 }]);
    expect(addTerm(one, 'img', '5', -1)).toEqual([]);
    expect(addTerm(one, 'img', '6', -1)).toEqual([{ kind: 'img', value: '5', weight: 1 }, { kind: 'img', value: '6', weight: -1 }]);
    expect(addTerm(one, 'text', '5', -1)).toEqual([{ kind: 'img', value: '5', weight: 1 }, { kind: 'text', value: '5', weight: -1 }]);
  });
});

describe('More like this / Less like this', () => {
  it('adds the tile as a +1 or -1 term, shows chips with weights, and searches with query and terms', async () => {
    const user = userEvent.setup();
    const server = api();
    renderApp(server, '/?q=sunset&k=12');
    await waitFor(() => expect(screen.getAllByRole('listitem').length).toBeGreaterThan(3));
    await user.click(screen.getByRole('button', { name: /^More like .* 2$/ }));
    await waitFor(() => expect(server.calls('SearchTerms')).toHaveLength(1));
    expect(server.calls('SearchTerms')[0]).toEqual({ query: 'sunset', terms: [{ imageId: '2', weight: 1 }], k: 12, minScore: null });
    expect(window.location.search).toBe('?q=sunset&t=1%2Cimg%2C2&k=12');
    await user.click(screen.getByRole('button', { name: /^Less like .* 4$/ }));
    await waitFor(() => expect(server.calls('SearchTerms')).toHaveLength(2));
    expect(server.calls('SearchTerms')[1]!.terms).toEqual([{ imageId: '2', weight: 1 }, { imageId: '4', weight: -1 }]);
    await waitFor(() => expect(chips().map((chip) => chip.text)).toEqual([expect.stringMatching(/^\+1photo-2\.jpg/), expect.stringMatching(/^−1photo-4\.jpg/)]));
    expect(await screen.findByRole('status')).toHaveTextContent("Found 12 results for 'sunset' with 2 more terms");
    // Removing a chip searches without it; removing the last one is the plain text search again.
    await user.click(screen.getByRole('button', { name: 'Remove less like photo-4.jpg' }));
    await waitFor(() => expect(chips()).toHaveLength(1));
    await user.click(screen.getByRole('button', { name: 'Remove more like photo-2.jpg' }));
    await waitFor(() => expect(window.location.search).toBe('?q=sunset&k=12'));
    expect(chips()).toHaveLength(0);
  });

  it('in the lightbox, and twice on the same image makes its weight 2; typing a new text keeps the terms', async () => {
    const user = userEvent.setup();
    const server = api();
    renderApp(server, '/?q=sunset&t=1,img,3&k=12');
    await waitFor(() => expect(chips()).toHaveLength(1));
    fireEvent.click(within(screen.getByRole('list', { name: 'Results' })).getAllByRole('button', { name: /score/ })[4]!);
    const dialog = await screen.findByRole('dialog');
    await user.click(within(dialog).getByRole('button', { name: 'More like this' }));
    await waitFor(() => expect(chips()).toHaveLength(2));
    fireEvent.click(within(screen.getByRole('list', { name: 'Results' })).getAllByRole('button', { name: /score/ })[4]!);
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'More like this' }));
    await waitFor(() => expect(chips()[1]!.weight).toBe('2'));
    const box = screen.getByRole('searchbox');
    await user.clear(box);
    await user.type(box, 'beach{Enter}');
    await waitFor(() => expect(server.calls('SearchTerms').at(-1)).toEqual({ query: 'beach', terms: [{ imageId: '3', weight: 1 }, { imageId: '5', weight: 2 }], k: 12, minScore: null }));
    expect(window.location.search).toBe('?q=beach&t=1%2Cimg%2C3&t=2%2Cimg%2C5&k=12');
  });

  it('turns "find similar" into a +1 term when refined', async () => {
    const user = userEvent.setup();
    const server = api();
    renderApp(server, '/?similar=9&k=12');
    await waitFor(() => expect(screen.getAllByRole('listitem').length).toBeGreaterThan(3));
    await user.click(screen.getByRole('button', { name: /^Less like .* 5$/ }));
    await waitFor(() => expect(server.calls('SearchTerms')).toHaveLength(1));
    expect(server.calls('SearchTerms')[0]).toEqual({ query: null, terms: [{ imageId: '9', weight: 1 }, { imageId: '5', weight: -1 }], k: 12, minScore: null });
    expect(window.location.search).toBe('?t=1%2Cimg%2C9&t=-1%2Cimg%2C5&k=12');
  });

  it('refines a pasted-image search: the image goes along as an imageBase64 term (it is not in the URL)', async () => {
    const user = userEvent.setup();
    const server = api();
    renderApp(server);
    await screen.findByText(/Search 8,091 indexed images/);
    const file = new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], 'beach.png', { type: 'image/png' });
    const paste = new Event('paste', { bubbles: true, cancelable: true });
    Object.defineProperty(paste, 'clipboardData', { value: { items: [{ kind: 'file', getAsFile: () => file }] } });
    act(() => {
      window.dispatchEvent(paste);
    });
    await waitFor(() => expect(server.calls('SearchByImage')).toHaveLength(1));
    await waitFor(() => expect(screen.getAllByRole('listitem').length).toBeGreaterThan(3));
    await user.click(screen.getByRole('button', { name: /^More like .* 3$/ }));
    await waitFor(() => expect(server.calls('SearchTerms')).toHaveLength(1));
    expect(server.calls('SearchTerms')[0]).toEqual({ query: null, terms: [{ imageBase64: 'data:image/png;base64,iVBORw==', weight: 1 }, { imageId: '3', weight: 1 }], k: 12, minScore: null });
    expect(window.location.search).toBe('?t=1%2Cimg%2C3&k=12');
    expect(screen.getByTestId('query-chip')).toHaveTextContent('beach.png');
    expect(await screen.findByRole('status')).toHaveTextContent('with 2 terms');
  });

  it('"Leave out…" adds a description as a -1 text term without running the text search', async () => {
    const user = userEvent.setup();
    const server = api();
    renderApp(server, '/?q=golden+retriever&k=12');
    await waitFor(() => expect(screen.getAllByRole('listitem').length).toBeGreaterThan(3));
    await user.click(screen.getByRole('button', { name: '− Leave out…' }));
    await user.type(screen.getByRole('textbox', { name: /Leave out photos like this description/ }), 'people{Enter}');
    await waitFor(() => expect(server.calls('SearchTerms')).toHaveLength(1));
    expect(server.calls('SearchTerms')[0]).toEqual({ query: 'golden retriever', terms: [{ text: 'people', weight: -1 }], k: 12, minScore: null });
    expect(server.calls('Search')).toHaveLength(1);
    expect(window.location.search).toBe('?q=golden+retriever&t=-1%2Ctext%2Cpeople&k=12');
    expect(chips()).toEqual([{ kind: 'text', value: 'people', weight: '-1', text: expect.stringMatching(/^−1“people”/) }]);
    expect(screen.getByRole('searchbox')).toHaveValue('golden retriever');
  });
});
