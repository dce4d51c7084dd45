import { availableCores } from '../embedding';

/**
 * Decode worker threads for indexing: the configured number, or the cores that inference leaves over
 * (at least one: the main thread is blocked while the model runs, so decoding needs a thread of its own).
 */
export function decodeThreadsFor(settings: { threads: number; decodeThreads: number }, cores = availableCores()): number {
  if (settings.decodeThreads > 0) return settings.decodeThreads;
  const inference = settings.threads > 0 ? Math.min(settings.threads, cores) : cores;
  return Math.max(1, cores - inference);
}
