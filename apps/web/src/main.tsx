import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApolloProvider } from '@apollo/client/react';
import { App } from './App';
import { createApolloClient, graphqlUri } from './apollo';
import './styles.css';

const client = createApolloClient(graphqlUri(import.meta.env.VITE_SIS_API_URL));

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <ApolloProvider client={client}>
        <App />
      </ApolloProvider>
    </StrictMode>,
  );
}
