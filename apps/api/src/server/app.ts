import 'reflect-metadata';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express, { type ErrorRequestHandler, type Express } from 'express';
import { CatalogueUnreachableError, DEFAULT_MAX_QUERY_LENGTH, ReindexJobs, type Engine, type ModelSwitchSummary, type ReindexSummary } from '@sis/core';
import { effectiveAllowedRoots, type ServerConfig } from './config';
import type { ApiContext, ApiLimits } from './context';
import { depthLimitRule } from './depthLimit';
import { BAD_USER_INPUT, CATALOGUE_UNREACHABLE_MESSAGE, createFormatError } from './errors';
import { createLogger, requestLogging, type Logger } from './logger';
import { TokenAuth, type TokenAuthOptions } from './auth/tokenAuth';
import { hostCheck } from './hostCheck';
import { UploadDecodeBudget, type UploadDecodeLimits } from './uploadBudget';
import { knownOperationTypesRule } from './operationTypes';
import { openCoordinator, queueReindexRunner, usesQueue, type ReindexRunner } from '@sis/core';
import { playgroundAssets, sendPlayground, wantsHtml } from './playground';
import { AllowedRoots } from './roots';
import { imageRoutes } from './routes/images';
import { buildApiSchema } from './schema';
import { THUMBNAIL_DIR_NAME, ThumbnailCache } from './thumbnails';
import { base64Length, formatBytes } from './upload';

export const GRAPHQL_PATH = '/graphql';
export const DEFAULT_MAX_QUERY_DEPTH = 6;
export const THUMBNAIL_MAX_SIDE = 256;
/** GraphiQL's introspection query has ~300 tokens. */
export const MAX_DOCUMENT_TOKENS = 10_000;

export interface ServerOptions {
  /** Default: pino at config.logLevel on stdout. */
  logger?: Logger;
  /** Deepest field nesting accepted (introspection excepted); default 6. */
  maxQueryDepth?: number;
  /** A built web app (a folder with index.html) to serve at /; the playground then lives at /graphql only. */
  webDir?: string;
  /** The access token GraphQL, /images and /thumbnails require (header or login cookie); undefined: none required. */
  accessToken?: string;
  /** Host header names accepted besides loopback and config.host (SIS_ALLOWED_HOSTS). */
  allowedHosts?: readonly string[];
  /** Rate limit of failed token attempts. */
  auth?: TokenAuthOptions;
  /** Bounds on decoding uploaded images at once (default: 2 decodes, 512 MiB declared). */
  uploadDecode?: UploadDecodeLimits;
}

export interface ApiServer {
  readonly app: Express;
  readonly httpServer: http.Server;
  readonly jobs: ReindexJobs;
  readonly logger: Logger;
  readonly limits: ApiLimits;
  /** Listens (default: config.port on config.host; port 0 picks a free one) and resolves with the address. */
  listen(port?: number, host?: string): Promise<{ url: string; host: string; port: number }>;
  /**
   * Graceful stop: refuses new reindex jobs and stops the running one after its current batch (it commits what
   * it did), then stops accepting connections and lets requests in flight finish (10 s at most).
   * The engine stays open: whoever opened it closes it.
   */
  close(): Promise<void>;
}

/**
 * The API as an express app on an http.Server, not yet listening: GraphQL at /graphql (GraphiQL for browsers),
 * images and thumbnails, and optionally the web app. `engine` should be writable (the server's one writer):
 * searches read the state the last reindex checkpoint committed while reindex jobs write through the same engine.
 */
/** A switch cancelled while it built the new vectors: the job's summary says what it did (and that it stopped). */
function stoppedBuildSummary(root: string, switched: ModelSwitchSummary): ReindexSummary {
  const build = switched.build;
  return {
    root, seen: 0, embedded: build?.embedded ?? 0, unchanged: 0, skipped: build?.failed ?? [], unchangedSkipped: 0, removed: 0,
    elapsedMs: build?.elapsedMs ?? 0, imagesPerSecond: build?.imagesPerSecond ?? 0,
    timings: { scanMs: 0, decodeMs: 0, decodeWaitMs: 0, inferenceMs: 0, writeMs: 0 }, cancelled: true,
  };
}

