export { createServer, GRAPHQL_PATH, type ApiServer, type ServerOptions } from './app';
export { startServer, type RunningServer } from './start';
export { createLogger, type Logger } from './logger';
export { defaultServerConfig, effectiveAllowedRoots, loadServerConfig, serverConfigEnvNames, serverSection, type ServerConfig } from './config';
export { buildApiSchema } from './schema';
