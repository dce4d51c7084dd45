/**
 * The recommended models: what `sis models` lists and what SIS_MODEL accepts by name, with the figures a
 * user chooses by and the score scale of each family. Quality figures are published zero-shot results
 * (open_clip's retrieval table, model cards); download sizes are the ONNX graphs' sizes (fp32 as
 * published; other precisions scale with bytes per weight: fp16 1/2, q8/int8 about 1/4).
 */
import type { ModelFamilyName } from './modelFamily';
import type { ModelDtype } from './precision';

/** What a cosine means for a family: the web app's score badges and the suggested minimum score. */
export interface ScoreScale {
  /** Suggested minScore: below it a hit is very unlikely to match the query. */
  readonly minScore: number;
  /** A text-image cosine that usually means a fair match. */
  readonly good: number;
  /** A text-image cosine that usually means a clear match. */
  readonly strong: number;
}

/**
 * CLIP B/32's matching text-image pairs score ~0.25-0.35, unrelated ones ~0.10-0.20. SigLIP was trained with
 * a sigmoid loss whose learned scale (~117) and bias (~-12.9) put a 50% match probability at cosine ~0.11, and
 * unrelated pairs near 0; its cosines are about a third of CLIP's.
 */
export const FAMILY_SCORE_SCALES: Readonly<Record<ModelFamilyName, ScoreScale>> = {
  clip: { minScore: 0.2, good: 0.25, strong: 0.3 },
  siglip: { minScore: 0.05, good: 0.08, strong: 0.11 },
};

export interface RecommendedModel {
  /** Hugging Face id: the value SIS_MODEL takes, and what the library records. */
  readonly id: string;
  /** Short name SIS_MODEL also accepts. */
  readonly alias: string;
  readonly family: ModelFamilyName;
  /** Zero-shot text-to-image recall@1 on Flickr30k and COCO, ImageNet top-1 (percent). */
  readonly flickr30kR1: number;
  readonly cocoR1: number;
  readonly imagenetTop1: number;
  /** Inference compute per image relative to the default (Xenova/clip-vit-base-patch32). */
  readonly computeVsDefault: number;
  /** fp32 graph sizes in MB (vision, text). */
  readonly visionMb: number;
  readonly textMb: number;
  readonly languages: string;
  readonly license: string;
  readonly pickWhen: string;
  readonly scores: ScoreScale;
  /** Default cosine for near-duplicate groups (`sis duplicates`) where it differs from the family's (image-image cosines, usually the same across a family). */
  readonly duplicateThreshold?: number;
}

/**
 * Image-image cosines of a photo and its re-encoded, resized or slightly cropped copy: ~0.95-0.99 with trained
 * CLIP (clip-retrieval dedups at 0.94, Immich at 0.99 i.e. distance 0.01); SigLIP spreads images further apart.
 */
export const FAMILY_DUPLICATE_THRESHOLDS: Readonly<Record<ModelFamilyName, number>> = { clip: 0.95, siglip: 0.92 };

/** The duplicates threshold of a model: its registry entry's, else its family's. */
export function duplicateThresholdOf(modelName: string, family: ModelFamilyName): number {
  return recommendedModel(modelName)?.duplicateThreshold ?? FAMILY_DUPLICATE_THRESHOLDS[family];
}

export const DEFAULT_MODEL_ID = 'Xenova/clip-vit-base-patch32';

