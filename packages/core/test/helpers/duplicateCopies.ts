import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

export type CopyKind = 'reencoded' | 'resized' | 'cropped';

export interface CopiedPhoto {
  original: string;
  copies: Record<CopyKind, string>;
}

/**
 * A folder holding each photo and three near-duplicate copies made with sharp: re-encoded (JPEG q=60), resized
 * to 50%, and slightly cropped (5% off each edge), in subfolders so that names stay apart.
 */
export async function folderWithCopies(photos: readonly string[]): Promise<{ dir: string; photos: CopiedPhoto[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-dups-'));
  for (const sub of ['originals', 'reencoded', 'resized', 'cropped']) fs.mkdirSync(path.join(dir, sub));
  const made: CopiedPhoto[] = [];
  for (const photo of photos) {
    const name = path.basename(photo);
    const original = path.join(dir, 'originals', name);
    fs.copyFileSync(photo, original);
    const { width, height } = await sharp(photo).metadata();
    const copies: Record<CopyKind, string> = {
      reencoded: path.join(dir, 'reencoded', name),
      resized: path.join(dir, 'resized', name),
      cropped: path.join(dir, 'cropped', name),
    };
    await sharp(photo).jpeg({ quality: 60 }).toFile(copies.reencoded);
    await sharp(photo).resize(Math.round(width / 2), Math.round(height / 2)).jpeg({ quality: 90 }).toFile(copies.resized);
    const dx = Math.round(width * 0.05);
    const dy = Math.round(height * 0.05);
    await sharp(photo).extract({ left: dx, top: dy, width: width - 2 * dx, height: height - 2 * dy }).jpeg({ quality: 90 }).toFile(copies.cropped);
    made.push({ original, copies });
  }
  return { dir, photos: made };
}
