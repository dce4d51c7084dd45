import { z } from 'zod';

/** Accepts a JSON boolean or the strings an environment variable carries. */
const flag = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  const normalised = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(normalised)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(normalised)) return false;
  return value;
}, z.boolean({ error: 'must be 1/0, true/false, yes/no or on/off' }));

const positiveInt = (max: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1' })
    .max(max, { error: `must be at most ${max}` });

/** ".JPG, png" -> [".jpg", ".png"]: extensions are matched case-insensitively. */
const extensionList = z.preprocess(
  (value) => {
    const items = typeof value === 'string' ? value.split(',') : value;
    if (!Array.isArray(items)) return items;
    return items
      .map((item) => (typeof item === 'string' ? item.trim().toLowerCase() : item))
      .filter((item) => item !== '')
      .map((item) => (typeof item === 'string' && !item.startsWith('.') ? `.${item}` : item));
  },
  z
    .array(z.string().regex(/^\.[a-z0-9]+$/, { error: 'each extension must look like .jpg' }))
    .min(1, { error: 'must list at least one extension' }),
);

export const configSchema = z.object({
  /** Index, catalogue, thumbnails and model cache live here. */
  dataDir: z.string().min(1, { error: 'must not be empty' }),
  /** A Hugging Face model id, or a local folder in the transformers.js layout. */
  model: z.string().min(1, { error: 'must not be empty' }),
  /** Never contact the Hugging Face hub. */
  offline: flag,
  device: z.enum(['auto', 'cpu', 'cuda'], { error: 'must be one of auto, cpu, cuda' }),
  imageExtensions: extensionList,
  /** Decompression-bomb guard: images declaring more pixels are skipped before decoding. */
  maxPixels: positiveInt(1_000_000_000),
  /** Images per inference call. */
  batchSize: positiveInt(256),
  /** ONNX Runtime intra-op threads; 0 lets ONNX Runtime decide. */
  threads: z.coerce.number({ error: 'must be a whole number' }).int().min(0).max(1024),
  /** Index hidden files and folders (names starting with "."). */
  includeHidden: flag,
  /** Commit to the catalogue after this many embedded images (crash checkpoint). */
  checkpointImages: positiveInt(1_000_000),
  /** ...and at least this often, in seconds. */
  checkpointSeconds: positiveInt(86_400),
  /** Largest k a search may ask for. */
  maxResults: positiveInt(10_000),
});

export type AppConfig = z.infer<typeof configSchema>;
export type ConfigKey = keyof AppConfig;

export const defaultConfig: AppConfig = {
  dataDir: './data',
  model: 'Xenova/clip-vit-base-patch32',
  offline: false,
  device: 'auto',
  imageExtensions: ['.png', '.jpg', '.jpeg', '.webp', '.gif', '.bmp', '.tif', '.tiff'],
  maxPixels: 100_000_000,
  batchSize: 8,
  threads: 0,
  includeHidden: false,
  checkpointImages: 256,
  checkpointSeconds: 30,
  maxResults: 1000,
};

/** The environment variable behind each setting: scripts rely on these names. */
export const envNames: Record<ConfigKey, string> = {
  dataDir: 'SIS_DATA_DIR',
  model: 'SIS_MODEL',
  offline: 'SIS_OFFLINE',
  device: 'SIS_DEVICE',
  imageExtensions: 'SIS_IMAGE_EXTENSIONS',
  maxPixels: 'SIS_MAX_PIXELS',
  batchSize: 'SIS_BATCH_SIZE',
  threads: 'SIS_THREADS',
  includeHidden: 'SIS_INCLUDE_HIDDEN',
  checkpointImages: 'SIS_CHECKPOINT_IMAGES',
  checkpointSeconds: 'SIS_CHECKPOINT_SECONDS',
  maxResults: 'SIS_MAX_RESULTS',
};
