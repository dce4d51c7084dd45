import { Command } from 'commander';
import { parseSizes, wholeNumber } from '../cliOptions';
import { formatScaleOut, runScaleOut } from './measure';

/**
 * `pnpm bench:scale-out`: the scale-out section of `pnpm bench` on its own, with its sizes as options (e.g.
 * `--sizes 100k,1M`). See measure.ts.
 */
async function main(): Promise<void> {
  const program = new Command()
    .option('--sizes <list>', 'stored rows at which to measure commits and replica loads (default 100000)', parseSizes)
    .option('--photos <n>', 'photos reindexed into each catalogue (default 500)', wholeNumber(1))
    .option('--commits <n>', 'commits timed for the catch-up delay (default 200)', wholeNumber(1))
    .option('--load-runs <n>', 'replica loads timed at each size, from each source (default 3)', wholeNumber(1))
    .option('--quick', 'a smoke run: 2000 rows, 20 photos, 20 commits, one load')
    .parse();
  const options = program.opts<{ sizes?: number[]; photos?: number; commits?: number; loadRuns?: number; quick?: boolean }>();
  const quick = options.quick === true;
  const result = await runScaleOut(
    {
      sizes: options.sizes ?? (quick ? [2000] : [100_000]),
      photos: options.photos ?? (quick ? 20 : 500),
      commits: options.commits ?? (quick ? 20 : 200),
      loadRuns: options.loadRuns ?? (quick ? 1 : 3),
    },
    { progress: () => undefined, log: (text) => console.error(text) },
  );
  console.log(formatScaleOut(result));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
