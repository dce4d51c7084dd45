import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isLoopbackHost } from '../hostCheck';
import { serverEnvNames, ServerSettingsError } from '../settings';

/** The access token made by `sis serve --new-token`, in the data directory (mode 0600). */
export const TOKEN_FILE_NAME = 'api-token';

export interface AccessToken {
  token: string;
  source: 'env' | 'file';
  /** Set when this start created the token file: the token is shown to the user this once. */
  createdFile?: string;
}

export interface ResolveTokenOptions {
  host: string;
  dataDir: string;
  /** SIS_API_TOKEN. */
  envToken: string | undefined;
  /** Make a new token file (replacing one that exists): `sis serve --new-token`. */
  newToken?: boolean;
}

/**
 * The token clients must present, or undefined when none is needed: SIS_API_TOKEN, else the token file. A bind
 * beyond loopback without either refuses to start; a loopback bind without either needs no token (as before).
 */
export function resolveAccessToken(options: ResolveTokenOptions): AccessToken | undefined {
  const file = path.join(options.dataDir, TOKEN_FILE_NAME);
  if (options.envToken !== undefined) {
    if (options.newToken) throw new ServerSettingsError(`${serverEnvNames.apiToken} is set: it is the token, and --new-token would not be used. Unset it, or drop --new-token.`);
    return { token: options.envToken, source: 'env' };
  }
  if (options.newToken) {
    const token = crypto.randomBytes(24).toString('base64url');
    fs.mkdirSync(options.dataDir, { recursive: true });
    const temporary = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(temporary, `${token}\n`, { mode: 0o600 });
    fs.renameSync(temporary, file);
    return { token, source: 'file', createdFile: file };
  }
  const saved = readTokenFile(file);
  if (saved !== undefined) return { token: saved, source: 'file' };
  if (isLoopbackHost(options.host)) return undefined;
  throw new ServerSettingsError(
    `Listening on ${options.host} (beyond this machine) needs an access token, and none is set. ` +
      `Set ${serverEnvNames.apiToken} (at least 16 characters, e.g. ${serverEnvNames.apiToken}=$(openssl rand -hex 24)), ` +
      `or run \`sis serve --new-token\` once to create ${file} (the token is printed once).`,
  );
}

function readTokenFile(file: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ServerSettingsError(`Cannot read the access token file ${file}: ${(error as Error).message}`);
  }
  const token = text.trim();
  if (token.length < 16) throw new ServerSettingsError(`The access token file ${file} is empty or too short: delete it and run \`sis serve --new-token\`.`);
  return token;
}
