import type { ReindexSummary, SearchResult } from '@sis/core';

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

export function formatReindexSummary(summary: ReindexSummary): string {
  const lines = [
    `${summary.cancelled ? 'Stopped early' : 'Indexed'} ${summary.root} in ${formatDuration(summary.elapsedMs)}`,
    `  embedded:  ${summary.embedded}${summary.embedded > 0 ? ` (${summary.imagesPerSecond.toFixed(1)} images/s)` : ''}`,
    `  unchanged: ${summary.unchanged}`,
    `  skipped:   ${summary.skipped.length}${summary.unchangedSkipped > 0 ? ` (+${summary.unchangedSkipped} skipped before and unchanged)` : ''}`,
    `  removed:   ${summary.removed}`,
    `  stages:    scan ${formatDuration(summary.timings.scanMs)}, inference ${formatDuration(summary.timings.inferenceMs)}` +
      ` (waited ${formatDuration(summary.timings.decodeWaitMs)} for decoding), write ${formatDuration(summary.timings.writeMs)};` +
      ` decode+preprocess ${formatDuration(summary.timings.decodeMs)} summed over images, overlapping inference`,
  ];
  for (const skip of summary.skipped) lines.push(`  skipped ${skip.path}: ${skip.reason}: ${skip.message}`);
  return lines.join('\n');
}

export function formatSearchResult(result: SearchResult, describeQuery: string): string {
  if (result.totalImages === 0) return 'The index is empty: run `reindex <folder>` first.';
  const header = `${result.hits.length} results for ${describeQuery} in ${Math.round(result.tookMs)} ms (of ${result.totalImages} images)`;
  const rows = result.hits.map((hit, i) => `${String(i + 1).padStart(3)}  ${hit.score.toFixed(4)}  ${hit.path}`);
  return [header, ...rows].join('\n');
}

/** The --json contract: one array of { path, score }, best first. */
export function toJsonResults(result: SearchResult): string {
  return JSON.stringify(result.hits.map((hit) => ({ path: hit.path, score: hit.score })));
}
