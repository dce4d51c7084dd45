export interface PrefetchLimits {
  /** Calls running at once (decoding is CPU work: about the number of cores). */
  concurrency: number;
  /** Results started but not yet consumed, running or done: how far ahead of the consumer to work. */
  lookahead: number;
}

/**
 * Maps items through an async function ahead of the consumer, yielding results in input order.
 * Work goes on while the consumer is busy (decoding overlaps inference), and a small `concurrency`
 * keeps each call's measured time close to its real cost. `map` must not reject: encode failures
 * in its result.
 */
export async function* prefetchMap<T, R>(items: readonly T[], limits: PrefetchLimits, map: (item: T) => Promise<R>): AsyncGenerator<R> {
  const queue: Promise<R>[] = [];
  let next = 0;
  let running = 0;
  const pump = (): void => {
    while (next < items.length && running < limits.concurrency && queue.length < limits.lookahead) {
      running++;
      queue.push(
        map(items[next++]!).finally(() => {
          running--;
          pump();
        }),
      );
    }
  };
  pump();
  while (queue.length > 0) {
    const result = await queue.shift()!;
    pump();
    yield result;
  }
}

/**
 * Prefetch limits for a consumer that embeds in batches of `batchSize` from a pool that works on
 * `poolCapacity` requests at once. onnxruntime-node's run() holds the main thread for the whole batch,
 * so a decode worker's replies wait in the message queue until the run ends and no new request can be
 * sent meanwhile: the next batch's images must have been asked for before the run starts, or the
 * workers go idle after their first requests and the model then waits for the rest. Two batches ahead
 * are requested at once (about 10 MB of pixels at 224 px).
 */
export function batchPrefetchLimits(batchSize: number, poolCapacity: number): PrefetchLimits {
  const lookahead = Math.max(2 * batchSize, poolCapacity);
  return { concurrency: lookahead, lookahead };
}
