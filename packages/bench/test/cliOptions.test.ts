import { InvalidArgumentError } from 'commander';
import { defaultSplits } from '../src/bench/throughputRun';
import { parseList, parseSizes, parseSplits, wholeNumber, withoutLeadingSeparator } from '../src/cliOptions';

describe('command-line option parsers', () => {
  it('parseSizes reads k and M suffixes, sorts and removes duplicates', () => {
    expect(parseSizes('1000,100k,1M')).toEqual([1000, 100_000, 1_000_000]);
    expect(parseSizes('1M, 2.5k ,1000,1k')).toEqual([1000, 2500, 1_000_000]);
    expect(() => parseSizes('10,abc')).toThrow(InvalidArgumentError);
    expect(() => parseSizes('0')).toThrow(InvalidArgumentError);
    expect(() => parseSizes('')).toThrow(InvalidArgumentError);
  });

  it('parseSplits reads intra-op / decode threads, optionally without spinning; defaultSplits tries the engine\'s with and without', () => {
    expect(parseSplits('2/1, 0/2 ,2/1/nospin')).toEqual([
      { threads: 2, decodeThreads: 1 },
      { threads: 0, decodeThreads: 2 },
      { threads: 2, decodeThreads: 1, spinning: false },
    ]);
    expect(() => parseSplits('2/0')).toThrow(InvalidArgumentError);
    expect(() => parseSplits('2/1/spin')).toThrow(InvalidArgumentError);
    expect(defaultSplits({ threads: 0, decodeThreads: 0 }, 2)).toEqual([
      { threads: 0, decodeThreads: 1 },
      { threads: 0, decodeThreads: 1, spinning: false },
      { threads: 1, decodeThreads: 1 },
    ]);
    expect(defaultSplits({ threads: 4, decodeThreads: 2 }, 8)).toEqual([
      { threads: 4, decodeThreads: 2 },
      { threads: 4, decodeThreads: 2, spinning: false },
    ]);
  });

  it('wholeNumber enforces the minimum', () => {
    expect(wholeNumber(1)('5')).toBe(5);
    expect(wholeNumber(0)('0')).toBe(0);
    expect(() => wholeNumber(1)('0')).toThrow(InvalidArgumentError);
    expect(() => wholeNumber(1)('2.5')).toThrow(InvalidArgumentError);
    expect(() => wholeNumber(1)('-3')).toThrow(InvalidArgumentError);
  });

  it('parseList accepts a subset of the allowed names', () => {
    const sections = parseList(['indexing', 'query', 'cold'] as const);
    expect(sections('query, cold')).toEqual(['query', 'cold']);
    expect(() => sections('query,warm')).toThrow(/"warm" is not one of/);
    expect(() => sections(',')).toThrow(InvalidArgumentError);
  });

  it('drops the "--" that `pnpm bench -- --quick` passes on, and only that', () => {
    expect(withoutLeadingSeparator(['node', 'cli.js', '--', '--quick'])).toEqual(['node', 'cli.js', '--quick']);
    expect(withoutLeadingSeparator(['node', 'cli.js', '--quick', '--', 'x'])).toEqual(['node', 'cli.js', '--quick', '--', 'x']);
  });
});
