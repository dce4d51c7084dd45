import fs from 'node:fs';
import path from 'node:path';
import { CaptionsFormatError, groupCaptions, parseCaptionsCsv, parseCsv } from '../src/captions';
import { sharedDir } from '../src/paths';

describe('parseCsv (RFC 4180)', () => {
  it('splits fields and rows, with \\n or \\r\\n, ignoring blank lines and a BOM', () => {
    expect(parseCsv('\uFEFFa,b\r\nc,d\n\ne,f')).toEqual([
      ['a', 'b'],
      ['c', 'd'],
      ['e', 'f'],
    ]);
  });

  it('reads quoted fields with commas, doubled quotes and line breaks', () => {
    expect(parseCsv('x.jpg,"A dog , running"\ny.jpg,"He said ""hi"""\nz.jpg,"two\nlines"\n')).toEqual([
      ['x.jpg', 'A dog , running'],
      ['y.jpg', 'He said "hi"'],
      ['z.jpg', 'two\nlines'],
    ]);
  });

  it('keeps empty fields', () => {
    expect(parseCsv('a,,c\n,"",\n')).toEqual([
      ['a', '', 'c'],
      ['', '', ''],
    ]);
  });

  it('refuses an unterminated quote and a stray quote', () => {
    expect(() => parseCsv('a,"b\n')).toThrow(CaptionsFormatError);
    expect(() => parseCsv('a,b"c"\n')).toThrow(CaptionsFormatError);
  });
});

describe('parseCaptionsCsv and groupCaptions', () => {
  it('needs a header naming image and caption, in any order', () => {
    expect(parseCaptionsCsv('caption,image\nA dog .,1.jpg\n')).toEqual([{ image: '1.jpg', caption: 'A dog .' }]);
    expect(() => parseCaptionsCsv('1.jpg,A dog .\n')).toThrow(/header/);
    expect(() => parseCaptionsCsv('')).toThrow(CaptionsFormatError);
    expect(() => parseCaptionsCsv('image,caption\n1.jpg,\n')).toThrow(/row 2/);
  });

  it('groups captions by image in order of first appearance, optionally limited to the first N images', () => {
    const rows = parseCaptionsCsv('image,caption\na.jpg,one\nb.jpg,two\na.jpg,three\nc.jpg,four\nb.jpg,five\n');
    expect(groupCaptions(rows)).toEqual({
      images: ['a.jpg', 'b.jpg', 'c.jpg'],
      captions: [
        { text: 'one', image: 0 },
        { text: 'two', image: 1 },
        { text: 'three', image: 0 },
        { text: 'four', image: 2 },
        { text: 'five', image: 1 },
      ],
    });
    const limited = groupCaptions(rows, 2);
    expect(limited.images).toEqual(['a.jpg', 'b.jpg']);
    expect(limited.captions.map((caption) => caption.text)).toEqual(['one', 'two', 'three', 'five']);
  });

  const shared = path.join(sharedDir(), 'datasets/flickr8k-test1k/captions.csv');
  (fs.existsSync(shared) ? it : it.skip)('reads the shared Flickr8k test split: 1000 images, 5 captions each', () => {
    const set = groupCaptions(parseCaptionsCsv(fs.readFileSync(shared, 'utf8')));
    expect(set.images).toHaveLength(1000);
    expect(set.captions).toHaveLength(5000);
    const perImage = new Map<number, number>();
    for (const caption of set.captions) perImage.set(caption.image, (perImage.get(caption.image) ?? 0) + 1);
    expect([...perImage.values()].every((n) => n === 5)).toBe(true);
    expect(set.captions.some((caption) => caption.text.includes(','))).toBe(true); // quoted fields were read
  });
});