export const RECOMMENDED_MODELS: readonly RecommendedModel[] = [
  {
    id: DEFAULT_MODEL_ID, alias: 'clip-b32', family: 'clip', flickr30kR1: 58.8, cocoR1: 30.4, imagenetTop1: 63.3, computeVsDefault: 1,
    visionMb: 351, textMb: 254, languages: 'English', license: 'MIT',
    pickWhen: 'the default: fastest indexing on a CPU; fine for everyday queries', scores: FAMILY_SCORE_SCALES.clip,
  },
  {
    id: 'Xenova/clip-vit-base-patch16', alias: 'clip-b16', family: 'clip', flickr30kR1: 62.2, cocoR1: 33.1, imagenetTop1: 68.3, computeVsDefault: 4,
    visionMb: 345, textMb: 254, languages: 'English', license: 'MIT',
    pickWhen: 'a little better than the default at 4x the compute; SigLIP base is better at the same cost', scores: FAMILY_SCORE_SCALES.clip,
  },
  {
    id: 'Xenova/clip-vit-large-patch14', alias: 'clip-l14', family: 'clip', flickr30kR1: 65.0, cocoR1: 36.5, imagenetTop1: 75.5, computeVsDefault: 18,
    visionMb: 1216, textMb: 495, languages: 'English', license: 'MIT',
    pickWhen: 'only to stay with CLIP: SigLIP base 384 is better at 2/3 of the compute', scores: FAMILY_SCORE_SCALES.clip,
  },
  {
    id: 'Xenova/siglip-base-patch16-224', alias: 'siglip-b16-224', family: 'siglip', flickr30kR1: 74.7, cocoR1: 47.8, imagenetTop1: 76.0, computeVsDefault: 4,
    visionMb: 372, textMb: 441, languages: 'English', license: 'Apache-2.0',
    pickWhen: 'the best quality per compute: +16 points of R@1 over the default; indexing ~4x slower', scores: FAMILY_SCORE_SCALES.siglip,
  },
  {
    id: 'Xenova/siglip-base-patch16-384', alias: 'siglip-b16-384', family: 'siglip', flickr30kR1: 78.5, cocoR1: 49.9, imagenetTop1: 78.5, computeVsDefault: 12,
    visionMb: 374, textMb: 441, languages: 'English', license: 'Apache-2.0',
    pickWhen: 'the best results, for a library indexed once on a fast machine (3x the compute of SigLIP 224)', scores: FAMILY_SCORE_SCALES.siglip,
  },
  {
    id: 'pulsejet/siglip-base-patch16-256-multilingual-onnx', alias: 'siglip-b16-256-multilingual', family: 'siglip',
    flickr30kR1: 72.2, cocoR1: 44.9, imagenetTop1: 75.1, computeVsDefault: 5,
    visionMb: 372, textMb: 1110, languages: 'multilingual (WebLI, ~100 languages)', license: 'Apache-2.0',
    pickWhen: 'queries in languages other than English (a third-party ONNX export of google/siglip-base-patch16-256-multilingual)',
    scores: FAMILY_SCORE_SCALES.siglip,
  },
];

/** Bytes per weight relative to fp32, for the download-size column. */
const SIZE_FACTOR: Readonly<Partial<Record<ModelDtype, number>>> = { fp32: 1, fp16: 0.5, q8: 0.25, int8: 0.25 };

/** Approximate download of both towers at a precision, in MB. */
export function downloadMb(model: RecommendedModel, dtype: ModelDtype): number | undefined {
  const factor = SIZE_FACTOR[dtype];
  return factor === undefined ? undefined : Math.round((model.visionMb + model.textMb) * factor);
}

/** The recommended model a SIS_MODEL value names (its id or alias), if any. */
export function recommendedModel(name: string): RecommendedModel | undefined {
  return RECOMMENDED_MODELS.find((model) => model.id === name || model.alias === name);
}

/** The score scale of a model: its registry entry's, else its family's (a local folder, another export). */
export function scoreScaleOf(modelName: string, family: ModelFamilyName): ScoreScale {
  return recommendedModel(modelName)?.scores ?? FAMILY_SCORE_SCALES[family];
}

/**
 * The minScore a text search gets when the user gives none: the model's registry entry's. A model without an
 * entry (a local folder, another export) gets none: its scores are not known to mean anything in particular.
 */
export function defaultMinScore(modelName: string): number | undefined {
  return recommendedModel(modelName)?.scores.minScore;
}
