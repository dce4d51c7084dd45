import fs from 'node:fs';
import path from 'node:path';
import { AutoConfig, AutoImageProcessor, Tensor, env, type PreTrainedModel } from './transformers';
import type { AppConfig } from '../config';
import type { ClipPreprocessSpec } from '../image';
import { UnsupportedModelError, modelFamilyOf, type ModelFamily, type ModelFamilyName } from './modelFamily';
import { ModelNotFoundError, modelLoadError, resolveModelSource, type ModelSource } from './modelSource';
import { graphFile, precisionLabel, towerPrecision, type ModelDtype, type TowerPrecision } from './precision';
import { ortSessionOptions, type SessionUse } from './sessionOptions';
import { ModelTokenizer } from './tokenizer';
import { BufferPool } from './bufferPool';
import { splitRowsNormalized } from './vectors';

/** What the rest of the engine needs from a model: unit-length text and image vectors in one space. */
export interface Embedder {
  readonly modelName: string;
  readonly dimension: number;
  /** The precision of the vectors ('fp32', 'int8', 'vision=int8,text=fp32'): recorded by the library beside the model. */
  readonly precision: string;
  readonly preprocess: ClipPreprocessSpec;
  embedTexts(texts: string[]): Promise<Float32Array[]>;
  /** Each entry is one image's pixel_values, channel-first [3, cropHeight, cropWidth]. */
  embedPixels(pixelValues: Float32Array[]): Promise<Float32Array[]>;
}

/** A loaded model as the apps use it: embedding, plus loading up front and showing what the text tower sees. */
export interface ModelEmbedder extends Embedder {
  /** 'clip' or 'siglip' (config.json's model_type): scores mean different things per family. */
  readonly family: ModelFamilyName;
  /** The token ids the text tower sees for one text. */
  tokenize(text: string): Promise<number[]>;
  /** Loads both towers now (a server does this at start rather than on the first request). */
  warmUp(): Promise<void>;
}

export type EmbedderSettings = Pick<AppConfig, 'model' | 'offline' | 'dataDir' | 'device' | 'threads'> &
  Partial<Pick<AppConfig, 'dtype' | 'dtypeVision' | 'dtypeText'>> & {
    /**
     * How the vision session is tuned: 'throughput' (default: indexing runs batch after batch) or
     * 'latency' (a process that only answers image queries). The text session is always tuned for latency.
     */
    visionSessionUse?: SessionUse;
  };

/**
 * The text and vision towers of a CLIP or SigLIP model (see modelFamily.ts) via transformers.js on
 * onnxruntime-node; each tower loads once, on first use.
 */
export class TransformersEmbedder implements ModelEmbedder {
  private textTower?: Promise<{ tokenizer: ModelTokenizer; model: PreTrainedModel }>;
  private visionTower?: Promise<PreTrainedModel>;
  private readonly batchBuffers = new BufferPool();

  private constructor(
    private readonly source: ModelSource,
    private readonly settings: EmbedderSettings,
    private readonly modelFamily: ModelFamily,
    readonly preprocess: ClipPreprocessSpec,
    readonly towers: TowerPrecision,
  ) {}

  /** 'clip' or 'siglip' (config.json's model_type): scores mean different things per family. */
  get family(): ModelFamilyName {
    return this.modelFamily.name;
  }

  get dimension(): number {
    return this.modelFamily.dimension;
  }

  get modelName(): string {
    return this.source.modelName;
  }

  get precision(): string {
    return precisionLabel(this.towers);
  }

  /** Reads the model's config and preprocessor (small files); the towers load lazily. */
  static async load(settings: EmbedderSettings): Promise<TransformersEmbedder> {
    const source = resolveModelSource(settings);
    const towers = towerPrecision({ dtype: settings.dtype ?? 'fp32', dtypeVision: settings.dtypeVision ?? '', dtypeText: settings.dtypeText ?? '' });
    assertGraphFilesExist(source, towers);
    configureTransformers(source);
    const modelConfig: unknown = await AutoConfig.from_pretrained(source.modelId).catch((error: unknown) => {
      throw modelLoadError(source, settings.offline, error);
    });
    const family = modelFamilyOf(source.modelName, modelConfig);
    const imageProcessor = (await AutoImageProcessor.from_pretrained(source.modelId).catch((error: unknown) => {
      throw modelLoadError(source, settings.offline, error);
    })) as unknown as { config: unknown };
    let preprocess: ClipPreprocessSpec;
    try {
      preprocess = family.parsePreprocessor(imageProcessor.config);
    } catch (error) {
      throw new UnsupportedModelError(`Model ${source.modelName} is not supported: ${(error as Error).message}`);
    }
    return new TransformersEmbedder(source, settings, family, preprocess, towers);
  }

  async embedTexts(texts: string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const { tokenizer, model } = await this.loadTextTower();
    const output = (await model({ input_ids: tokenizer.encode(texts) })) as Record<string, Tensor>;
    return this.rows(output, this.modelFamily.textOutput, texts.length);
  }

