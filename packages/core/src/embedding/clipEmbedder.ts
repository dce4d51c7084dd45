import {
  AutoConfig,
  AutoImageProcessor,
  CLIPTextModelWithProjection,
  CLIPVisionModelWithProjection,
  Tensor,
  env,
  type PreTrainedModel,
} from './transformers';
import type { AppConfig } from '../config';
import { parsePreprocessorConfig, type ClipPreprocessSpec } from '../image';
import { modelLoadError, resolveModelSource, type ModelSource } from './modelSource';
import { ClipTokenizer } from './tokenizer';
import { splitRowsNormalized } from './vectors';

/** What the rest of the engine needs from CLIP: unit-length text and image vectors. */
export interface Embedder {
  readonly modelName: string;
  readonly dimension: number;
  readonly preprocess: ClipPreprocessSpec;
  embedTexts(texts: string[]): Promise<Float32Array[]>;
  /** Each entry is one image's pixel_values, channel-first [3, cropHeight, cropWidth]. */
  embedPixels(pixelValues: Float32Array[]): Promise<Float32Array[]>;
}

/** A loaded model as the apps use it: embedding, plus loading up front and showing what the text tower sees. */
export interface ModelEmbedder extends Embedder {
  /** The token ids the text tower sees for one text. */
  tokenize(text: string): Promise<number[]>;
  /** Loads both towers now (a server does this at start rather than on the first request). */
  warmUp(): Promise<void>;
}

type EmbedderSettings = Pick<AppConfig, 'model' | 'offline' | 'dataDir' | 'device' | 'threads'>;

/** CLIP text and vision towers via transformers.js on onnxruntime-node; each tower loads once, on first use. */
export class ClipEmbedder implements ModelEmbedder {
  private textTower?: Promise<{ tokenizer: ClipTokenizer; model: PreTrainedModel }>;
  private visionTower?: Promise<PreTrainedModel>;

  private constructor(
    private readonly source: ModelSource,
    private readonly settings: EmbedderSettings,
    readonly dimension: number,
    readonly preprocess: ClipPreprocessSpec,
  ) {}

  get modelName(): string {
    return this.source.modelName;
  }

  /** Reads the model's config and preprocessor (small files); the towers load lazily. */
  static async load(settings: EmbedderSettings): Promise<ClipEmbedder> {
    const source = resolveModelSource(settings);
    configureTransformers(source);
    const modelConfig = (await AutoConfig.from_pretrained(source.modelId).catch((error: unknown) => {
      throw modelLoadError(source, settings.offline, error);
    })) as unknown as { projection_dim?: unknown };
    const dimension = Number(modelConfig.projection_dim);
    if (!Number.isInteger(dimension) || dimension <= 0) {
      throw new Error(`Model ${source.modelName} has no valid projection_dim in config.json; is it a CLIP model?`);
    }
    const imageProcessor = (await AutoImageProcessor.from_pretrained(source.modelId).catch((error: unknown) => {
      throw modelLoadError(source, settings.offline, error);
    })) as unknown as { config: unknown };
    return new ClipEmbedder(source, settings, dimension, parsePreprocessorConfig(imageProcessor.config));
  }

  async embedTexts(texts: string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const { tokenizer, model } = await this.loadTextTower();
    const output = (await model({ input_ids: tokenizer.encode(texts) })) as { text_embeds: Tensor };
    return this.rows(output.text_embeds, texts.length);
  }

  /** The token ids the text tower sees for one text (start and end tokens included, at most 77). */
  async tokenize(text: string): Promise<number[]> {
    const { tokenizer } = await this.loadTextTower();
    return Array.from(tokenizer.encode([text]).data as BigInt64Array, Number);
  }

  async embedPixels(pixelValues: Float32Array[]): Promise<Float32Array[]> {
    if (pixelValues.length === 0) return [];
    const { cropHeight, cropWidth } = this.preprocess;
    const imageSize = 3 * cropHeight * cropWidth;
    const batch = new Float32Array(pixelValues.length * imageSize);
    pixelValues.forEach((pixels, i) => {
      if (pixels.length !== imageSize) throw new Error(`pixel_values of image ${i} has ${pixels.length} values, expected ${imageSize}`);
      batch.set(pixels, i * imageSize);
    });
    const model = await this.loadVisionTower();
    const input = new Tensor('float32', batch, [pixelValues.length, 3, cropHeight, cropWidth]);
    const output = (await model({ pixel_values: input })) as { image_embeds: Tensor };
    return this.rows(output.image_embeds, pixelValues.length);
  }

  /** Loads both towers now (a server does this at start rather than on the first request). */
  async warmUp(): Promise<void> {
    await Promise.all([this.loadTextTower(), this.loadVisionTower()]);
  }

  private rows(embeds: Tensor, count: number): Float32Array[] {
    const [rows, dimension] = embeds.dims as [number, number];
    if (rows !== count || dimension !== this.dimension) {
      throw new Error(`Model returned embeddings of shape [${rows}, ${dimension}], expected [${count}, ${this.dimension}]`);
    }
    return splitRowsNormalized(embeds.data as Float32Array, rows, dimension);
  }

  private loadTextTower() {
    this.textTower ??= (async () => {
      configureTransformers(this.source);
      const tokenizer = await ClipTokenizer.load(this.source.modelId);
      const model = await CLIPTextModelWithProjection.from_pretrained(this.source.modelId, this.modelOptions());
      return { tokenizer, model };
    })().catch((error: unknown) => {
      this.textTower = undefined; // a later call may retry
      throw modelLoadError(this.source, this.settings.offline, error);
    });
    return this.textTower;
  }

  private loadVisionTower() {
    this.visionTower ??= (() => {
      configureTransformers(this.source);
      return CLIPVisionModelWithProjection.from_pretrained(this.source.modelId, this.modelOptions());
    })().catch((error: unknown) => {
      this.visionTower = undefined;
      throw modelLoadError(this.source, this.settings.offline, error);
    });
    return this.visionTower;
  }

  private modelOptions() {
    const threads = this.settings.threads;
    return {
      dtype: 'fp32' as const,
      // 'auto' stays on the CPU: the CUDA provider needs onnxruntime-node's CUDA build, which we do not install.
      device: this.settings.device === 'cuda' ? ('cuda' as const) : ('cpu' as const),
      session_options: {
        ...(threads > 0 ? { intraOpNumThreads: threads } : {}),
        // Idle ONNX Runtime workers otherwise spin after each call, taking the CPU from decoding and
        // from the server (measured: 20% more images/s without spinning on a busy 2-core machine).
        extra: { session: { intra_op: { allow_spinning: '0' } } },
      },
    };
  }
}

/** transformers.js reads these globals at load time; one model per process. */
function configureTransformers(source: ModelSource): void {
  env.allowLocalModels = true;
  env.localModelPath = source.localModelPath;
  env.allowRemoteModels = source.allowRemote;
  env.useFSCache = true;
  env.cacheDir = source.cacheDir;
}
