import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { datasetsDir } from './shared';

export const photos500Dir = path.join(datasetsDir, 'flickr8k-photos-500/images');

/** The first `count` photos of flickr8k-photos-500, in name order. */
export function samplePhotos(count: number, offset = 0): string[] {
  return fs
    .readdirSync(photos500Dir)
    .filter((name) => name.endsWith('.jpg'))
    .sort()
    .slice(offset, offset + count)
    .map((name) => path.join(photos500Dir, name));
}

/** A temporary folder holding copies of the given photos. */
export function folderWithPhotos(photos: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-photos-'));
  for (const photo of photos) fs.copyFileSync(photo, path.join(dir, path.basename(photo)));
  return dir;
}

/** `count` captions of flickr8k-photos-500 (every 50th line of captions.csv): the parity suites' queries. */
export function captionQueries(count = 50): string[] {
  return fs
    .readFileSync(path.join(datasetsDir, 'flickr8k-photos-500/captions.csv'), 'utf8')
    .split('\n')
    .slice(1)
    .filter((line) => line.includes(','))
    .filter((_, i) => i % 50 === 0)
    .slice(0, count)
    .map((line) => line.slice(line.indexOf(',') + 1));
}