  /** The token ids the text tower sees for one text (CLIP: start and end tokens, at most 77; SigLIP: padded to exactly 64). */
  async tokenize(text: string): Promise<number[]> {
    const { tokenizer } = await this.loadTextTower();
    return Array.from(tokenizer.encode([text]).data as BigInt64Array, Number);
  }

  async embedPixels(pixelValues: Float32Array[]): Promise<Float32Array[]> {
    if (pixelValues.length === 0) return [];
    const imageSize = this.imageSize();
    pixelValues.forEach((pixels, i) => {
      if (pixels.length !== imageSize) throw new Error(`pixel_values of image ${i} has ${pixels.length} values, expected ${imageSize}`);
    });
    // One image needs no batch buffer: its own array becomes the input tensor.
    if (pixelValues.length === 1) return this.embedPixelBatch(pixelValues[0]!, 1);
    const batch = this.batchBuffers.take(pixelValues.length * imageSize);
    try {
      pixelValues.forEach((pixels, i) => batch.set(pixels, i * imageSize));
      return await this.embedPixelBatch(batch, pixelValues.length);
    } finally {
      this.batchBuffers.give(batch);
    }
  }

  /** `count` images laid out one after the other in `batch` ([count, 3, cropHeight, cropWidth]), used as the input tensor without a copy. */
  async embedPixelBatch(batch: Float32Array, count: number): Promise<Float32Array[]> {
    if (count === 0) return [];
    if (batch.length !== count * this.imageSize()) throw new Error(`pixel batch has ${batch.length} values, expected ${count} x ${this.imageSize()}`);
    const { cropHeight, cropWidth } = this.preprocess;
    const model = await this.loadVisionTower();
    const input = new Tensor('float32', batch, [count, 3, cropHeight, cropWidth]);
    const output = (await model({ pixel_values: input })) as Record<string, Tensor>;
    return this.rows(output, this.modelFamily.imageOutput, count);
  }

  private imageSize(): number {
    return 3 * this.preprocess.cropHeight * this.preprocess.cropWidth;
  }

  /** Loads both towers now (a server does this at start rather than on the first request). */
  async warmUp(): Promise<void> {
    await Promise.all([this.loadTextTower(), this.loadVisionTower()]);
  }

  private rows(outputs: Record<string, Tensor>, name: string, count: number): Float32Array[] {
    const embeds = outputs[name];
    if (embeds === undefined) throw new Error(`Model ${this.modelName} returned no ${name} output`);
    const [rows, dimension] = embeds.dims as [number, number];
    if (rows !== count || dimension !== this.dimension) {
      throw new Error(`Model returned embeddings of shape [${rows}, ${dimension}], expected [${count}, ${this.dimension}]`);
    }
    return splitRowsNormalized(embeds.data as Float32Array, rows, dimension);
  }

  private loadTextTower() {
    this.textTower ??= (async () => {
      configureTransformers(this.source);
      const tokenizer = await ModelTokenizer.load(this.source.modelId, this.modelFamily.textPadding, this.modelFamily.maxTextPositions);
      const model = await this.modelFamily.textModel.from_pretrained(this.source.modelId, this.modelOptions(this.towers.text, 'latency'));
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
      return this.modelFamily.visionModel.from_pretrained(
        this.source.modelId,
        this.modelOptions(this.towers.vision, this.settings.visionSessionUse ?? 'throughput'),
      );
    })().catch((error: unknown) => {
      this.visionTower = undefined;
      throw modelLoadError(this.source, this.settings.offline, error);
    });
    return this.visionTower;
  }

  private modelOptions(dtype: ModelDtype, use: SessionUse) {
    return {
      dtype,
      // 'auto' stays on the CPU: the CUDA provider needs onnxruntime-node's CUDA build, which we do not install.
      device: this.settings.device === 'cuda' ? ('cuda' as const) : ('cpu' as const),
      session_options: ortSessionOptions({ intraOpThreads: this.settings.threads, use }),
    };
  }
}

/**
 * A local folder must hold the graph of each tower at the configured precision: say which file is
 * missing and what to do, rather than transformers.js's bare "file not found". (Hub models are checked
 * by the download.)
 */
function assertGraphFilesExist(source: ModelSource, towers: TowerPrecision): void {
  if (source.allowRemote || source.modelName === source.modelId) return;
  for (const [tower, dtype] of [['vision_model', towers.vision], ['text_model', towers.text]] as const) {
    const file = path.join(source.modelName, graphFile(tower, dtype));
    if (!fs.existsSync(file)) {
      throw new ModelNotFoundError(
        `Model folder ${source.modelName} has no ${graphFile(tower, dtype)}, which precision ${dtype} needs (SIS_DTYPE${tower === 'vision_model' ? '_VISION' : '_TEXT'} or SIS_DTYPE): ` +
          `set a precision the folder has (fp32 is ${graphFile(tower, 'fp32')}), or add the file (transformers.js's scripts/quantize.py names its outputs this way).`,
      );
    }
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

/** The name the engine and the CLIP parity tests have always used. */
export { TransformersEmbedder as ClipEmbedder };
