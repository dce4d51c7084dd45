import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { configSchema, defaultConfig, envNames, type AppConfig } from './schema';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * A group of settings read from the shared sources (defaults < sis.config.json < SIS_* variables). The engine's
 * settings are one section (this package); a program adds its own (apps/api: the server's) with `extend`, so
 * that one file and one set of variables feed the engine, the CLI, the server and the benchmarks.
 */
export interface ConfigSection<T extends object> {
  /** Validates the section's raw values (from the file or strings from the environment) into settings. */
  schema: z.ZodType<T>;
  defaults: T;
  /** The environment variable behind each setting; its keys are the section's config file keys. */
  envNames: { readonly [K in keyof T]: string };
  /** After validation: e.g. paths resolved against `cwd`. `isSet(key)`: the file or the environment set it. */
  finish?: (values: T, context: { cwd: string; isSet: (key: keyof T & string) => boolean }) => T;
}

export interface LoadConfigOptions<T extends object = Record<never, never>> {
  /** Environment to read SIS_* variables from. */
  env?: NodeJS.ProcessEnv;
  /** Relative paths (data dir, config file, local model folder) resolve against this folder. */
  cwd?: string;
  /** Explicit config file; otherwise SIS_CONFIG, otherwise ./sis.config.json when it exists. */
  configFile?: string;
  /** The program's own settings, read from the same file and environment, validated with the engine's. */
  extend?: ConfigSection<T>;
  /**
   * Config file keys no section knows: a ConfigError by default (a misspelt key must not be silently ignored).
   * A program that reads only some sections of a file made for others (the benchmarks) may report them instead.
   */
  onUnknownKeys?: (keys: string[], file: string) => void;
}

/** The engine's settings as a section (schema.ts). */
export const engineSection: ConfigSection<AppConfig> = {
  schema: configSchema,
  defaults: defaultConfig,
  envNames,
  finish: (data, { cwd, isSet }) => ({
    ...data,
    dataDir: path.resolve(cwd, data.dataDir),
    model: resolveModel(data.model, cwd),
    ...(!isSet('model') && { modelDefaulted: true }),
  }),
};

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read config file ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`Config file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`Config file ${file} must contain a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/** A local model folder is one that exists; anything else is taken as a hub model id. */
export function resolveModel(model: string, cwd: string): string {
  const candidate = path.resolve(cwd, model);
  const looksLikePath = model.startsWith('.') || path.isAbsolute(model) || fs.existsSync(candidate);
  return looksLikePath ? candidate : model;
}

type AnySection = ConfigSection<Record<string, unknown>>;

/**
 * Defaults, then an optional JSON config file, then SIS_* environment variables, for the engine's settings and
 * those of `options.extend`. Invalid values fail here, with a message naming every bad setting and where it
 * came from. Paths (dataDir, a local model, and the extension's own) come back absolute, resolved against cwd.
 */
export function loadConfig<T extends object = Record<never, never>>(options: LoadConfigOptions<T> = {}): AppConfig & T {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const sections = [engineSection, ...(options.extend ? [options.extend] : [])] as unknown as AnySection[];
  const keysOf = (section: AnySection) => Object.keys(section.envNames);
  const allKeys = sections.flatMap(keysOf);
  const clash = allKeys.find((key, i) => allKeys.indexOf(key) !== i);
  if (clash !== undefined) throw new Error(`Two config sections define the setting "${clash}"`);

  const raw: Record<string, unknown> = Object.assign({}, ...sections.map((section) => section.defaults));
  const source: Record<string, string> = {};
  const fileOption = options.configFile ?? env.SIS_CONFIG;
  const configFile = fileOption ? path.resolve(cwd, fileOption) : path.join(cwd, 'sis.config.json');
  if (fileOption || fs.existsSync(configFile)) {
    const fromFile = readConfigFile(configFile);
    const unknownKeys = Object.keys(fromFile).filter((key) => !allKeys.includes(key));
    if (unknownKeys.length > 0) {
      if (!options.onUnknownKeys) throw new ConfigError(`Config file ${configFile}: unknown setting(s) ${unknownKeys.join(', ')}; known: ${allKeys.join(', ')}`);
      options.onUnknownKeys(unknownKeys, configFile);
    }
    for (const key of allKeys.filter((name) => name in fromFile)) {
      raw[key] = fromFile[key];
      source[key] = `"${key}" in ${configFile}`;
    }
  }
  for (const section of sections) {
    for (const [key, name] of Object.entries(section.envNames) as [string, string][]) {
      const value = env[name];
      if (value !== undefined) {
        raw[key] = value;
        source[key] = name;
      }
    }
  }

  const problems: string[] = [];
  const results = sections.map((section) => {
    const parsed = section.schema.safeParse(Object.fromEntries(keysOf(section).map((key) => [key, raw[key]])));
    if (parsed.success) return section.finish ? section.finish(parsed.data, { cwd, isSet: (key) => source[key] !== undefined }) : parsed.data;
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? '');
      problems.push(`${source[key] ?? `default ${key}`} ${issue.message} (got ${JSON.stringify(raw[key])})`);
    }
    return {};
  });
  if (problems.length > 0) throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  return Object.assign({}, ...results) as AppConfig & T;
}
