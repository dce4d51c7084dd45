import type { DuplicateGroup, DuplicateReport } from './duplicates';

/**
 * The duplicates list for the user to act on: one object (JSON) or one row per image (CSV), keeper marked.
 * The product itself never deletes or moves a file.
 */

export interface DuplicateExport {
  threshold: number;
  generation: number;
  images: number;
  groups: {
    group: number;
    keeper: string;
    keeperReason: string;
    minPairScore: number;
    images: { path: string; keep: boolean; width: number; height: number; bytes: number; modified: string; scoreToKeeper: number; exifFields: number | null }[];
    pairs: { a: string; b: string; score: number }[];
  }[];
}

export function duplicatesToJson(report: DuplicateReport, groups: readonly DuplicateGroup[] = report.groups): DuplicateExport {
  return {
    threshold: report.threshold,
    generation: report.generation,
    images: report.images,
    groups: groups.map((group) => {
      const pathOf = new Map(group.images.map((image) => [image.id, image.path]));
      return {
        group: group.id,
        keeper: pathOf.get(group.keeperId)!,
        keeperReason: group.keeperReason,
        minPairScore: round(group.minPairScore),
        images: group.images.map((image) => ({
          path: image.path,
          keep: image.id === group.keeperId,
          width: image.width,
          height: image.height,
          bytes: image.size,
          modified: new Date(image.mtimeMs).toISOString(),
          scoreToKeeper: round(image.scoreToKeeper),
          exifFields: image.exifFields,
        })),
        pairs: group.pairs.map((pair) => ({ a: pathOf.get(pair.a)!, b: pathOf.get(pair.b)!, score: round(pair.score) })),
      };
    }),
  };
}

export const CSV_HEADER = ['group', 'keep', 'path', 'width', 'height', 'bytes', 'modified', 'score_to_keeper'] as const;

/** RFC 4180: one row per image, a header first, CRLF line ends, fields quoted when they need it. */
export function duplicatesToCsv(report: DuplicateReport, groups: readonly DuplicateGroup[] = report.groups): string {
  const lines = [CSV_HEADER.join(',')];
  for (const group of groups) {
    for (const image of group.images) {
      lines.push(
        [group.id, image.id === group.keeperId ? 'yes' : 'no', image.path, image.width, image.height, image.size, new Date(image.mtimeMs).toISOString(), round(image.scoreToKeeper)]
          .map((value) => csvField(String(value)))
          .join(','),
      );
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}

export function csvField(value: string): string {
  // A leading = + - @ would make a spreadsheet run the path as a formula.
  const safe = /^[=+\-@\t\r]/.test(value) && !/^-?\d/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function round(score: number): number {
  return Math.round(score * 1e6) / 1e6;
}
