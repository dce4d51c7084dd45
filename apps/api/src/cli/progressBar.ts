import { SingleBar, Presets } from 'cli-progress';
import type { ReindexProgress } from '@sis/core';

/** A progress bar on stderr (stdout stays clean for summaries and JSON). */
export function createReindexProgressBar(stream: NodeJS.WriteStream = process.stderr): {
  update: (progress: ReindexProgress) => void;
  stop: () => void;
} {
  const bar = progressBar(stream, '{phase} [{bar}] {value}/{total} | {rate} img/s | ETA {eta_text} | skipped {skipped} removed {removed}');
  let started = false;
  return {
    update(progress) {
      const done = progress.embedded + progress.skipped;
      const payload = {
        phase: progress.phase.padEnd(9),
        rate: progress.imagesPerSecond.toFixed(1),
        eta_text: progress.etaSeconds === undefined ? '--' : `${Math.ceil(progress.etaSeconds)}s`,
        skipped: progress.skipped,
        removed: progress.removed,
      };
      if (!started && progress.phase !== 'scanning') {
        bar.start(Math.max(progress.toEmbed, 1), 0, payload);
        started = true;
      }
      if (started) bar.update(Math.min(done, Math.max(progress.toEmbed, 1)), payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** A bar on `stream` with the given cli-progress format; without a terminal it prints a line every 5 s. */
export function progressBar(stream: NodeJS.WriteStream, format: string): SingleBar {
  return new SingleBar({ stream, format, hideCursor: true, noTTYOutput: false, notTTYSchedule: 5000 }, Presets.shades_classic);
}
