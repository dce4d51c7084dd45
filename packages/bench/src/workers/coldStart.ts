/**
 * Cold start: a new process that does what `sis search "..."` does (load the engine read-only, answer
 * one text query) and prints its stage times as JSON lines on stdout. The parent times spawn -> the
 * "answer" line; this script reports where the time went. After answering it also times loading the
 * vision model (what indexing and image search need on top).
 *
 * Usage (by pnpm bench): node coldStart.js '<json: { config, query, k }>'
 */
// Nothing is imported before the first timestamp, so bootMs covers only Node's own start.
const bootMs = performance.now();

interface ColdStartJob {
  config: import('@sis/core').AppConfig;
  query: string;
  k: number;
}

export interface ColdStartAnswer {
  event: 'answer';
  /** Process start (Node's time origin) to this script's first line. */
  bootMs: number;
  /** require('@sis/core') and its dependencies (transformers.js, onnxruntime, sharp, FAISS, SQLite). */
  importMs: number;
  /** openEngine(): model config and preprocessor files, catalogue and FAISS index. */
  engineOpenMs: number;
  /** Tokenizer + text model: files to a ready ONNX session. */
  textModelLoadMs: number;
  /** The first query once the model is loaded. */
  firstQueryMs: number;
  /** Time origin to the answer, as this process sees it. */
  totalMs: number;
  hits: number;
  totalImages: number;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '') as ColdStartJob;
  const importStart = performance.now();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const core = require('@sis/core') as typeof import('@sis/core');
  const importMs = performance.now() - importStart;
  const openStart = performance.now();
  const engine = await core.openEngine(job.config, { writable: false });
  const engineOpenMs = performance.now() - openStart;
  const loadStart = performance.now();
  // Loads the text tower exactly as the first searchText would; timed on its own.
  await engine.embedder.tokenize(job.query);
  const textModelLoadMs = performance.now() - loadStart;
  const queryStart = performance.now();
  const result = await engine.searcher.searchText(job.query, job.k);
  const firstQueryMs = performance.now() - queryStart;
  const answer: ColdStartAnswer = {
    event: 'answer',
    bootMs,
    importMs,
    engineOpenMs,
    textModelLoadMs,
    firstQueryMs,
    totalMs: performance.now(),
    hits: result.hits.length,
    totalImages: result.totalImages,
  };
  process.stdout.write(`${JSON.stringify(answer)}\n`);
  const visionStart = performance.now();
  await engine.embedder.warmUp();
  process.stdout.write(`${JSON.stringify({ event: 'vision', visionModelLoadMs: performance.now() - visionStart })}\n`);
  engine.close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`cold start failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
