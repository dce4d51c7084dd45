/**
 * Text queries for the latency benchmark: real human captions when a captions file is at hand (they
 * vary in length and vocabulary as user queries do), topped up with generated ones otherwise.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseCaptionsCsv } from './captions';

const subjects = ['a dog', 'two children', 'a man in a red jacket', 'a woman', 'a black cat', 'a group of people', 'a cyclist', 'a little girl', 'an old car', 'a surfer'];
const actions = ['running', 'sitting', 'jumping', 'playing', 'walking', 'standing', 'riding a bike', 'swimming', 'climbing', 'laughing'];
const places = ['in the snow', 'on a beach', 'in a park', 'on a city street', 'near a lake', 'in front of a building', 'on the grass', 'at night', 'in the mountains', 'indoors'];

/** Deterministic, distinct "subject action place" queries (up to 1000). */
export function generatedQueries(count: number): string[] {
  const all: string[] = [];
  for (let i = 0; all.length < count && i < subjects.length * actions.length * places.length; i++) {
    // Walk the combinations with co-prime strides so consecutive queries differ in every part.
    const subject = subjects[i % subjects.length]!;
    const action = actions[Math.floor(i / subjects.length) % actions.length]!;
    const place = places[(i * 7 + Math.floor(i / 100)) % places.length]!;
    const text = `${subject} ${action} ${place}`;
    if (!all.includes(text)) all.push(text);
  }
  return all;
}

/** `count` items spread evenly over `items` (all of them when there are fewer). */
export function spreadPick<T>(items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items];
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]!);
}

/** Distinct captions from the first captions file found, spread over the file, then generated queries to make up `count`. */
export function loadQueries(count: number, captionFiles: readonly string[]): { queries: string[]; source: string } {
  for (const file of captionFiles) {
    if (!fs.existsSync(file)) continue;
    const captions = [...new Set(parseCaptionsCsv(fs.readFileSync(file, 'utf8')).map((row) => row.caption))];
    const picked = spreadPick(captions, count);
    const extra = generatedQueries(count).filter((query) => !picked.includes(query));
    return { queries: [...picked, ...extra].slice(0, count), source: path.resolve(file) };
  }
  return { queries: generatedQueries(count), source: 'generated' };
}
