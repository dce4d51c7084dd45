/** Placeholder until the web issue: the search UI lands on top of the GraphQL API. */
export function App() {
  return (
    <main>
      <h1>Semantic image search</h1>
      <p>Use the command line for now: <code>pnpm --filter api search "a dog in the snow"</code>.</p>
    </main>
  );
}
