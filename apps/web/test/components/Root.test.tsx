import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Root } from '../../src/Root';
import { statsAnswer } from './mockApi';

/** The page as main.tsx mounts it: the token prompt in front of the app, over the browser's fetch. */

function response(status: number, body: unknown): Response {
  return { status, ok: status < 300, headers: { get: () => 'application/json' }, json: async () => body, text: async () => JSON.stringify(body) } as unknown as Response;
}

describe('Root', () => {
  const realFetch = global.fetch;
  afterEach(() => {
    global.fetch = realFetch;
  });

  it('asks for the token again when GraphQL answers 401 (the token changed on the server), then shows the app again', async () => {
    const user = userEvent.setup();
    let accepted = false;
    let graphqlCalls = 0;
    global.fetch = jest.fn(async (input: RequestInfo | URL) => {
      const url = String(input);
      if (url === '/auth/session') return response(200, { required: true, authenticated: true });
      if (url === '/auth/login') {
        accepted = true;
        return response(204, null);
      }
      graphqlCalls++;
      // The first Stats call finds the cookie no longer valid.
      return accepted ? response(200, statsAnswer(7)) : response(401, { errors: [{ message: 'Wrong access token.', extensions: { code: 'UNAUTHENTICATED' } }] });
    }) as unknown as typeof fetch;
    render(<Root apiUrl={undefined} />);
    const field = await screen.findByLabelText('Access token');
    expect(screen.getByText(/no longer accepts this browser’s access token/)).toBeInTheDocument();
    await user.type(field, 'the-new-token-1234567{Enter}');
    expect(await screen.findByText(/Search 7 indexed images/)).toBeInTheDocument();
    expect(graphqlCalls).toBeGreaterThanOrEqual(2);
  });
});
