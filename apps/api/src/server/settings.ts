import { parseHostHeader } from './hostCheck';

/**
 * The API server's settings read from the environment only, never from sis.config.json (a token does not
 * belong in a file others may read). The server's other settings (host, port, roots...) are in config.ts.
 */
export interface ServerSettings {
  /** SIS_API_TOKEN: the access token clients must present; undefined: the token file, or none on loopback. */
  apiToken: string | undefined;
  /** SIS_ALLOWED_HOSTS: Host header names accepted besides loopback and SIS_HOST (e.g. photos.example.org behind a proxy). */
  allowedHosts: string[];
}

export const serverEnvNames = { apiToken: 'SIS_API_TOKEN', allowedHosts: 'SIS_ALLOWED_HOSTS' } as const;

/** Shortest SIS_API_TOKEN accepted: guessing one must be hopeless even without the rate limit. */
export const MIN_TOKEN_LENGTH = 16;

export class ServerSettingsError extends Error {
  override readonly name = 'ServerSettingsError';
}

export function loadServerSettings(env: NodeJS.ProcessEnv = process.env): ServerSettings {
  const rawToken = env[serverEnvNames.apiToken];
  const apiToken = rawToken === undefined || rawToken.trim() === '' ? undefined : rawToken.trim();
  if (apiToken !== undefined && apiToken.length < MIN_TOKEN_LENGTH) {
    throw new ServerSettingsError(`${serverEnvNames.apiToken} must be at least ${MIN_TOKEN_LENGTH} characters long (got ${apiToken.length}); e.g. openssl rand -hex 24.`);
  }
  const allowedHosts = (env[serverEnvNames.allowedHosts] ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const invalid = allowedHosts.filter((name) => (name.includes(':') && !name.startsWith('[')) || parseHostHeader(name) !== name.toLowerCase());
  if (invalid.length > 0) {
    throw new ServerSettingsError(`${serverEnvNames.allowedHosts} must list host names without ports or schemes, e.g. photos.example.org,192.168.1.20 (invalid: ${invalid.join(', ')}).`);
  }
  return { apiToken, allowedHosts };
}
