import { altText, formatDuration, formatMs } from '../../src/format';
import { formatUrlState, parseUrlState } from '../../src/url';

describe('format', () => {
  it('makes alt text from file names', () => {
    expect(altText('holidays/2024/dog_in-snow.jpg')).toBe('dog in snow');
    expect(altText('IMG_1234.JPG')).toBe('IMG 1234');
    expect(altText('.jpg')).toBe('.jpg');
  });

  it('formats times for people', () => {
    expect(formatMs(1.234)).toBe('1.2 ms');
    expect(formatMs(18.4)).toBe('18 ms');
    expect(formatMs(12_345)).toBe('12.3 s');
    expect(formatDuration(8.2)).toBe('8 s');
    expect(formatDuration(125)).toBe('2 min 5 s');
    expect(formatDuration(3840)).toBe('1 h 4 min');
  });
});

describe('URL state', () => {
  it('round-trips the query, k and the threshold, and ignores junk', () => {
    expect(parseUrlState('?q=a+dog&k=24&min=0.2')).toEqual({ q: 'a dog', k: 24, minScore: 0.2 });
    expect(formatUrlState({ q: 'a dog', k: 24, minScore: 0.2 })).toBe('?q=a+dog&k=24&min=0.2');
    expect(parseUrlState('?similar=42&k=8')).toEqual({ q: '', similar: '42', k: 8 });
    expect(parseUrlState('?q=x&k=abc&min=7&similar=../etc')).toEqual({ q: 'x', k: 12 });
  });
});
