import { InvalidArgumentError, type Command } from 'commander';
import { parseFilterDate, type SearchFilter, type SearchOptions, type SearchSortOrder } from '@sis/core';
import { UserFacingError } from './context';

/** `sis search` flags for the engine's filters and sort orders (the engine checks the values' ranges). */
export interface FilterFlags {
  folder?: string;
  from?: number;
  to?: number;
  type?: string[];
  minWidth?: number;
  minHeight?: number;
  maxWidth?: number;
  maxHeight?: number;
  orientation?: SearchFilter['orientation'];
  camera?: string;
  near?: NonNullable<SearchFilter['near']>;
  sort?: SearchSortOrder;
  minScore?: number;
}

function parseDate(value: string): number {
  const ms = parseFilterDate(value);
  if (ms === undefined) throw new InvalidArgumentError('expected an ISO 8601 date or date-time, e.g. 2023-06-01 or 2023-06-01T18:00 (UTC unless a zone is given).');
  return ms;
}

function parsePixels(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('expected a whole number of pixels.');
  return Number(value);
}

function parseNear(value: string): NonNullable<SearchFilter['near']> {
  const parts = value.split(',').map((part) => Number(part.trim()));
  if (parts.length !== 3 || parts.some((part) => !Number.isFinite(part))) throw new InvalidArgumentError('expected LAT,LON,KM, e.g. 48.858,2.294,5');
  const [latitude, longitude, radiusKm] = parts as [number, number, number];
  return { latitude, longitude, radiusKm };
}

const SORTS: Record<string, SearchSortOrder> = { score: 'score', newest: 'takenNewest', oldest: 'takenOldest' };

function parseSort(value: string): SearchSortOrder {
  const sort = SORTS[value.trim().toLowerCase()];
  if (!sort) throw new InvalidArgumentError('expected score, newest or oldest.');
  return sort;
}

function parseOrientation(value: string): SearchFilter['orientation'] {
  const orientation = value.trim().toLowerCase();
  if (orientation !== 'landscape' && orientation !== 'portrait' && orientation !== 'square') throw new InvalidArgumentError('expected landscape, portrait or square.');
  return orientation;
}

function parseScore(value: string): number {
  const score = Number(value);
  if (value.trim() === '' || !(score >= -1 && score <= 1)) throw new InvalidArgumentError('expected a cosine similarity from -1 to 1.');
  return score;
}

export function addFilterFlags(command: Command): Command {
  return command
    .option('--folder <path>', 'only images in this folder (relative to the indexed folder) or below it')
    .option('--from <date>', 'only images taken (EXIF date, else file mtime) on or after this date, e.g. 2023-06-01', parseDate)
    .option('--to <date>', 'only images taken before this date (exclusive)', parseDate)
    .option('--type <types>', 'only these file types, comma-separated, e.g. jpeg,png', (value: string) => value.split(',').map((type) => type.trim()).filter(Boolean))
    .option('--min-width <px>', 'only images at least this wide', parsePixels)
    .option('--min-height <px>', 'only images at least this tall', parsePixels)
    .option('--max-width <px>', 'only images at most this wide', parsePixels)
    .option('--max-height <px>', 'only images at most this tall', parsePixels)
    .option('--orientation <o>', 'landscape, portrait or square', parseOrientation)
    .option('--camera <text>', 'only images whose camera make/model contains this (case-insensitive), e.g. canon')
    .option('--near <lat,lon,km>', 'only images with GPS within km of a point, e.g. 48.858,2.294,5', parseNear)
    .option('--sort <order>', 'score (default), newest or oldest (by date taken)', parseSort)
    .option(
      '--min-score <s>',
      "leave out hits below this cosine similarity (a text search defaults to the model's, see `sis models`; -1 keeps all); with --sort newest/oldest, sort every image above it",
      parseScore,
    );
}

/** Checks that span two flags, named as the user typed them (the engine's own message would name its fields). */
function checkFlagPairs(flags: FilterFlags): void {
  if (flags.from !== undefined && flags.to !== undefined && flags.from >= flags.to) throw new UserFacingError('--from must be before --to.');
  if ((flags.minWidth ?? 0) > (flags.maxWidth ?? Infinity)) throw new UserFacingError('--min-width is above --max-width.');
  if ((flags.minHeight ?? 0) > (flags.maxHeight ?? Infinity)) throw new UserFacingError('--min-height is above --max-height.');
}

export function searchOptionsOfFlags(flags: FilterFlags): SearchOptions {
  checkFlagPairs(flags);
  const filter: SearchFilter = {};
  if (flags.folder !== undefined) filter.folder = flags.folder;
  if (flags.from !== undefined) filter.takenFrom = flags.from;
  if (flags.to !== undefined) filter.takenTo = flags.to;
  if (flags.type !== undefined) filter.fileTypes = flags.type;
  for (const name of ['minWidth', 'minHeight', 'maxWidth', 'maxHeight'] as const) if (flags[name] !== undefined) filter[name] = flags[name];
  if (flags.orientation !== undefined) filter.orientation = flags.orientation;
  if (flags.camera !== undefined) filter.camera = flags.camera;
  if (flags.near !== undefined) filter.near = flags.near;
  return {
    ...(Object.keys(filter).length > 0 ? { filter } : {}),
    ...(flags.sort !== undefined ? { sort: flags.sort } : {}),
    ...(flags.minScore !== undefined ? { minScore: flags.minScore } : {}),
  };
}
