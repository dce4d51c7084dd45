import { defaultConfig, startWorker, type AppConfig, type Embedder } from '@sis/core';

/**
 * One `sis worker` for the queue bench, in its own process: the configuration comes as JSON in SIS_BENCH_CONFIG.
 * With SIS_BENCH_NOOP=1 it neither decodes nor embeds (a fixed unit vector per file): what is left is the queue
 * and the catalogue commit, the coordination cost per image.
 */
const DIMENSION = 512;

function noopEmbedder(): Embedder {
  const vector = new Float32Array(DIMENSION);
  vector[0] = 1;
  return {
    modelName: 'bench/no-op-512',
    dimension: DIMENSION,
    precision: 'fp32',
    preprocess: { cropHeight: 1, cropWidth: 1 } as Embedder['preprocess'],
    embedTexts: (texts) => Promise.resolve(texts.map(() => vector)),
    embedPixels: (pixels) => Promise.resolve(pixels.map(() => vector)),
  };
}

async function main(): Promise<void> {
  const config = { ...defaultConfig, ...(JSON.parse(process.env.SIS_BENCH_CONFIG ?? '{}') as Partial<AppConfig>) };
  const noop = process.env.SIS_BENCH_NOOP === '1';
  const pixels = { pixelValues: new Float32Array(3), width: 1, height: 1 } as never;
  const worker = await startWorker(config, {
    id: process.env.SIS_BENCH_WORKER_ID ?? `bench-${process.pid}`,
    ...(noop ? { embedder: noopEmbedder(), read: () => Promise.resolve(pixels) } : {}),
  });
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => process.once('SIGTERM', resolve));
  await worker.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
