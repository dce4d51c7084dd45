import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { UnionFind, countTiffFields, defaultConfig, duplicatesToCsv, duplicatesToJson, openEngine, pageOfGroups, type Engine } from '../../src';
import { folderWithCopies, type CopiedPhoto } from '../helpers/duplicateCopies';
import { photos500Dir } from '../helpers/photos';
import { tinyModelDir } from '../helpers/shared';

/**
 * The duplicates threshold README.md documents for the random-weight clip-tiny-random. Random weights see
 * colour and layout, not content: over the first 40 photos of flickr8k-photos-500 their copies score >= 0.9878
 * with the original but unrelated photos reach 0.9978 (mean 0.93), so no threshold separates all 40. These 11
 * (the first photos that are pairwise separable, in name order) score <= 0.9859 across photos.
 */
const RANDOM_TINY_CLIP_THRESHOLD = 0.987;
const SEPARABLE = [
  '1000268201_693b08cb0e', '1001773457_577c3a7d70', '1002674143_1b742ab4b8', '1003163366_44323f5815', '1007320043_627395c3d8', '1009434119_febe49276a',
  '1016887272_03199f49c4', '1019077836_6fc9b15408', '1022975728_75515238d8', '102351840_323e3de834', '103195344_5d2dc613a3',
].map((name) => path.join(photos500Dir, `${name}.jpg`));

