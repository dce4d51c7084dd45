import fs from 'node:fs';
import path from 'node:path';
import { RECOMMENDED_MODELS, recommendedModel, type AppConfig } from '@sis/core';
import { UserInputError } from './errors';

/**
 * The models a client may switch the library to (`reindex(dir, model)`): the recommended ones (by id or short
 * name), the configured one, and model folders beside a configured local folder (e.g. a models/ folder). A
 * client never makes the server load files from anywhere else.
 */
export interface ModelChoice {
  /** What `reindex(model:)` takes. */
  name: string;
  /** Short name of a recommended model; null for a local folder. */
  alias: string | null;
  family: string | null;
  local: boolean;
}

export function modelChoices(config: Pick<AppConfig, 'model'>): ModelChoice[] {
  const choices: ModelChoice[] = RECOMMENDED_MODELS.map((model) => ({ name: model.id, alias: model.alias, family: model.family, local: false }));
  for (const folder of localModelFolders(config.model)) choices.push({ name: folder, alias: null, family: null, local: true });
  if (!choices.some((choice) => choice.name === config.model)) choices.push({ name: config.model, alias: null, family: null, local: path.isAbsolute(config.model) });
  return choices;
}

/** The model name a request may use, or a BAD_USER_INPUT error that lists where the choices come from. */
export function requireModelChoice(requested: string, config: Pick<AppConfig, 'model'>): string {
  const name = requested.trim();
  const recommended = recommendedModel(name);
  if (recommended) return recommended.id;
  const choice = modelChoices(config).find((model) => model.name === name);
  if (choice) return choice.name;
  throw new UserInputError(
    `model ${JSON.stringify(name.slice(0, 200))} cannot be chosen here: give a model from \`sis models\` (id or short name)` +
      `${path.isAbsolute(config.model) ? `, or a model folder in ${path.dirname(config.model)}` : ''}.`,
  );
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
