import fs from 'node:fs';
import path from 'node:path';
import { openEngine, type Engine } from '@sis/core';
import { effectiveAllowedRoots, type ServerConfig } from './config';
import { createServer, type ApiServer } from './app';
import { resolveAccessToken } from './auth/token';
import { loadServerSettings } from './settings';
import { createLogger, type Logger } from './logger';

export interface RunningServer {
  readonly url: string;
  readonly server: ApiServer;
  readonly engine: Engine;
  /** Graceful stop (idempotent): reindex stopped at its next batch, requests drained, engine closed. */
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Stop gracefully on SIGTERM / SIGINT (a second signal exits at once). */
  handleSignals?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Create a new access token file in the data directory (replacing one there) and print it once. */
  newToken?: boolean;
  /** Where a newly created token is printed (default: process.stderr). */
  announce?: (line: string) => void;
}

/** apps/web/dist, beside this package (the same from src/server and from dist/server). */
export const DEFAULT_WEB_DIR = path.resolve(__dirname, '../../../web/dist');

/** SIS_WEB_DIR when set; otherwise the built web app in production (NODE_ENV=production), if it has been built. */
export function chooseWebDir(config: ServerConfig, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (config.webDir !== '') return config.webDir;
  return env.NODE_ENV === 'production' && fs.existsSync(path.join(DEFAULT_WEB_DIR, 'index.html')) ? DEFAULT_WEB_DIR : undefined;
}

/**
 * What `sis serve` runs: opens the data directory as its one writer, loads both model towers and the index once,
 * and serves until stopped.
 */
export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const startedAt = performance.now();
  // Before the engine opens: a bind beyond loopback without a token refuses to start at once.
  const settings = loadServerSettings(options.env ?? process.env);
  const access = resolveAccessToken({ host: config.host, dataDir: config.dataDir, envToken: settings.apiToken, newToken: options.newToken });
  // With SIS_CATALOGUE_URL this process is one of any number of replicas: it follows the others' commits.
  const engine = await openEngine(config, {
    writable: true,
    followChanges: true,
    onFollowError: (error) => logger.warn({ err: error }, 'following the catalogue: will retry'),
  });
  let server: ApiServer;
  let url: string;
  const webDir = chooseWebDir(config, options.env);
  try {
    await engine.embedder.warmUp();
    server = await createServer(engine, config, { logger, webDir, accessToken: access?.token, allowedHosts: settings.allowedHosts });
    ({ url } = await server.listen());
  } catch (error) {
    engine.close();
    throw error;
  }
  const missingRoots = effectiveAllowedRoots(config).filter((root) => !fs.existsSync(root));
  if (missingRoots.length > 0) {
    logger.warn({ missingRoots }, 'allowed root folders do not exist (yet): reindex(dir) cannot index anything in them; set SIS_IMAGE_DIR or SIS_ALLOWED_ROOTS');
  }
  if (config.webDir !== '' && !fs.existsSync(path.join(config.webDir, 'index.html'))) {
    logger.warn({ webDir: config.webDir }, 'SIS_WEB_DIR has no index.html: not serving a web app');
  }
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      try {
        await server.close();
      } finally {
        // Searches still running (a request the HTTP close did not wait for) end before the library closes under them.
        await engine.searcher.exclusive(() => engine.close());
        logger.info('server stopped');
      }
    })();
    return stopping;
  };

  if (options.handleSignals) {
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      logger.info({ signal, reindexRunning: server.jobs.current() !== undefined }, 'shutting down (stopping the reindex at its next batch)');
      stop().then(
        () => {
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'error while shutting down');
          process.exitCode = 1;
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  // Logged once the signal handlers are in place: whoever waits for this line may send SIGINT/SIGTERM at once.
  logger.info(
    {
      url,
      graphql: `${url}/graphql`,
      webApp: webDir ?? null,
      dataDir: config.dataDir,
      model: engine.embedder.modelName,
      images: engine.library.count(),
      allowedRoots: effectiveAllowedRoots(config),
      accessToken: access ? (access.source === 'env' ? 'SIS_API_TOKEN' : 'token file') : 'none (loopback only)',
      allowedHosts: settings.allowedHosts,
      startupMs: Math.round(performance.now() - startedAt),
    },
    'server listening',
  );

  if (access?.createdFile) {
    // Printed once, not logged: log files outlive the moment.
    (options.announce ?? ((line: string) => process.stderr.write(`${line}\n`)))(
      `New access token (saved in ${access.createdFile}; this is the only time it is shown): ${access.token}`,
    );
  }
  return { url, server, engine, stop };
}
