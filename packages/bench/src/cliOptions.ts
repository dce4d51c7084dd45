import { InvalidArgumentError } from 'commander';

/** Commander argument parser: a whole number >= min. */
export function wholeNumber(min: number): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`must be a whole number of at least ${min}`);
    }
    return n;
  };
}

/** "1000,100k,1M" -> [1000, 100000, 1000000]: a comma-separated list of sizes, k and M suffixes allowed. */
export function parseSizes(value: string): number[] {
  const sizes = value.split(',').map((item) => {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*$/.exec(item);
    if (!match) throw new InvalidArgumentError(`"${item}" is not a size (examples: 1000, 100k, 1M)`);
    const multiplier = match[2]!.toLowerCase() === 'k' ? 1000 : match[2]!.toLowerCase() === 'm' ? 1_000_000 : 1;
    const size = Math.round(Number(match[1]) * multiplier);
    if (!Number.isSafeInteger(size) || size < 1) throw new InvalidArgumentError(`"${item}" must be at least 1`);
    return size;
  });
  return [...new Set(sizes)].sort((a, b) => a - b);
}

/** A comma-separated subset of `allowed`. */
export function parseList<T extends string>(allowed: readonly T[]): (value: string) => T[] {
  return (value: string) => {
    const items = value.split(',').map((item) => item.trim()).filter((item) => item !== '');
    for (const item of items) {
      if (!allowed.includes(item as T)) throw new InvalidArgumentError(`"${item}" is not one of ${allowed.join(', ')}`);
    }
    if (items.length === 0) throw new InvalidArgumentError(`give at least one of ${allowed.join(', ')}`);
    return items as T[];
  };
}

/** `pnpm bench -- --quick` passes the "--" on: drop it when it comes first, so both spellings work. */
export function withoutLeadingSeparator(argv: readonly string[]): string[] {
  return argv[2] === '--' ? [...argv.slice(0, 2), ...argv.slice(3)] : [...argv];
}

/**
 * "2/1,1/1,2/1/nospin" -> [{ threads: 2, decodeThreads: 1 }, { threads: 1, decodeThreads: 1 }, { threads: 2, decodeThreads: 1, spinning: false }]:
 * inference threads (0: default) / decode threads (>= 1), optionally /nospin (the vision session without intra-op spinning).
 */
export function parseSplits(value: string): { threads: number; decodeThreads: number; spinning?: false }[] {
  return value.split(',').map((item) => {
    const match = /^\s*(\d+)\s*\/\s*(\d+)\s*(\/\s*nospin\s*)?$/.exec(item);
    if (!match || Number(match[2]) < 1) {
      throw new InvalidArgumentError(`"${item}" is not a split: inference threads / decode threads [/nospin], e.g. 2/1 or 2/1/nospin (decode threads >= 1)`);
    }
    return { threads: Number(match[1]), decodeThreads: Number(match[2]), ...(match[3] ? { spinning: false as const } : {}) };
  });
}
