import fs from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { openEngine } from '@sis/core';
import { loadCliConfig, resolveUserPath, UserFacingError } from './context';
import { formatReindexSummary, formatSearchResult, toJsonResults } from './format';
import { createReindexProgressBar } from './progressBar';

interface GlobalOptions {
  config?: string;
}

export function parseK(value: string): number {
  const k = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(k) || k < 1) {
    throw new InvalidArgumentError('k must be a whole number of at least 1.');
  }
  return k;
}

export function registerCommands(program: Command, out: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream }): void {
  program
    .command('reindex')
    .description('incrementally index the images in a folder (new files embedded, changed re-embedded, deleted removed)')
    .argument('<dir>', 'folder of images')
    .action(async (dir: string) => {
      const root = resolveUserPath(dir);
      const config = loadCliConfig(program.opts<GlobalOptions>().config);
      const engine = await openEngine(config, { writable: true });
      const bar = createReindexProgressBar(out.stderr);
      // Ctrl-C stops after the current batch and commits what was embedded.
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const summary = await engine.indexer!.reindex(root, { onProgress: bar.update, signal: stop.signal });
        bar.stop();
        out.stdout.write(`${formatReindexSummary(summary)}\n`);
        if (summary.cancelled) process.exitCode = 130;
      } finally {
        bar.stop();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        engine.close();
      }
    });

  program
    .command('search')
    .description('find indexed images by a text description, or by an example image with --image')
    .argument('[text...]', 'what to look for, e.g. "a dog running in snow"')
    .option('-k, --top <k>', 'number of results', parseK, 10)
    .option('--image <file>', 'search by an example image instead of text')
    .option('--json', 'print only a JSON array of { "path", "score" }, best first')
    .action(async (words: string[], options: { top: number; image?: string; json?: boolean }) => {
      const text = words.join(' ').trim();
      if (options.image && text) throw new UserFacingError('Give either a text query or --image <file>, not both.');
      if (!options.image && !text) throw new UserFacingError('Nothing to search for: give a text query or --image <file>.');
      const imagePath = options.image ? resolveUserPath(options.image) : undefined;
      if (imagePath && !fs.existsSync(imagePath)) throw new UserFacingError(`Image not found: ${imagePath}`);
      const config = loadCliConfig(program.opts<GlobalOptions>().config);
      const engine = await openEngine(config, { writable: false });
      try {
        const result = imagePath
          ? await engine.searcher.searchImage(imagePath, options.top)
          : await engine.searcher.searchText(text, options.top);
        if (options.json) {
          out.stdout.write(`${toJsonResults(result)}\n`);
          if (result.totalImages === 0) out.stderr.write('The index is empty: run `reindex <folder>` first.\n');
        } else {
          out.stdout.write(`${formatSearchResult(result, imagePath ? `images like ${imagePath}` : `"${text}"`)}\n`);
        }
      } finally {
        engine.close();
      }
    });

  program
    .command('stats')
    .description('what the index holds')
    .action(async () => {
      const config = loadCliConfig(program.opts<GlobalOptions>().config);
      const engine = await openEngine(config, { writable: false });
      try {
        out.stdout.write(`${JSON.stringify(engine.library.stats(), null, 2)}\n`);
      } finally {
        engine.close();
      }
    });
}
