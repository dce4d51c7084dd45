import path from 'node:path';
import { loadServerConfig, type ServerConfig } from '../server/config';

/** pnpm runs package scripts inside apps/api; paths the user typed are relative to where they typed them. */
export function invocationDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.INIT_CWD ?? process.cwd();
}

export function resolveUserPath(userPath: string): string {
  return path.resolve(invocationDir(), userPath);
}

/** Every command reads the engine's settings and the server's: one sis.config.json serves them all. */
export function loadCliConfig(configFile: string | undefined): ServerConfig {
  return loadServerConfig({ cwd: invocationDir(), configFile });
}

/** Errors the user can fix: printed as one line, exit status 1, no stack trace. */
export class UserFacingError extends Error {
  override readonly name = 'UserFacingError';
}
