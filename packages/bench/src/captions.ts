/**
 * Captioned image sets: a CSV of `image,caption` rows (RFC 4180: fields may be quoted, with "" for a
 * quote inside; a header row naming the columns is required), as in ../shared/datasets/<set>/captions.csv.
 */

export class CaptionsFormatError extends Error {
  override readonly name = 'CaptionsFormatError';
}

/** Parses RFC 4180 CSV text into rows of fields. Accepts \n and \r\n line ends and a UTF-8 BOM. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let fieldStarted = false;
  let line = 1;
  const input = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const endField = () => {
    row.push(field);
    field = '';
    fieldStarted = false;
  };
  const endRow = () => {
    endField();
    // A blank line is not a row.
    if (!(row.length === 1 && row[0] === '')) rows.push(row);
    row = [];
  };
  for (let i = 0; i < input.length; i++) {
    const char = input[i]!;
    if (quoted) {
      if (char === '"') {
        if (input[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        if (char === '\n') line++;
        field += char;
      }
      continue;
    }
    if (char === '"') {
      if (fieldStarted && field !== '') throw new CaptionsFormatError(`line ${line}: a quote in the middle of an unquoted field`);
      quoted = true;
      fieldStarted = true;
    } else if (char === ',') {
      endField();
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && input[i + 1] === '\n') i++;
      endRow();
      line++;
    } else {
      field += char;
      fieldStarted = true;
    }
  }
  if (quoted) throw new CaptionsFormatError(`line ${line}: unterminated quoted field`);
  if (field !== '' || row.length > 0) endRow();
  return rows;
}

export interface CaptionRow {
  image: string;
  caption: string;
}

/** Reads `image,caption` rows; the header must name both columns (in any order; other columns are ignored). */
export function parseCaptionsCsv(text: string): CaptionRow[] {
  const [header, ...rows] = parseCsv(text);
  if (!header) throw new CaptionsFormatError('the captions file is empty');
  const names = header.map((name) => name.trim().toLowerCase());
  const imageColumn = names.indexOf('image');
  const captionColumn = names.indexOf('caption');
  if (imageColumn < 0 || captionColumn < 0) {
    throw new CaptionsFormatError(`the first row must be a header naming the columns image and caption (got: ${header.join(',')})`);
  }
  return rows.map((fields, i) => {
    const image = fields[imageColumn]?.trim() ?? '';
    const caption = fields[captionColumn]?.trim() ?? '';
    if (image === '' || caption === '') throw new CaptionsFormatError(`row ${i + 2}: empty image or caption`);
    return { image, caption };
  });
}

export interface CaptionedSet {
  /** Distinct image names, in order of first appearance. */
  images: string[];
  captions: { text: string; image: number }[];
}

/** Groups rows by image; `limitImages` keeps the first N images (by first appearance) and only their captions. */
export function groupCaptions(rows: readonly CaptionRow[], limitImages?: number): CaptionedSet {
  const indexOf = new Map<string, number>();
  const images: string[] = [];
  const captions: CaptionedSet['captions'] = [];
  for (const row of rows) {
    let image = indexOf.get(row.image);
    if (image === undefined) {
      if (limitImages !== undefined && images.length >= limitImages) continue;
      image = images.length;
      indexOf.set(row.image, image);
      images.push(row.image);
    }
    captions.push({ text: row.caption, image });
  }
  return { images, captions };
}
