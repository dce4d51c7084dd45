import { useCallback, useMemo, useState } from 'react';
import { ApolloProvider } from '@apollo/client/react';
import { App } from './App';
import { createApolloClient, graphqlUri } from './apollo';
import { AccessGate } from './components/AccessGate';
import { DuplicatesPage } from './components/DuplicatesPage';

/** The app behind the access-token prompt; a GraphQL answer of 401 (token changed on the server) asks again. */
export function Root({ apiUrl }: { apiUrl: string | undefined }): React.JSX.Element {
  const [lostAccess, setLostAccess] = useState(false);
  const client = useMemo(
    () =>
      createApolloClient(graphqlUri(apiUrl), async (input, init) => {
        const response = await fetch(input, init);
        if (response.status === 401) setLostAccess(true);
        return response;
      }),
    [apiUrl],
  );
  const onAccess = useCallback(() => {
    setLostAccess(false);
    void client.clearStore();
  }, [client]);
  return (
    <AccessGate apiBase={apiUrl ? apiUrl.replace(/\/+$/, '') : ''} lostAccess={lostAccess} onAccess={onAccess}>
      <ApolloProvider client={client}>
        {new URLSearchParams(window.location.search).get('view') === 'duplicates' ? <DuplicatesPage /> : <App />}
      </ApolloProvider>
    </AccessGate>
  );
}
