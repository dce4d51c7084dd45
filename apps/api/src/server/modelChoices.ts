import fs from 'node:fs';
import path from 'node:path';
import { RECOMMENDED_MODELS, recommendedModel, type AppConfig } from '@sis/core';
import { UserInputError } from './errors';

/**
 * The models a client may switch the library to (`reindex(dir, model)`): the recommended ones (by id or short
 * name), the configured one, and model folders beside a configured local folder (e.g. a models/ folder). A
 * client never makes the server load files from anywhere else, and sees a local folder by its name only (the
 * server reveals no paths beyond its configuration report, `stats`).
 */
export interface ModelChoice {
  /** What `reindex(model:)` takes: a hub id, or a local folder's name. */
  name: string;
  /** Short name of a recommended model; null for a local folder. */
  alias: string | null;
  family: string | null;
  local: boolean;
  /** What the engine loads: the hub id, or the folder's absolute path (never shown). */
  target: string;
}

export function modelChoices(config: Pick<AppConfig, 'model'>): ModelChoice[] {
  const choices: ModelChoice[] = RECOMMENDED_MODELS.map((model) => ({ name: model.id, alias: model.alias, family: model.family, local: false, target: model.id }));
  for (const folder of localModelFolders(config.model)) choices.push({ name: path.basename(folder), alias: null, family: null, local: true, target: folder });
  if (!choices.some((choice) => choice.target === config.model)) {
    choices.push({ name: presentModelName(config.model), alias: null, family: null, local: path.isAbsolute(config.model), target: config.model });
  }
  return choices;
}

/** A model as the API shows it: a local folder by its name, a hub id as it is. */
export function presentModelName(model: string): string {
  return path.isAbsolute(model) ? path.basename(model) : model;
}

/** What to load for a model a request names, or a BAD_USER_INPUT error that says where the choices are listed. */
export function requireModelChoice(requested: string, config: Pick<AppConfig, 'model'>): string {
  const name = requested.trim();
  const recommended = recommendedModel(name);
  if (recommended) return recommended.id;
  const choice = modelChoices(config).find((model) => model.name === name);
  if (choice) return choice.target;
  throw new UserInputError(`model ${JSON.stringify(name.slice(0, 200))} cannot be chosen here: give one that the \`models\` query lists (a recommended model's id or short name, or a model folder of this server by its name).`);
}

/** Folders with a config.json beside the configured model's folder (none when it is a hub id). */
function localModelFolders(configured: string): string[] {
  if (!path.isAbsolute(configured)) return [];
  const parent = path.dirname(configured);
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(parent, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(parent, entry.name, 'config.json')))
    .map((entry) => path.join(parent, entry.name))
    .sort();
}
