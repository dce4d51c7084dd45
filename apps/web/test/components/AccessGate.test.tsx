import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { AccessGate } from '../../src/components/AccessGate';

/** The access-token prompt (issue 10): asked once when the server needs a token, sent to /auth/login, never kept by the page. */

type Route = (init: RequestInit | undefined) => { status: number; body?: unknown; headers?: Record<string, string> };

function fakeServer(routes: Record<string, Route>) {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  const fetchImpl = jest.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    calls.push({ url, init });
    const route = routes[url];
    if (!route) throw new TypeError('Failed to fetch');
    const { status, body, headers = {} } = route(init);
    return {
      status,
      ok: status >= 200 && status < 300,
      headers: { get: (name: string) => headers[name.toLowerCase()] ?? null },
      json: async () => body,
    } as unknown as Response;
  });
  return { fetchImpl: fetchImpl as unknown as typeof fetch, calls };
}

const TOKEN = 'correct-horse-battery-staple';

describe('AccessGate', () => {
  it('shows the app at once when the server needs no token', async () => {
    const server = fakeServer({ '/auth/session': () => ({ status: 200, body: { required: false, authenticated: true } }) });
    render(<AccessGate fetchImpl={server.fetchImpl}>the app</AccessGate>);
    expect(await screen.findByText('the app')).toBeInTheDocument();
    expect(screen.queryByLabelText('Access token')).toBeNull();
  });

  it('asks for the token, says when it is wrong, and shows the app once the server accepts it', async () => {
    const user = userEvent.setup();
    const server = fakeServer({
      '/auth/session': () => ({ status: 200, body: { required: true, authenticated: false } }),
      '/auth/login': (init) => (JSON.parse(String(init?.body)) as { token: string }).token === TOKEN ? { status: 204 } : { status: 401, body: { error: 'Wrong access token.' } },
    });
    const onAccess = jest.fn();
    render(
      <AccessGate fetchImpl={server.fetchImpl} onAccess={onAccess}>
        the app
      </AccessGate>,
    );
    const field = await screen.findByLabelText('Access token');
    expect(field).toHaveAttribute('type', 'password');
    expect(screen.queryByText('the app')).toBeNull();

    await user.type(field, 'guess{Enter}');
    expect(await screen.findByRole('alert')).toHaveTextContent('That is not the access token of this server.');
    expect(screen.queryByText('the app')).toBeNull();

    await user.clear(field);
    await user.type(field, `  ${TOKEN} `);
    await user.click(screen.getByRole('button', { name: 'Continue' }));
    expect(await screen.findByText('the app')).toBeInTheDocument();
    expect(onAccess).toHaveBeenCalledTimes(1);
    const logins = server.calls.filter((call) => call.url === '/auth/login');
    expect(logins).toHaveLength(2);
    expect(logins[1]!.init).toMatchObject({ method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: TOKEN }) });
    // The page keeps nothing: the server's HttpOnly cookie carries the token from here on.
    expect(window.localStorage.length + window.sessionStorage.length).toBe(0);
    expect(document.cookie).toBe('');
  });

  it('says how long to wait when the server rate-limits attempts', async () => {
    const user = userEvent.setup();
    const server = fakeServer({
      '/auth/session': () => ({ status: 200, body: { required: true, authenticated: false } }),
      '/auth/login': () => ({ status: 429, headers: { 'retry-after': '42' } }),
    });
    render(<AccessGate fetchImpl={server.fetchImpl}>the app</AccessGate>);
    await user.type(await screen.findByLabelText('Access token'), 'x{Enter}');
    expect(await screen.findByRole('alert')).toHaveTextContent('Too many wrong tokens from this computer: try again in 42 s.');
  });

  it('asks again when the app lost access (a 401 after the token changed), and shows the app when the cookie already works', async () => {
    const server = fakeServer({ '/auth/session': () => ({ status: 200, body: { required: true, authenticated: true } }) });
    const { rerender } = render(<AccessGate fetchImpl={server.fetchImpl}>the app</AccessGate>);
    expect(await screen.findByText('the app')).toBeInTheDocument();
    rerender(
      <AccessGate fetchImpl={server.fetchImpl} lostAccess>
        the app
      </AccessGate>,
    );
    await waitFor(() => expect(screen.getByLabelText('Access token')).toBeInTheDocument());
    expect(screen.getByText(/no longer accepts this browser’s access token/)).toBeInTheDocument();
  });

  it('lets the app report an unreachable server itself', async () => {
    const server = fakeServer({});
    render(<AccessGate fetchImpl={server.fetchImpl}>the app</AccessGate>);
    expect(await screen.findByText('the app')).toBeInTheDocument();
  });
});
