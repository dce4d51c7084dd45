/**
 * SigLIP preprocessing, reproducing Hugging Face `SiglipImageProcessorPil`: PIL BICUBIC resize straight
 * to size.height x size.width (aspect ratio not kept, no centre crop), rescale, normalise with the file's
 * mean/std (0.5 for the published models). The pixel work is CLIP's (toClipPixelValues with `squash`).
 */
import { z } from 'zod';
import { DEFAULT_RESCALE_FACTOR, positiveInt, sharedPreprocessorFields, type ClipPreprocessSpec } from './clipPreprocess';

const siglipPreprocessorSchema = z.looseObject({
  size: z.union([positiveInt, z.looseObject({ height: positiveInt, width: positiveInt })]),
  ...sharedPreprocessorFields,
  // SigLIP's processor has no crop step; a file asking for one is not a SigLIP preprocessing this pipeline knows.
  do_center_crop: z
    .boolean()
    .refine((value) => !value, { message: 'do_center_crop=true is not supported for SigLIP (it squashes without a crop)' })
    .optional(),
});

/** Parses a SigLIP model's preprocessor_config.json (already JSON-parsed); throws a descriptive Error if unusable. */
export function parseSiglipPreprocessorConfig(json: unknown): ClipPreprocessSpec {
  const parsed = siglipPreprocessorSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`unsupported preprocessor_config.json: ${z.prettifyError(parsed.error)}`);
  }
  const config = parsed.data;
  const size = typeof config.size === 'number' ? { height: config.size, width: config.size } : config.size;
  return {
    shortestEdge: Math.min(size.height, size.width),
    cropHeight: size.height,
    cropWidth: size.width,
    mean: config.image_mean,
    std: config.image_std,
    rescaleFactor: config.rescale_factor ?? DEFAULT_RESCALE_FACTOR,
    squash: true,
  };
}
