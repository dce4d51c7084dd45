import fs from 'node:fs';
import path from 'node:path';
import { configSchema, defaultConfig, envNames, type AppConfig, type ConfigKey } from './schema';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface LoadConfigOptions {
  /** Environment to read SIS_* variables from. */
  env?: NodeJS.ProcessEnv;
  /** Relative paths (data dir, config file, local model folder) resolve against this folder. */
  cwd?: string;
  /** Explicit config file; otherwise SIS_CONFIG, otherwise ./sis.config.json when it exists. */
  configFile?: string;
}

const configKeys = Object.keys(envNames) as ConfigKey[];

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
  const unknownKeys = Object.keys(parsed).filter((key) => !configKeys.includes(key as ConfigKey));
  if (unknownKeys.length > 0) {
    throw new ConfigError(`Config file ${file}: unknown setting(s) ${unknownKeys.join(', ')}; known: ${configKeys.join(', ')}`);
  }
  return parsed as Record<string, unknown>;
}

/** A local model folder is one that exists; anything else is taken as a hub model id. */
export function resolveModel(model: string, cwd: string): string {
  const candidate = path.resolve(cwd, model);
  const looksLikePath = model.startsWith('.') || path.isAbsolute(model) || fs.existsSync(candidate);
  return looksLikePath ? candidate : model;
}

/**
 * Defaults, then an optional JSON config file, then SIS_* environment variables.
 * Invalid values fail here, with a message naming the setting and where it came from.
 * Paths (dataDir, imageDir, allowedRoots, webDir, a local model) come back absolute, resolved against cwd.
 */
export function loadConfig(options: LoadConfigOptions = {}): AppConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const raw: Record<string, unknown> = { ...defaultConfig };
  const source: Record<string, string> = {};

  const fileOption = options.configFile ?? env.SIS_CONFIG;
  const configFile = fileOption ? path.resolve(cwd, fileOption) : path.join(cwd, 'sis.config.json');
  if (fileOption || fs.existsSync(configFile)) {
    for (const [key, value] of Object.entries(readConfigFile(configFile))) {
      raw[key] = value;
      source[key] = `"${key}" in ${configFile}`;
    }
  }
  for (const key of configKeys) {
    const value = env[envNames[key]];
    if (value !== undefined) {
      raw[key] = value;
      source[key] = envNames[key];
    }
  }

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const where = source[key] ?? `default ${key}`;
      return `${where} ${issue.message} (got ${JSON.stringify(raw[key])})`;
    });
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const data = parsed.data;
  return {
    ...data,
    dataDir: path.resolve(cwd, data.dataDir),
    model: resolveModel(data.model, cwd),
    imageDir: path.resolve(cwd, data.imageDir),
    allowedRoots: data.allowedRoots.map((root) => path.resolve(cwd, root)),
    webDir: data.webDir === '' ? '' : path.resolve(cwd, data.webDir),
    ...(source.model === undefined && { modelDefaulted: true }),
  };
}
