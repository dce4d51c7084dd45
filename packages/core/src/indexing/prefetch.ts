/**
 * Maps items through an async function with up to `window` calls in flight, yielding results in
 * input order. Work keeps going while the consumer is busy (e.g. decoding overlaps inference).
 * `map` must not reject: encode failures in its result.
 */
export async function* prefetchMap<T, R>(items: readonly T[], window: number, map: (item: T) => Promise<R>): AsyncGenerator<R> {
  const inFlight: Promise<R>[] = [];
  let next = 0;
  const refill = () => {
    while (next < items.length && inFlight.length < window) inFlight.push(map(items[next++]!));
  };
  refill();
  while (inFlight.length > 0) {
    const result = await inFlight.shift()!;
    refill();
    yield result;
  }
}
