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

/** An EXIF date (ISO 8601, UTC wall-clock time as the camera recorded it) as "2015-03-01 09:00"; the time is left out at midnight. */
export function formatTaken(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  if (!match) return iso;
  return match[2] === '00:00' ? match[1]! : `${match[1]} ${match[2]}`;
}

/** "Canon EOS 5D"; a model that already names its maker ("Canon X1", "iPhone 12" by Apple) is not repeated. */
export function formatCamera(make: string | null | undefined, model: string | null | undefined): string | undefined {
  const maker = make?.trim() ?? '';
  const name = model?.trim() ?? '';
  if (!maker && !name) return undefined;
  if (!maker) return name;
  if (!name) return maker;
  return name.toLowerCase().startsWith(maker.toLowerCase()) ? name : `${maker} ${name}`;
}

/** GPS degrees as "41.9000, 12.5000" (4 decimals: about 10 m). */
export function formatPosition(latitude: number, longitude: number): string {
  return `${latitude.toFixed(4)}, ${longitude.toFixed(4)}`;
}

/** The short line a tile shows under its path: date taken and camera, when known. */
export function hitCaption(hit: { takenAt?: string | null; cameraMake?: string | null; cameraModel?: string | null }): string | undefined {
  const parts = [hit.takenAt ? formatTaken(hit.takenAt).slice(0, 10) : undefined, formatCamera(hit.cameraMake, hit.cameraModel)].filter(Boolean);
  return parts.length > 0 ? parts.join(' · ') : undefined;
}
