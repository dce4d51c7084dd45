import { useCallback, useEffect, useState, type FormEvent, type ReactNode } from 'react';

/**
 * Asks for the server's access token once, when the server needs one (bound beyond loopback, or SIS_API_TOKEN set).
 * The token goes to POST /auth/login, which answers with an HttpOnly, SameSite=Strict cookie: the page never keeps
 * the token itself, and the browser sends the cookie with every GraphQL, image and thumbnail request.
 */

type Session = 'checking' | 'needs-token' | 'ready';

export interface AccessGateProps {
  children: ReactNode;
  /** Origin of the API ('' : this page's own). */
  apiBase?: string;
  fetchImpl?: typeof fetch;
  /** Set by the app when a request answers 401 (the token changed on the server): asks again. */
  lostAccess?: boolean;
  onAccess?: () => void;
}

export function AccessGate({ children, apiBase = '', fetchImpl, lostAccess = false, onAccess }: AccessGateProps): React.JSX.Element {
  const request = fetchImpl ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const [session, setSession] = useState<Session>('checking');

  useEffect(() => {
    let cancelled = false;
    request(`${apiBase}/auth/session`, { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(async (response) => {
        // A server without the endpoint (older) or unreachable: the app itself says what is wrong.
        if (!response.ok) return 'ready' as const;
        const body = (await response.json()) as { required?: boolean; authenticated?: boolean };
        return body.required && !body.authenticated ? ('needs-token' as const) : ('ready' as const);
      })
      .catch(() => 'ready' as const)
      .then((next) => {
        if (!cancelled) setSession(next);
      });
    return () => {
      cancelled = true;
    };
    // Once per page load.
  }, []);

  const onLoggedIn = useCallback(() => {
    setSession('ready');
    onAccess?.();
  }, [onAccess]);

  if (session === 'checking') return <p className="status status-muted">Connecting…</p>;
  if (session === 'needs-token' || lostAccess) return <TokenPrompt apiBase={apiBase} request={request} onLoggedIn={onLoggedIn} again={lostAccess} />;
  return <>{children}</>;
}

function TokenPrompt({ apiBase, request, onLoggedIn, again }: { apiBase: string; request: typeof fetch; onLoggedIn: () => void; again: boolean }): React.JSX.Element {
  const [token, setToken] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [sending, setSending] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (token.trim() === '') {
      setProblem('Enter the access token.');
      return;
    }
    setSending(true);
    setProblem(null);
    try {
      const response = await request(`${apiBase}/auth/login`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: token.trim() }),
      });
      if (response.ok) {
        setToken('');
        onLoggedIn();
        return;
      }
      if (response.status === 429) {
        const wait = Number(response.headers.get('retry-after'));
        setProblem(`Too many wrong tokens from this computer: try again ${Number.isFinite(wait) && wait > 0 ? `in ${wait} s` : 'later'}.`);
      } else if (response.status === 401) {
        setProblem('That is not the access token of this server.');
      } else {
        setProblem(`The server answered ${response.status}: try again.`);
      }
    } catch {
      setProblem('The server cannot be reached.');
    } finally {
      setSending(false);
    }
  };

  return (
    <div className="app">
      <form className="panel token-prompt" onSubmit={(event) => void submit(event)} aria-labelledby="token-title">
        <h1 id="token-title">Photo search</h1>
        <p>
          {again ? 'The server no longer accepts this browser’s access token.' : 'This server needs an access token.'} It was printed when the server was
          first started with <code>sis serve --new-token</code>, or is the value of <code>SIS_API_TOKEN</code>. You are asked once: this browser then keeps
          it in a cookie.
        </p>
        <label htmlFor="access-token">Access token</label>
        <div className="index-row">
          <input
            id="access-token"
            type="password"
            autoComplete="current-password"
            value={token}
            onChange={(event) => setToken(event.target.value)}
            aria-invalid={problem !== null}
            aria-describedby={problem ? 'token-problem' : undefined}
            autoFocus
          />
          <button type="submit" disabled={sending}>
            {sending ? 'Checking…' : 'Continue'}
          </button>
        </div>
        {problem && (
          <p id="token-problem" className="field-error" role="alert">
            {problem}
          </p>
        )}
      </form>
    </div>
  );
}
