import { DEFAULT_MODEL_ID, downloadMb, type ModelDtype, type RecommendedModel } from '@sis/core';

const SIZE_DTYPES: readonly ModelDtype[] = ['fp32', 'fp16', 'q8'];

function size(model: RecommendedModel, dtype: ModelDtype): string {
  const mb = downloadMb(model, dtype) ?? 0;
  return mb >= 1000 ? `${(mb / 1000).toFixed(1)} GB` : `${mb} MB`;
}

/** `sis models`: the recommended models as an aligned table, then when to pick each. */
export function formatModelsTable(models: readonly RecommendedModel[], configured: string): string {
  const header = ['name (SIS_MODEL)', 'Flickr30k R@1', 'COCO R@1', 'ImageNet', 'compute', ...SIZE_DTYPES.map((dtype) => `download ${dtype}`), 'languages', 'license'];
  const rows = models.map((model) => [
    `${model.alias}${model.id === DEFAULT_MODEL_ID ? ' (default)' : ''}${model.id === configured ? ' *' : ''}`,
    model.flickr30kR1.toFixed(1),
    model.cocoR1.toFixed(1),
    model.imagenetTop1.toFixed(1),
    `${model.computeVsDefault}x`,
    ...SIZE_DTYPES.map((dtype) => size(model, dtype)),
    model.languages,
    model.license,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const numeric = (column: number) => column >= 1 && column <= 4 + SIZE_DTYPES.length;
  const line = (cells: string[]) =>
    cells.map((cell, column) => (numeric(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ').trimEnd();
  const picks = models.map((model) => `  ${model.alias} = ${model.id} (${model.family}): ${model.pickWhen}`);
  const inUse = models.some((model) => model.id === configured) ? '* the configured model (SIS_MODEL). ' : '';
  return [
    line(header),
    ...rows.map(line),
    '',
    `${inUse}Quality: published zero-shot text-to-image recall@1 and ImageNet top-1 (%); compute per image vs the default;`,
    'download: both ONNX towers (fp16 half of fp32, q8 about a quarter; pick with SIS_DTYPE). SIS_MODEL takes the name or the id.',
    '',
    'When to pick which:',
    ...picks,
  ].join('\n');
}
