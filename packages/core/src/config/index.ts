export { loadConfig, ConfigError, type LoadConfigOptions } from './load';
export { defaultConfig, envNames, type AppConfig } from './schema';
