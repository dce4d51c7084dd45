import type { ModelSwitchSummary, ReindexSummary, SearchResult } from '@sis/core';

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

export function formatModelSwitchSummary(summary: ModelSwitchSummary): string {
  const lines: string[] = [];
  const { build } = summary;
  if (summary.alreadyCurrent) lines.push(`The library already uses ${summary.model}: reindexed only.`);
  if (build) {
    const resumed = build.alreadyStaged > 0 ? ` (resumed: ${build.alreadyStaged} built before)` : '';
    lines.push(
      `${build.cancelled ? 'Stopped building' : 'Built'} the vectors of ${summary.model} in ${formatDuration(build.elapsedMs)}: ` +
        `${build.embedded} images${build.embedded > 0 ? ` (${build.imagesPerSecond.toFixed(1)} images/s)` : ''}${resumed}`,
    );
    for (const skip of build.failed) lines.push(`  could not read ${skip.path}: ${skip.reason}: ${skip.message}`);
  }
  if (summary.switched) {
    lines.push(`Switched the library from ${summary.previousModel} to ${summary.model}; the old vectors are deleted.`);
    if (summary.forgotten > 0) lines.push(`  ${summary.forgotten} images without a new vector (changed or unreadable during the switch) were reindexed as new files.`);
    lines.push(`  Set SIS_MODEL=${summary.model} for search and serve from now on.`);
  } else if (!summary.alreadyCurrent) {
    lines.push(`The library still uses ${summary.previousModel} (search works as before); run the same command again to resume.`);
  }
  if (summary.reindex) lines.push(formatReindexSummary(summary.reindex));
  return lines.join('\n');
}

export function formatSearchResult(result: SearchResult, describeQuery: string): string {
  if (result.totalImages === 0) return 'The index is empty: run `reindex <folder>` first.';
  const threshold = result.minScore === undefined ? '' : `, score >= ${result.minScore}`;
  const header = `${result.hits.length} results for ${describeQuery} in ${Math.round(result.tookMs)} ms (of ${result.totalImages} images${threshold})`;
  const rows = result.hits.map((hit, i) => `${String(i + 1).padStart(3)}  ${hit.score.toFixed(4)}  ${hit.path}`);
  return [header, ...rows].join('\n');
}

/**
 * The --json contract: one array, best first, of { path, score } plus what the catalogue recorded about each
 * file: width, height (pixels), takenAt (ISO 8601, EXIF date read as UTC), cameraMake, cameraModel, fileType,
 * latitude, longitude (null when absent or not read yet).
 */
export function toJsonResults(result: SearchResult): string {
  return JSON.stringify(
    result.hits.map((hit) => {
      const { metadata } = hit;
      return {
        path: hit.path,
        score: hit.score,
        width: hit.width,
        height: hit.height,
        takenAt: metadata?.takenAt == null ? null : new Date(metadata.takenAt).toISOString(),
        cameraMake: metadata?.cameraMake ?? null,
        cameraModel: metadata?.cameraModel ?? null,
        fileType: metadata?.fileType || null,
        latitude: metadata?.latitude ?? null,
        longitude: metadata?.longitude ?? null,
      };
    }),
  );
}
