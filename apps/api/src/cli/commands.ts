import fs from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { ModelMismatchError, RECOMMENDED_MODELS, openEngine, recommendedModel, resolveModel, usesQueue, type AppConfig } from '@sis/core';
import { invocationDir, loadCliConfig, resolveUserPath, UserFacingError } from './context';
import { formatModelSwitchSummary, formatReindexSummary, formatSearchResult, toJsonResults } from './format';
import { addFilterFlags, searchOptionsOfFlags, type FilterFlags } from './filterFlags';
import { formatModelsTable } from './modelsTable';
import { queuedReindex, registerQueueCommands } from './queueCommands';
import { createReindexProgressBar } from './progressBar';
import { collectWeighted, describeTerms, toQueryTerms, type WeightedArgument } from './queryTerms';
import { registerDuplicatesCommand } from './duplicatesCommand';

interface SearchCommandOptions {
  top: number;
  image?: string;
  json?: boolean;
  add?: WeightedArgument[];
  subtract?: WeightedArgument[];
  addImage?: WeightedArgument[];
  subtractImage?: WeightedArgument[];
}

/** The term flags, grouped by flag (the order of terms changes nothing but how they are listed). */
function termFlags(options: SearchCommandOptions): WeightedArgument[] {
  return [...(options.add ?? []), ...(options.subtract ?? []), ...(options.addImage ?? []), ...(options.subtractImage ?? [])];
}
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

export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || port > 65_535) throw new InvalidArgumentError('port must be a whole number from 0 to 65535.');
  return port;
}

/**
 * Closes the engine (a writer saves the index then). When the command has already failed, an error from closing,
 * e.g. no room to save the index on the disk that just filled up, is printed as a note and does not replace the
 * first error, which says what happened to the data.
 */
function closeAfter(engine: { close(): void }, failure: unknown, stderr: NodeJS.WriteStream): void {
  try {
    engine.close();
  } catch (error) {
    if (failure === undefined) throw error;
    stderr.write(`note: ${(error as Error).message}\n`);
  }
}

/**
 * `reindex --model` starts from the library's own model, whatever SIS_MODEL says (it may name the model being
 * switched to already): a library that records another model than SIS_MODEL is opened with the recorded one.
 */
async function openRecordedModel(config: AppConfig) {
  try {
    return await openEngine(config, { writable: true });
  } catch (error) {
    if (!(error instanceof ModelMismatchError)) throw error;
    return openEngine({ ...config, model: error.recorded.modelName }, { writable: true });
  }
}

