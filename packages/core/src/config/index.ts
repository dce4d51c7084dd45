export { loadConfig, resolveModel, ConfigError, type LoadConfigOptions } from './load';
export { defaultConfig, envNames, effectiveAllowedRoots, type AppConfig } from './schema';