export async function createServer(engine: Engine, config: ServerConfig, options: ServerOptions = {}): Promise<ApiServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const limits: ApiLimits = {
    maxResults: config.maxResults,
    maxQueryLength: DEFAULT_MAX_QUERY_LENGTH,
    maxUploadBytes: config.maxUploadBytes,
    maxPixels: config.maxPixels,
    maxQueryDepth: options.maxQueryDepth ?? DEFAULT_MAX_QUERY_DEPTH,
  };
  const roots = new AllowedRoots(effectiveAllowedRoots(config));
  const uploads = new UploadDecodeBudget(options.uploadDecode);
  await roots.refresh();
  // With SIS_QUEUE_URL a reindex job enqueues its work for `sis worker` processes and follows their progress.
  const queue = usesQueue(config) ? openCoordinator(config, { onError: (err) => logger.warn({ err }, 'embedding queue (Redis) connection') }) : undefined;
  const stopFollowing = new AbortController();
  const inProcess: ReindexRunner = async (root, reindexOptions, request) => {
    if (!engine.indexer) throw new Error('This server opened the index read-only: it cannot reindex.');
    if (request.model === undefined) return engine.indexer.reindex(root, reindexOptions);
    const switched = await engine.switchModel(root, request.model, reindexOptions);
    logger.info({ dir: root, from: switched.previousModel, to: switched.model, switched: switched.switched, forgotten: switched.forgotten }, 'model switch');
    return switched.reindex ?? stoppedBuildSummary(root, switched);
  };
  const jobs = new ReindexJobs(
    queue ? queueReindexRunner(queue.coordinator, queue.client.runs, { detachOn: stopFollowing.signal }) : inProcess,
    {
      onFinished: (job, error) => {
        const summary = job.summary && {
          seen: job.summary.seen,
          embedded: job.summary.embedded,
          unchanged: job.summary.unchanged,
          skipped: job.summary.skipped.length,
          removed: job.summary.removed,
          imagesPerSecond: Math.round(job.summary.imagesPerSecond * 10) / 10,
          elapsedMs: Math.round(job.summary.elapsedMs),
        };
        if (error) logger.error({ jobId: job.id, dir: job.root, err: error }, 'reindex job failed');
        else logger.info({ jobId: job.id, dir: job.root, state: job.state, ...summary }, 'reindex job finished');
      },
    },
  );
  const thumbnails = new ThumbnailCache(path.join(config.dataDir, THUMBNAIL_DIR_NAME), { maxSide: THUMBNAIL_MAX_SIDE, maxPixels: config.maxPixels });

  const app = express();
  const httpServer = http.createServer(app);
  app.disable('x-powered-by');

  const apollo = new ApolloServer<ApiContext>({
    schema: await buildApiSchema(),
    formatError: createFormatError(logger),
    includeStacktraceInErrorResponses: false,
    // The playground needs introspection, and this API has nothing to hide in its schema.
    introspection: true,
    // Shutdown is ours (startServer): Apollo's own handler would stop before the reindex, then re-raise the signal.
    stopOnTerminationSignals: false,
    validationRules: [knownOperationTypesRule, depthLimitRule(limits.maxQueryDepth)],
    // Bounds parsing work whatever the body size (uploads travel as one string token in variables).
    parseOptions: { maxTokens: MAX_DOCUMENT_TOKENS },
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginDrainHttpServer({ httpServer })],
    logger: {
      debug: (message) => logger.debug(message),
      info: (message) => logger.info(message),
      warn: (message) => logger.warn(message),
      error: (message) => logger.error(message),
    },
  });
  await apollo.start();

  app.use(requestLogging(logger));
  app.use(hostCheck(config.host, options.allowedHosts ?? []));
  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  });
  app.use(cors({ origin: config.corsOrigins, methods: ['GET', 'POST', 'OPTIONS'], maxAge: 600 }));

  const auth = new TokenAuth(options.accessToken, logger, options.auth);
  app.use(auth.routes());
  app.use(playgroundAssets());
  // The playground page is static; the requests it makes carry the token (cookie, or a header set in it).
  app.get(GRAPHQL_PATH, (req, res, next) => (wantsHtml(req) ? sendPlayground(res, GRAPHQL_PATH) : next()));
  // base64 makes an upload 4/3 larger; the slack covers the query text and a data: URL prefix.
  const bodyLimit = base64Length(limits.maxUploadBytes) + 64 * 1024;
  app.use(
    GRAPHQL_PATH,
    auth.require('graphql'),
    express.json({ limit: bodyLimit }),
    expressMiddleware(apollo, {
      context: async ({ req }): Promise<ApiContext> => ({
        engine,
        jobs,
        roots,
        limits,
        uploads,
        logger,
        // The Host header passed hostCheck: a well-formed name of this server, never one an attacker chose.
        baseUrl: `${req.protocol}://${(req.headers.host ?? '').trim().toLowerCase()}`,
      }),
    }),
  );
  app.use(['/images', '/thumbnails'], auth.require('plain'));
  app.use(imageRoutes({ library: engine.library, thumbnails, logger, policy: { roots, followSymlinks: config.followSymlinks } }));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', images: engine.library.count(), reindexing: jobs.current() !== undefined });
  });

  const webDir = options.webDir && fs.existsSync(path.join(options.webDir, 'index.html')) ? options.webDir : undefined;
  if (webDir) {
    app.use(express.static(webDir, { index: 'index.html', maxAge: '1h' }));
    // Client-side routes of the single-page app.
    app.use((req, res, next) => (wantsHtml(req) ? res.sendFile(path.join(webDir, 'index.html')) : next()));
  } else {
    app.get('/favicon.ico', (_req, res) => {
      res.status(204).end();
    });
    app.get('/', (req, res) => {
      if (wantsHtml(req)) return sendPlayground(res, GRAPHQL_PATH);
      res.json({ graphql: GRAPHQL_PATH, playground: 'open / or /graphql in a browser' });
    });
  }

  app.use((_req, res) => {
    res.status(404).json({ error: 'Not found' });
  });
  const badRequest = (res: express.Response, status: number, message: string) => {
    res.status(status).json({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
  };
  const errorHandler: ErrorRequestHandler = (error: { type?: string; status?: number }, req, res, _next) => {
    if (error.type === 'entity.too.large') {
      res.status(413).json({
        errors: [
          {
            message: `The request body is larger than ${formatBytes(bodyLimit)}; uploaded images may be at most ${formatBytes(limits.maxUploadBytes)} (SIS_MAX_UPLOAD_BYTES).`,
            extensions: { code: BAD_USER_INPUT },
          },
        ],
      });
      return;
    }
    if (error.type === 'entity.parse.failed') return badRequest(res, 400, 'The request body is not valid JSON.');
    // body-parser's 415s: they are the client's, not the server's.
    if (error.type === 'charset.unsupported') return badRequest(res, 415, 'The request body must be JSON in UTF-8 (Content-Type: application/json; charset=utf-8).');
    if (error.type === 'encoding.unsupported') return badRequest(res, 415, 'Unsupported Content-Encoding: send the body as it is, or gzip, deflate or br.');
    // Any other client error raised on the way in: a body that does not decompress or ends early, a malformed URL.
    if (typeof error.status === 'number' && error.status >= 400 && error.status < 500) {
      return badRequest(res, error.status, req.path === GRAPHQL_PATH ? 'The request body could not be read: send JSON (uncompressed, or gzip, deflate or br).' : 'Bad request.');
    }
    if (error instanceof CatalogueUnreachableError) {
      logger.warn({ err: error, method: req.method, path: req.path }, 'the catalogue is unreachable');
      if (!res.headersSent) res.status(503).set('Retry-After', '5').json({ error: CATALOGUE_UNREACHABLE_MESSAGE });
      return;
    }
    logger.error({ err: error, method: req.method, path: req.path }, 'unexpected error in an HTTP request');
    if (!res.headersSent) res.status(500).json({ error: 'Internal server error' });
  };
  app.use(errorHandler);

  return {
    app,
    httpServer,
    jobs,
    logger,
    limits,
    listen(port = config.port, host = config.host) {
      return new Promise((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        httpServer.once('error', onError);
        httpServer.listen(port, host, () => {
          httpServer.off('error', onError);
          const address = httpServer.address() as AddressInfo;
          const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve({ url: `http://${urlHost}:${address.port}`, host: address.address, port: address.port });
        });
      });
    },
    async close() {
      stopFollowing.abort();
      await jobs.shutdown();
      await queue?.close();
      await apollo.stop();
    },
  };
}
