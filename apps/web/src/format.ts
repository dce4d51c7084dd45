/** Text the page shows: counts, times, file names. English, with thousands separators. */

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatCount(value: number): string {
  return integer.format(value);
}

/** "1 result", "12 results". */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatCount(count)} ${count === 1 ? singular : pluralForm}`;
}

/** Milliseconds: one decimal below 10 ms ("1.2 ms"), whole above ("18 ms"), seconds from 10 s. */
export function formatMs(ms: number): string {
  if (ms < 10) return `${(Math.round(ms * 10) / 10).toFixed(1)} ms`;
  if (ms < 10_000) return `${formatCount(Math.round(ms))} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** A duration in seconds for people: "8 s", "2 min 5 s", "1 h 4 min". */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  if (total < 60) return `${total} s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes} min ${total % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function formatScore(score: number): string {
  return score.toFixed(3);
}

export type ScoreLevel = 'strong' | 'good' | 'weak';

/** How a score reads on the model's own scale (stats.scoreScale): a CLIP 0.12 is weak, a SigLIP 0.12 is strong. */
export function scoreLevel(score: number, scale: { good: number; strong: number }): ScoreLevel {
  if (score >= scale.strong) return 'strong';
  return score >= scale.good ? 'good' : 'weak';
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** The last segment of a "/"-separated path. */
export function fileName(path: string): string {
  const parts = path.split('/');
  return parts[parts.length - 1] || path;
}

/** Alt text from a file name: "dog-in_snow.jpg" -> "dog in snow". Camera names stay recognisable ("IMG 1234"). */
export function altText(path: string): string {
  const name = fileName(path).replace(/\.[^.]+$/, '');
  const words = name.replace(/[_\-.]+/g, ' ').replace(/\s+/g, ' ').trim();
  return words || fileName(path);
}
