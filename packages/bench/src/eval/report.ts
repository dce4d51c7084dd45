import path from 'node:path';
import { describeThreads } from '../config';
import { fixed, percent, seconds, table } from '../format';
import type { RetrievalMetrics } from '../metrics';
import type { EvalResult } from './run';

/** Published figures for OpenAI CLIP ViT-B/32 (real weights): what `pnpm eval` should print with Xenova/clip-vit-base-patch32. */
export const PUBLISHED_VIT_B32 = [
  'Flickr8k 1k test (this set), text->image R@5 = 80.5% (CLIP_benchmark)',
  'Flickr30k 1k test, text->image R@1/5/10 = 58.8 / 83.6 / 90.0% (open_clip results table)',
  'MS-COCO 5k test, text->image R@1/5/10 = 30.4 / 55.9 / 66.9% (open_clip results table)',
];

function metricRows(name: string, metrics: RetrievalMetrics, ks: readonly string[]): string[][] {
  const rows = [
    [
      name,
      ...ks.map((k) => percent(metrics.recall[k])),
      fixed(metrics.meanRank, 1),
      fixed(metrics.medianRank, 1),
      String(metrics.queries),
    ],
    ['  chance level', ...ks.map((k) => percent(metrics.chance[k], 2)), '', '', ''],
  ];
  return rows;
}

export function formatEvalReport(result: EvalResult): string {
  const { dataset, model } = result;
  const ks = Object.keys(result.textToImage.recall);
  const out: string[] = [];
  const missing = dataset.imagesMissing.length;
  out.push(
    `Retrieval on ${path.basename(path.dirname(dataset.captions))}: ${dataset.imagesListed} images${dataset.limit ? ` (first ${dataset.limit})` : ''}, ` +
      `${dataset.imagesIndexed} indexed${missing > 0 ? `, ${missing} missing` : ''}; ${dataset.captionCount} captions`,
  );
  out.push(`Model: ${model.name} (dimension ${model.dimension}), batch size ${model.batchSize}, threads ${describeThreads(model.threads)}`);
  out.push('');
  out.push(
    table(
      ['direction', ...ks.map((k) => `R@${k}`), 'mean rank', 'median rank', 'queries'],
      [...metricRows('text -> image', result.textToImage, ks), ...metricRows('image -> text', result.imageToText, ks)],
    ),
  );
  out.push('');
  out.push(
    'Ranks are 1-based; ties count against the model. text -> image: one query per caption over the indexed images; ' +
      'image -> text: one query per indexed image over all captions, a hit when any of its captions is in the top K.',
  );
  const t2i = result.textToImage;
  if (t2i.missing > 0) {
    out.push(`${t2i.missing} captions describe images that are not in the index: misses in recall@K, left out of the mean and median rank.`);
    for (const item of dataset.imagesMissing.slice(0, 10)) out.push(`  missing ${item.image}: ${item.reason}`);
    if (missing > 10) out.push(`  ... and ${missing - 10} more (see the JSON file)`);
  }
  const ties = t2i.ties + result.imageToText.ties;
  if (ties > 0) out.push(`${ties} queries had tied scores at their right answer (optimistic recall is in the JSON file).`);
  const check = result.crossCheck;
  out.push(
    `Cross-check with the engine's FAISS search: top-1 score agrees on ${check.agreeing} of ${check.captions} captions ` +
      `(largest difference ${check.maxScoreDifference.toExponential(1)}).`,
  );
  out.push(
    `Time: model load ${seconds(result.timings.modelLoadMs)}, indexing ${seconds(result.timings.indexMs)} ` +
      `(${result.timings.imagesPerSecond.toFixed(1)} images/s), captions ${seconds(result.timings.textMs)} ` +
      `(${result.timings.captionsPerSecond.toFixed(0)}/s), scoring ${seconds(result.timings.scoringMs)}.`,
  );
  const comparison = result.dtypeComparison;
  if (comparison) {
    const t = comparison.topK;
    out.push('');
    out.push(
      `## ${comparison.dtype} against ${comparison.reference} on this set: of each caption's ${comparison.reference} top-${t.k} images, ${comparison.dtype} keeps ` +
        `${percent(t.meanOverlap)} on average; same top-1 for ${percent(t.sameTop1)} of the ${t.queries} captions, identical top-${t.k} for ${percent(t.identicalSets)}.`,
    );
    out.push(
      `${comparison.dtype} text -> image ${ks.map((k) => `R@${k} ${percent(comparison.textToImage.recall[k])}`).join(', ')} ` +
        `(vs ${ks.map((k) => percent(result.textToImage.recall[k])).join(', ')}); image embeddings: cosine to ${comparison.reference} min ${fixed(comparison.imageCosine.min, 4)}, ` +
        `mean ${fixed(comparison.imageCosine.mean, 4)}; indexing ${fixed(comparison.imagesPerSecond)} images/s.`,
    );
    out.push(`Kept of the top-${t.k} (captions): ${t.histogram.map((n, kept) => `${kept}: ${n}`).filter((_, kept) => kept >= t.k - 5).join(', ')} (fewer than ${t.k - 5}: ${t.histogram.slice(0, t.k - 5).reduce((a, b) => a + b, 0)})`);
  }
  out.push('');
  out.push('Published figures for OpenAI CLIP ViT-B/32 with its real weights (expect these with Xenova/clip-vit-base-patch32):');
  for (const line of PUBLISHED_VIT_B32) out.push(`  ${line}`);
  return out.join('\n');
}
