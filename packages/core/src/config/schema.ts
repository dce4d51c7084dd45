import { z } from 'zod';
import { MODEL_DTYPES } from '../embedding/precision';

/** Accepts a JSON boolean or the strings an environment variable carries. */
export const flag = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  const normalised = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(normalised)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(normalised)) return false;
  return value;
}, z.boolean({ error: 'must be 1/0, true/false, yes/no or on/off' }));

export const positiveInt = (max: number): z.ZodCoercedNumber =>
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

/** "a, b" -> ["a", "b"]: comma-separated lists from environment variables; blanks dropped. */
export const splitList = (value: unknown): unknown =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '')
    : value;

/** "/srv/photos=/mnt/photos, /a=/b" (or a JSON array of { from, to }) -> [{ from, to }]: absolute prefixes, most specific first. */
const queuePathMap = z.preprocess(
  (value) => {
    const items = splitList(value);
    if (!Array.isArray(items)) return items;
    return items.map((item: unknown) => {
      if (typeof item !== 'string') return item;
      const at = item.indexOf('=');
      return at < 0 ? { from: item, to: '' } : { from: item.slice(0, at).trim(), to: item.slice(at + 1).trim() };
    });
  },
  z.array(
    z.object({
      from: z.string().regex(/^\//, { error: 'each mapping must look like /coordinator/path=/worker/path (absolute paths)' }),
      to: z.string().regex(/^\//, { error: 'each mapping must look like /coordinator/path=/worker/path (absolute paths)' }),
    }),
  ),
);

/** "nprobe=32, efSearch=64" (or a JSON object) -> { nprobe: 32, efSearch: 64 }: FAISS search-time parameters. */
const searchParams = z.preprocess(
  (value) => {
    if (typeof value !== 'string') return value;
    const entries = value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '')
      .map((item) => {
        const [name, number, extra] = item.split('=').map((part) => part.trim());
        return extra === undefined && name && number ? [name, number === '' ? Number.NaN : Number(number)] : [item, Number.NaN];
      });
    return Object.fromEntries(entries);
  },
  z.record(
    z.string().regex(/^[A-Za-z_]+$/, { error: 'parameter names look like nprobe or efSearch' }),
    z.number({ error: 'must look like nprobe=32,efSearch=64' }).positive({ error: 'values must be positive numbers' }),
  ),
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
  /** Model precision (transformers.js dtype: which graph files load); fp32 is exact, the 8-bit ones faster. */
  dtype: z.enum(MODEL_DTYPES, { error: `must be one of ${MODEL_DTYPES.join(', ')}` }),
  /** The vision tower's precision when it differs from dtype; empty: dtype. */
  dtypeVision: z.enum(['', ...MODEL_DTYPES], { error: `must be empty or one of ${MODEL_DTYPES.join(', ')}` }),
  /** The text tower's precision when it differs from dtype; empty: dtype. */
  dtypeText: z.enum(['', ...MODEL_DTYPES], { error: `must be empty or one of ${MODEL_DTYPES.join(', ')}` }),
  /** ONNX Runtime intra-op threads; 0 lets ONNX Runtime decide. */
  threads: z.coerce.number({ error: 'must be a whole number' }).int().min(0).max(1024),
  /** Worker threads that decode images while the model runs during indexing; 0: the cores inference leaves over (at least 1). */
  decodeThreads: z.coerce.number({ error: 'must be a whole number' }).int({ error: 'must be a whole number' }).min(0, { error: 'must be at least 0' }).max(256, { error: 'must be at most 256' }),
  /** Index hidden files and folders (names starting with "."). */
  includeHidden: flag,
  /** Follow symbolic links that lead outside the folder being indexed (default: reported and skipped). */
  followSymlinks: flag,
  /** Commit to the catalogue after this many embedded images (crash checkpoint). */
  checkpointImages: positiveInt(1_000_000),
  /** ...and at least this often, in seconds. */
  checkpointSeconds: positiveInt(86_400),
  /** Share of model (inference) time a reindex is guaranteed while searches compete for it, from 0 to 1. */
  indexingShare: z.coerce.number({ error: 'must be a number' }).min(0, { error: 'must be from 0 to 1' }).max(1, { error: 'must be from 0 to 1' }),
  /** Largest k a search may ask for. */
  maxResults: positiveInt(10_000),
  /** A FAISS index factory string (e.g. IVF4096,SQ8 or HNSW32) replacing the automatic choice; empty: automatic. */
  indexFactory: z.string().trim(),
  /** recall@10 against exact search that approximate indexes are tuned to reach (nprobe, efSearch). */
  targetRecall: z.coerce
    .number({ error: 'must be a number' })
    .gt(0, { error: 'must be above 0' })
    .max(1, { error: 'must be at most 1' }),
  /** Memory the vector index may use, in MiB; 0: half of the machine's memory. */
  memoryBudgetMb: z.coerce.number({ error: 'must be a whole number' }).int({ error: 'must be a whole number' }).min(0, { error: 'must be at least 0' }),
  /** Search parameters replacing the tuned ones, e.g. nprobe=32 (IVF) or efSearch=128 (HNSW); empty: tuned. */
  indexSearchParams: searchParams,
  /** postgres://user:password@host:port/database?sslmode=... keeps the catalogue in PostgreSQL; empty: SQLite in dataDir. */
  catalogueUrl: z
    .string()
    .trim()
    .refine((url) => url === '' || /^postgres(ql)?:\/\//.test(url), { error: 'must be empty or a postgres:// URL' }),
  /** redis://user:password@host:port/db (or rediss://) sends reindex work to `sis worker` processes through BullMQ; needs catalogueUrl. */
  queueUrl: z
    .string()
    .trim()
    .refine((url) => url === '' || /^rediss?:\/\//.test(url), { error: 'must be empty or a redis:// (rediss://) URL' }),
  /** Workers that see the photo folders under other paths: "/srv/photos=/mnt/photos, ..." (the coordinator's prefix = this host's). */
  queuePathMap: queuePathMap,
  /** Files per queued batch: what one worker takes, embeds and commits in one transaction. */
  queueBatchImages: positiveInt(10_000),
});

export type AppConfig = z.infer<typeof configSchema> & {
  /**
   * True when `model` is the default because neither SIS_MODEL nor the config file set it (loadConfig): the engine
   * then opens an existing library with the model it records (after `sis reindex --model`). Absent: set explicitly.
   */
  modelDefaulted?: boolean;
};
export type ConfigKey = keyof z.infer<typeof configSchema>;

export const defaultConfig: AppConfig = {
  dataDir: './data',
  model: 'Xenova/clip-vit-base-patch32',
  offline: false,
  device: 'auto',
  imageExtensions: ['.png', '.jpg', '.jpeg', '.webp', '.gif', '.bmp', '.tif', '.tiff'],
  maxPixels: 100_000_000,
  batchSize: 8,
  dtype: 'fp32',
  dtypeVision: '',
  dtypeText: '',
  threads: 0,
  decodeThreads: 0,
  includeHidden: false,
  followSymlinks: false,
  checkpointImages: 256,
  checkpointSeconds: 30,
  indexingShare: 0.25,
  maxResults: 1000,
  indexFactory: '',
  targetRecall: 0.95,
  memoryBudgetMb: 0,
  indexSearchParams: {},
  catalogueUrl: '',
  queueUrl: '',
  queuePathMap: [],
  queueBatchImages: 64,
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
  dtype: 'SIS_DTYPE',
  dtypeVision: 'SIS_DTYPE_VISION',
  dtypeText: 'SIS_DTYPE_TEXT',
  threads: 'SIS_THREADS',
  decodeThreads: 'SIS_DECODE_THREADS',
  includeHidden: 'SIS_INCLUDE_HIDDEN',
  followSymlinks: 'SIS_FOLLOW_SYMLINKS',
  checkpointImages: 'SIS_CHECKPOINT_IMAGES',
  checkpointSeconds: 'SIS_CHECKPOINT_SECONDS',
  indexingShare: 'SIS_INDEXING_SHARE',
  maxResults: 'SIS_MAX_RESULTS',
  indexFactory: 'SIS_INDEX_FACTORY',
  targetRecall: 'SIS_TARGET_RECALL',
  memoryBudgetMb: 'SIS_MEMORY_BUDGET_MB',
  indexSearchParams: 'SIS_INDEX_SEARCH_PARAMS',
  catalogueUrl: 'SIS_CATALOGUE_URL',
  queueUrl: 'SIS_QUEUE_URL',
  queuePathMap: 'SIS_QUEUE_PATH_MAP',
  queueBatchImages: 'SIS_QUEUE_BATCH_IMAGES',
};