export function registerCommands(program: Command, out: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream }): void {
  // The embedding queue's commands (worker, status, cancel); `reindex` below hands over to it with SIS_QUEUE_URL.
  registerQueueCommands(program, out, () => loadCliConfig(program.opts<GlobalOptions>().config));

  program
    .command('reindex')
    .description('incrementally index the images in a folder (new files embedded, changed re-embedded, deleted removed)')
    .argument('<dir>', 'folder of images')
    .option('--no-wait', 'with SIS_QUEUE_URL: queue the work for `sis worker` processes and return at once (prints the run id)')
    .option(
      '--model <name>',
      'switch the library to this model (a name from `sis models`, a Hugging Face id or a local folder): its vectors are built beside the ' +
        'old ones while search keeps working, the library switches when they are complete, then <dir> is reindexed with it. ' +
        'Stopped early, the library is unchanged and the same command resumes',
    )
    .action(async (dir: string, options: { wait: boolean; model?: string }) => {
      const root = resolveUserPath(dir);
      const config = loadCliConfig(program.opts<GlobalOptions>().config);
      if (options.model !== undefined && usesQueue(config)) {
        throw new UserFacingError(
          '--model switches the library in this process, not through the queue: stop the `sis worker` processes, run it without SIS_QUEUE_URL, then restart the workers (with SIS_MODEL set to the new model where they set one).',
        );
      }
      if (usesQueue(config)) return queuedReindex(config, root, options, out);
      if (!options.wait) throw new UserFacingError('--no-wait queues the work for `sis worker` processes: it needs SIS_QUEUE_URL (and SIS_CATALOGUE_URL).');
      const engine = options.model === undefined ? await openEngine(config, { writable: true }) : await openRecordedModel(config);
      const bar = createReindexProgressBar(out.stderr);
      // Ctrl-C stops after the current batch and commits what was embedded.
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let failure: unknown;
      try {
        if (options.model !== undefined) {
          const summary = await engine.switchModel(root, resolveModel(options.model, invocationDir()), { onProgress: bar.update, signal: stop.signal });
          bar.stop();
          out.stdout.write(`${formatModelSwitchSummary(summary)}\n`);
          if (!summary.switched && !summary.alreadyCurrent) process.exitCode = 130;
          else if (summary.reindex?.cancelled) process.exitCode = 130;
        } else {
          const summary = await engine.indexer!.reindex(root, { onProgress: bar.update, signal: stop.signal });
          bar.stop();
          out.stdout.write(`${formatReindexSummary(summary)}\n`);
          if (summary.cancelled) process.exitCode = 130;
        }
      } catch (error) {
        failure = error;
        throw error;
      } finally {
        bar.stop();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        closeAfter(engine, failure, out.stderr);
      }
    });

  addFilterFlags(program
    .command('search')
    .description('find indexed images by a text description, an example image (--image), or a weighted mix of texts and images (--add, --subtract, --add-image, --subtract-image)')
    .argument('[text...]', 'what to look for, e.g. "a dog running in snow"')
    .option('-k, --top <k>', 'number of results', parseK, 10)
    .option('--image <file>', 'search by an example image instead of text')
    .option('--add <[weight:]text>', 'also look for this text, e.g. --add "2:snow" (weight 2; default 1); repeatable', collectWeighted('text', 1))
    .option('--subtract <[weight:]text>', 'look away from this text, e.g. --subtract "people"; repeatable', collectWeighted('text', -1))
    .option('--add-image <[weight:]file>', 'also look for images like this one; repeatable', collectWeighted('image', 1))
    .option('--subtract-image <[weight:]file>', 'look away from images like this one; repeatable', collectWeighted('image', -1))
    .option('--json', 'print only a JSON array of { "path", "score", "width", "height", "takenAt", "cameraMake", "cameraModel", "fileType", "latitude", "longitude" }, best first'))
    .action(async (words: string[], options: SearchCommandOptions & FilterFlags) => {
      const text = words.join(' ').trim();
      const flags = termFlags(options);
      if (options.image && (text || flags.length > 0)) {
        throw new UserFacingError('--image searches by one example image alone; to mix texts and images use --add-image <file> with the text or --add.');
      }
      if (!options.image && !text && flags.length === 0) throw new UserFacingError('Nothing to search for: give a text query, --image <file>, or --add / --add-image terms.');
      const imagePath = options.image ? resolveUserPath(options.image) : undefined;
      if (imagePath && !fs.existsSync(imagePath)) throw new UserFacingError(`Image not found: ${imagePath}`);
      const config = loadCliConfig(program.opts<GlobalOptions>().config);
      const engine = await openEngine(config, { writable: false });
      try {
        const composite = flags.length > 0 ? toQueryTerms(text, flags, (file) => engine.library.getByPath(file)?.id) : undefined;
        const result = imagePath
          ? await engine.searcher.searchImage(imagePath, options.top, searchOptionsOfFlags(options))
          : composite
            ? await engine.searcher.searchTerms(composite, options.top, searchOptionsOfFlags(options))
            : await engine.searcher.searchText(text, options.top, searchOptionsOfFlags(options));
        if (options.json) {
          out.stdout.write(`${toJsonResults(result)}\n`);
          if (result.totalImages === 0) out.stderr.write('The index is empty: run `reindex <folder>` first.\n');
        } else {
          out.stdout.write(`${formatSearchResult(result, imagePath ? `images like ${imagePath}` : composite ? describeTerms(text, flags) : `"${text}"`)}\n`);
        }
      } finally {
        engine.close();
      }
    });

  program
    .command('serve')
    .description('start the GraphQL API server (and the web app, when built) on SIS_HOST:SIS_PORT; stops gracefully on SIGTERM/Ctrl-C')
    .option('--port <port>', 'port to listen on (default: SIS_PORT, 4000; 0 picks a free one)', parsePort)
    .option('--host <host>', 'address to listen on (default: SIS_HOST, 127.0.0.1)')
    .option('--new-token', 'create a new access token in the data directory (replacing the old one) and print it once')
    .action(async (options: { port?: number; host?: string; newToken?: boolean }) => {
      const loaded = loadCliConfig(program.opts<GlobalOptions>().config);
      const config = { ...loaded, ...(options.port !== undefined && { port: options.port }), ...(options.host && { host: options.host }) };
      // Loaded here, not at the top: the server's dependencies would add ~0.2 s to every other command.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { startServer } = require('../server/start') as typeof import('../server/start');
      try {
        await startServer(config, { handleSignals: true, newToken: options.newToken === true });
      } catch (error) {
        if (error instanceof Error && error.name === 'ServerSettingsError') throw new UserFacingError(error.message);
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw new UserFacingError(`Port ${config.port} on ${config.host} is already in use: stop the other server or set SIS_PORT.`);
        if (code === 'EACCES' || code === 'EADDRNOTAVAIL') throw new UserFacingError(`Cannot listen on ${config.host}:${config.port} (${code}): check SIS_HOST and SIS_PORT.`);
        throw error;
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

  registerDuplicatesCommand(program, out);

  program
    .command('models')
    .description('the recommended models, with quality, compute, download size, languages and license; SIS_MODEL takes their names')
    .option('--json', 'print the list as JSON')
    .action((options: { json?: boolean }) => {
      if (options.json) {
        out.stdout.write(`${JSON.stringify(RECOMMENDED_MODELS, null, 2)}\n`);
        return;
      }
      // Reads the configuration only to mark the model in use; a bad model setting does not hide the list.
      const model = loadCliConfig(program.opts<GlobalOptions>().config).model;
      out.stdout.write(`${formatModelsTable(RECOMMENDED_MODELS, recommendedModel(model)?.id ?? model)}\n`);
    });
}
