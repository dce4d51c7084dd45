import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';

/**
 * The app's Apollo client. Search hits are not normalised: the same image has a different score in every search, so a
 * hit belongs to the result that holds it (normalising by id would overwrite one search's scores with another's).
 */
export function createApolloClient(uri: string, fetchImpl?: typeof fetch): ApolloClient {
  return new ApolloClient({
    link: new HttpLink({ uri, ...(fetchImpl && { fetch: fetchImpl }) }),
    cache: new InMemoryCache({
      typePolicies: {
        SearchResult: { keyFields: false },
        SearchHit: { keyFields: false },
        Stats: { keyFields: false },
        Limits: { keyFields: false },
        SkippedFile: { keyFields: false },
      },
    }),
  });
}

/** Same origin by default (production, and the Vite dev server's proxy); or an API elsewhere (CORS must allow this page). */
export function graphqlUri(apiUrl: string | undefined): string {
  return apiUrl ? `${apiUrl.replace(/\/+$/, '')}/graphql` : '/graphql';
}
