import path from 'node:path';
import { ImageLibrary } from './library';
import type { ImageStore, OpenLibraryOptions } from './types';
import { PostgresCatalogue } from './postgresCatalogue';
import { CATALOGUE_FILE_NAME, SqliteCatalogue } from './sqliteCatalogue';

/** Where a configuration keeps its library: the embedded SQLite catalogue in dataDir, or PostgreSQL at catalogueUrl. */
export interface StoreLocation {
  readonly dataDir: string;
  /** '' for the embedded catalogue. */
  readonly catalogueUrl: string;
}

/** The model settings withLibraryModel reads and may replace. */
export interface ModelChoice {
  readonly model: string;
  /** True when no SIS_MODEL / config `model` was given: the default applies. */
  readonly modelDefaulted?: boolean;
}

/**
 * With SIS_MODEL not set (the default model), an existing library opens with the model it records (the name
 * `reindex --model` recorded: a hub id or an absolute folder), so a switch needs no change of settings; a new,
 * empty library gets the default. A library that cannot be read here is left for openStore to report.
 */
export function withLibraryModel<T extends StoreLocation & ModelChoice>(config: T): T {
  if (config.modelDefaulted !== true) return config;
  let recorded: string | undefined;
  try {
    const catalogue =
      config.catalogueUrl === ''
        ? SqliteCatalogue.openForReading(path.join(config.dataDir, CATALOGUE_FILE_NAME))
        : PostgresCatalogue.connect(config.catalogueUrl, { writable: false });
    try {
      recorded = catalogue?.readMeta()?.modelName;
    } finally {
      catalogue?.close();
    }
  } catch {
    return config;
  }
  return recorded === undefined ? config : { ...config, model: recorded };
}

/**
 * The store a configuration names: the embedded SQLite library in dataDir, or, with catalogueUrl, the
 * PostgreSQL catalogue (dataDir then holds this process's index files, a cache).
 */
export function openStore(config: StoreLocation, options: OpenLibraryOptions): ImageStore {
  if (config.catalogueUrl === '') return ImageLibrary.open(config.dataDir, options);
  const catalogue = PostgresCatalogue.connect(config.catalogueUrl, { writable: options.writable });
  return ImageLibrary.openCatalogue(catalogue, path.join(config.dataDir, 'postgres-index'), options);
}
