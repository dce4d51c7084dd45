import path from 'node:path';
import { configPositiveInt, configSplitList, defaultConfig, loadConfig, type AppConfig, type ConfigSection, type LoadConfigOptions } from '@sis/core';
import { z } from 'zod';

/**
 * The API server's settings: read from the same sis.config.json and SIS_* variables as the engine's (core's
 * loadConfig with this section added), and validated with them, but known only here: the engine, the indexer
 * and the benchmarks never read them. SIS_API_TOKEN and SIS_ALLOWED_HOSTS, read from the environment only, are
 * in settings.ts.
 */

const pathList = z.preprocess(configSplitList, z.array(z.string().min(1, { error: 'must not contain empty paths' })));

/** Browser origins such as http://localhost:5173 (scheme, host and optional port; nothing else). */
const originList = z.preprocess(
  configSplitList,
  z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, { error: 'each origin must look like http://localhost:5173 (no path, no trailing slash)' })),
);

export const serverConfigSchema = z.object({
  /** Address the API server listens on: loopback only unless set otherwise. */
  host: z.string().trim().min(1, { error: 'must not be empty' }),
  /** API server port; 0 picks a free one. */
  port: z.coerce
    .number({ error: 'must be a whole number' })
    .int({ error: 'must be a whole number' })
    .min(0, { error: 'must be from 0 to 65535' })
    .max(65_535, { error: 'must be from 0 to 65535' }),
  /** The photo folder: what the API may index when allowedRoots is empty. */
  imageDir: z.string().min(1, { error: 'must not be empty' }),
  /** Folders the API may index (with everything below them); empty means [imageDir]. */
  allowedRoots: pathList,
  /** Browser origins allowed to call the API across origins (the web app's dev server). */
  corsOrigins: originList,
  /** Largest image a client may upload to search by, in bytes (decoded). */
  maxUploadBytes: configPositiveInt(1024 * 1024 * 1024),
  /** Built web app served at / by the API; empty: apps/web/dist in production (NODE_ENV=production) when it exists. */
  webDir: z.string(),
  /** pino log level of the API server. */
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    error: 'must be one of fatal, error, warn, info, debug, trace, silent',
  }),
});

export type ServerOnlyConfig = z.infer<typeof serverConfigSchema>;
/** What the server runs with: the engine's settings and its own. */
export type ServerConfig = AppConfig & ServerOnlyConfig;

export const defaultServerOnlyConfig: ServerOnlyConfig = {
  host: '127.0.0.1',
  port: 4000,
  imageDir: './images',
  allowedRoots: [],
  corsOrigins: ['http://localhost:5173'],
  maxUploadBytes: 10 * 1024 * 1024,
  webDir: '',
  logLevel: 'info',
};

/** Defaults of both (relative paths as written; loadServerConfig resolves them). */
export const defaultServerConfig: ServerConfig = { ...defaultConfig, ...defaultServerOnlyConfig };

/** The environment variable behind each server setting: scripts rely on these names. */
export const serverConfigEnvNames: Record<keyof ServerOnlyConfig, string> = {
  host: 'SIS_HOST',
  port: 'SIS_PORT',
  imageDir: 'SIS_IMAGE_DIR',
  allowedRoots: 'SIS_ALLOWED_ROOTS',
  corsOrigins: 'SIS_CORS_ORIGINS',
  maxUploadBytes: 'SIS_MAX_UPLOAD_BYTES',
  webDir: 'SIS_WEB_DIR',
  logLevel: 'SIS_LOG_LEVEL',
};

export const serverSection: ConfigSection<ServerOnlyConfig> = {
  schema: serverConfigSchema,
  defaults: defaultServerOnlyConfig,
  envNames: serverConfigEnvNames,
  finish: (data, { cwd }) => ({
    ...data,
    imageDir: path.resolve(cwd, data.imageDir),
    allowedRoots: data.allowedRoots.map((root) => path.resolve(cwd, root)),
    webDir: data.webDir === '' ? '' : path.resolve(cwd, data.webDir),
  }),
};

/** The engine's settings and the server's, from one file and one environment (every `sis` command reads both). */
export function loadServerConfig(options: Omit<LoadConfigOptions, 'extend'> = {}): ServerConfig {
  return loadConfig({ ...options, extend: serverSection });
}

/** The folders the API may index: allowedRoots, or the image folder when none are listed. */
export function effectiveAllowedRoots(config: Pick<ServerOnlyConfig, 'allowedRoots' | 'imageDir'>): string[] {
  return config.allowedRoots.length > 0 ? [...config.allowedRoots] : [config.imageDir];
}
