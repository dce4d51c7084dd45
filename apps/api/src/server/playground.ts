import path from 'node:path';
import { Router, type Request, type Response } from 'express';

/**
 * GraphiQL served entirely from installed npm packages (graphiql's UMD bundle and React 18's UMD builds), so
 * the playground works with no internet access. Apollo's own landing page loads from a CDN and is disabled.
 */

export const PLAYGROUND_ASSETS_PATH = '/playground/assets';

function packageFile(packageName: string, file: string): string {
  return path.join(path.dirname(require.resolve(`${packageName}/package.json`)), file);
}

function graphiqlFile(file: string): string {
  // graphiql has no "exports" map and its package.json cannot be resolved through one: start from its main file.
  return path.join(path.dirname(require.resolve('graphiql')), '..', file);
}

/** The only files the playground routes can serve: a fixed list, nothing derived from the request. */
const ASSET_FILES: Record<string, () => string> = {
  'react.production.min.js': () => packageFile('react', 'umd/react.production.min.js'),
  'react-dom.production.min.js': () => packageFile('react-dom', 'umd/react-dom.production.min.js'),
  'graphiql.min.js': () => graphiqlFile('graphiql.min.js'),
  'graphiql.min.css': () => graphiqlFile('graphiql.min.css'),
};

const DEFAULT_QUERY = `# Semantic image search. Try Ctrl-Enter, and open the docs (book icon) for the whole schema.
query Search {
  search(query: "a sunny beach scene", k: 12) {
    totalImages
    tookMs
    hits { id path score width height thumbnailUrl imageUrl }
  }
  stats { images modelName indexType dimension lastReindexAt allowedRoots }
}
`;

/** Mounts GraphiQL in the page; reads the endpoint from its own script tag (no inline script: CSP-friendly). */
const INIT_SCRIPT = `(function () {
  var script = document.currentScript;
  var endpoint = new URL(script.getAttribute('data-endpoint'), window.location.href).href;
  var fetcher = GraphiQL.createFetcher({ url: endpoint });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultQuery: ${JSON.stringify(DEFAULT_QUERY)},
    defaultEditorToolsVisibility: true,
    shouldPersistHeaders: false
  }));
})();
`;

/** True for a browser navigating to the page (Accept prefers text/html over JSON). */
export function wantsHtml(req: Request): boolean {
  return req.method === 'GET' && req.accepts(['application/json', 'text/html']) === 'text/html';
}

export function playgroundHtml(endpoint: string): string {
  const asset = (name: string) => `${PLAYGROUND_ASSETS_PATH}/${name}`;
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Semantic image search - GraphQL playground</title>
  <link rel="stylesheet" href="${asset('graphiql.min.css')}">
  <style>html, body, #graphiql { height: 100%; margin: 0; overflow: hidden; }</style>
</head>
<body>
  <div id="graphiql">Loading the GraphQL playground...</div>
  <script src="${asset('react.production.min.js')}"></script>
  <script src="${asset('react-dom.production.min.js')}"></script>
  <script src="${asset('graphiql.min.js')}"></script>
  <script src="${asset('playground.js')}" data-endpoint="${endpoint}"></script>
</body>
</html>
`;
}

/** Same-origin only; inline styles are needed by GraphiQL's editor. */
export const PLAYGROUND_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; " +
  "connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** GET <assets>/:name for the playground's scripts and styles (cached for a day by browsers). */
export function playgroundAssets(): Router {
  const router = Router();
  router.get(`${PLAYGROUND_ASSETS_PATH}/playground.js`, (_req, res) => {
    res.type('application/javascript').set('Cache-Control', 'public, max-age=86400').send(INIT_SCRIPT);
  });
  router.get(`${PLAYGROUND_ASSETS_PATH}/:name`, (req, res, next) => {
    const resolve = Object.hasOwn(ASSET_FILES, req.params.name) ? ASSET_FILES[req.params.name] : undefined;
    if (!resolve) return next();
    res.sendFile(resolve(), { maxAge: 86_400_000, dotfiles: 'allow' }, (error) => {
      if (error && !res.headersSent) next(error);
    });
  });
  return router;
}

/** Sends the playground page. */
export function sendPlayground(res: Response, endpoint: string): void {
  res
    .status(200)
    .type('html')
    .set('Content-Security-Policy', PLAYGROUND_CSP)
    .set('Cache-Control', 'no-cache')
    .send(playgroundHtml(endpoint));
}
