export { loadConfig, resolveModel, ConfigError, engineSection, type ConfigSection, type LoadConfigOptions } from './load';
export { defaultConfig, envNames, type AppConfig } from './schema';
/** Field types other programs' config sections reuse (apps/api's server settings). */
export { flag as configFlag, positiveInt as configPositiveInt, splitList as configSplitList } from './schema';