describe('near-duplicate groups of real photos and their copies', () => {
  let dir: string;
  let photos: CopiedPhoto[];
  let dataDir: string;
  let engine: Engine;

  beforeAll(async () => {
    ({ dir, photos } = await folderWithCopies(SEPARABLE));
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-data-'));
    engine = await openEngine({ ...defaultConfig, dataDir, model: tinyModelDir, offline: true, batchSize: 8 }, { writable: true });
    await engine.indexer!.reindex(dir);
  }, 120_000);

  afterAll(() => {
    engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('groups every copy with its original and no two photos together, the original suggested as keeper', async () => {
    const report = await engine.duplicates.find({ threshold: RANDOM_TINY_CLIP_THRESHOLD });
    expect(report.images).toBe(photos.length * 4);
    expect(report.index).toBe('flat');
    const groups = report.groups.map((group) => group.images.map((image) => image.path).sort());
    const expected = photos.map((photo) => [photo.original, ...Object.values(photo.copies)].sort());
    expect(groups.sort()).toEqual(expected.sort());
    for (const group of report.groups) {
      const keeper = group.images[0]!;
      expect(keeper.id).toBe(group.keeperId);
      expect(path.basename(path.dirname(keeper.path))).toBe('originals');
      expect(keeper.scoreToKeeper).toBe(1);
      expect(group.minPairScore).toBeGreaterThanOrEqual(RANDOM_TINY_CLIP_THRESHOLD);
      expect(group.pairs.every((pair) => pair.score >= RANDOM_TINY_CLIP_THRESHOLD)).toBe(true);
    }
  });

  it('finds exactly the connected components of "cosine >= T" that a brute-force pass finds', async () => {
    const rows = engine.library.embeddingChunk(-1, 1000);
    const n = rows.ids.length;
    const d = engine.library.dimension;
    const cos = (i: number, j: number) => {
      let sum = 0;
      for (let k = 0; k < d; k++) sum += rows.vectors[i * d + k]! * rows.vectors[j * d + k]!;
      return sum;
    };
    for (const threshold of [0.9, 0.97, 0.985, 0.995]) {
      const sets = new UnionFind(n);
      let edges = 0;
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (cos(i, j) >= threshold) { sets.union(i, j); edges++; }
      const brute = new Map<number, number[]>();
      for (let i = 0; i < n; i++) brute.set(sets.find(i), [...(brute.get(sets.find(i)) ?? []), rows.ids[i]!]);
      const expected = [...brute.values()].filter((ids) => ids.length > 1).map((ids) => ids.sort((a, b) => a - b).join(',')).sort();
      const report = await engine.duplicates.find({ threshold });
      expect(report.groups.map((group) => group.images.map((image) => image.id).sort((a, b) => a - b).join(',')).sort()).toEqual(expected);
      expect(report.groups.reduce((sum, group) => sum + group.pairCount, 0)).toBe(edges);
    }
  });

  it('caches a result until the library changes', async () => {
    const first = engine.duplicates.find({ threshold: RANDOM_TINY_CLIP_THRESHOLD });
    expect(engine.duplicates.find({ threshold: RANDOM_TINY_CLIP_THRESHOLD })).toBe(first);
    const before = await first;
    const removed = photos[0]!.copies.cropped;
    const kept = fs.readFileSync(removed);
    fs.rmSync(removed);
    await engine.indexer!.reindex(dir);
    const after = await engine.duplicates.find({ threshold: RANDOM_TINY_CLIP_THRESHOLD });
    expect(after.generation).toBeGreaterThan(before.generation);
    expect(after.images).toBe(before.images - 1);
    expect(after.groups.flatMap((group) => group.images.map((image) => image.path))).not.toContain(removed);
    fs.writeFileSync(removed, kept);
    await engine.indexer!.reindex(dir);
  }, 60_000);

  it('pages groups by cursor and exports them as JSON and CSV without touching a file', async () => {
    const report = await engine.duplicates.find({ threshold: RANDOM_TINY_CLIP_THRESHOLD });
    const page1 = pageOfGroups(report, { minGroupSize: 2, first: 5 });
    const page2 = pageOfGroups(report, { minGroupSize: 2, first: 5, after: page1.groups.at(-1)!.id });
    const page3 = pageOfGroups(report, { minGroupSize: 2, first: 5, after: page2.groups.at(-1)!.id });
    expect([page1, page2, page3].map((page) => page.groups.length)).toEqual([5, 5, 1]);
    expect([page1.hasNextPage, page3.hasNextPage]).toEqual([true, false]);
    expect(pageOfGroups(report, { minGroupSize: 5, first: 5 }).totalGroups).toBe(0);
    expect(() => pageOfGroups(report, { minGroupSize: 2, first: 5, after: -3 })).toThrow(/cursor/);

    const json = duplicatesToJson(report);
    expect(json.groups).toHaveLength(photos.length);
    expect(json.groups.every((group) => group.images.filter((image) => image.keep).length === 1)).toBe(true);
    const csv = duplicatesToCsv(report).trimEnd().split('\r\n');
    expect(csv[0]).toBe('group,keep,path,width,height,bytes,modified,score_to_keeper');
    expect(csv).toHaveLength(1 + photos.length * 4);
    expect(csv.filter((line) => line.includes(',yes,'))).toHaveLength(photos.length);
    for (const photo of photos) expect(fs.existsSync(photo.original) && Object.values(photo.copies).every((copy) => fs.existsSync(copy))).toBe(true);
  });

  it('refuses a threshold outside (0, 1]', async () => {
    for (const threshold of [0, -0.5, 1.5, Number.NaN]) await expect(async () => engine.duplicates.find({ threshold })).rejects.toThrow(/threshold/);
  });
});

describe('EXIF field count (the keeper tie-break)', () => {
  it('counts IFD0, Exif and GPS fields of a JPEG sharp wrote, 0 without EXIF, and survives a truncated block', async () => {
    const base = sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } });
    const tagged = await base
      .clone()
      .withExif({ IFD0: { Make: 'Acme', Model: 'One', Software: 'test' }, IFD2: { DateTimeOriginal: '2024:05:01 10:00:00', ExposureTime: '1/100' } })
      .jpeg()
      .toBuffer();
    const exif = (await sharp(tagged).metadata()).exif!;
    const fields = countTiffFields(exif);
    // 3 IFD0 tags + the Exif IFD pointer + 2 Exif tags (sharp/libvips may add its own, e.g. resolution tags).
    expect(fields).toBeGreaterThanOrEqual(6);
    expect(countTiffFields(exif.subarray(0, 30))).toBeLessThan(fields);
    expect(countTiffFields(Buffer.from('garbage'))).toBe(0);
    expect((await sharp(await base.clone().jpeg().toBuffer()).metadata()).exif).toBeUndefined();
  });
});
