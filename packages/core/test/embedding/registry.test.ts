import {
  DEFAULT_MODEL_ID,
  FAMILY_SCORE_SCALES,
  TransformersEmbedder,
  ModelNotFoundError,
  RECOMMENDED_MODELS,
  defaultConfig,
  downloadMb,
  recommendedModel,
  resolveModelSource,
  scoreScaleOf,
  defaultMinScore,
} from '../../src';
import { siglipTinyModelDir } from '../helpers/shared';

describe('recommended models', () => {
  it('lists the default and the SigLIP models, each name and id once', () => {
    expect(defaultConfig.model).toBe(DEFAULT_MODEL_ID);
    expect(recommendedModel(DEFAULT_MODEL_ID)?.family).toBe('clip');
    expect(RECOMMENDED_MODELS.filter((model) => model.family === 'siglip').map((model) => model.id)).toContain('Xenova/siglip-base-patch16-224');
    const names = RECOMMENDED_MODELS.flatMap((model) => [model.id, model.alias]);
    expect(new Set(names).size).toBe(names.length);
  });

  it('takes a short name for SIS_MODEL and records the hub id, so both name the same library', () => {
    const byAlias = resolveModelSource({ model: 'siglip-b16-224', offline: true, dataDir: '/data' });
    const byId = resolveModelSource({ model: 'Xenova/siglip-base-patch16-224', offline: true, dataDir: '/data' });
    expect(byAlias).toEqual(byId);
    expect(byAlias.modelName).toBe('Xenova/siglip-base-patch16-224');
    expect(resolveModelSource({ model: 'someone/other-clip', offline: true, dataDir: '/data' }).modelName).toBe('someone/other-clip');
  });

  it('offline and not cached, a short name fails naming the model id to download', async () => {
    const error: unknown = await TransformersEmbedder.load({ model: 'siglip-b16-224', offline: true, dataDir: '/nonexistent-data-dir', device: 'cpu', threads: 0 }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ModelNotFoundError);
    expect((error as Error).message).toMatch(/^Model Xenova\/siglip-base-patch16-224 is not in the local cache/);
  });

  it('gives download sizes per precision from the fp32 graphs', () => {
    const model = recommendedModel('clip-b32')!;
    expect(downloadMb(model, 'fp32')).toBe(605);
    expect(downloadMb(model, 'fp16')).toBe(Math.round(605 / 2));
    expect(downloadMb(model, 'q8')).toBe(Math.round(605 / 4));
  });

  it('takes score defaults from the entry, else from the family: SigLIP lower than CLIP', async () => {
    expect(scoreScaleOf('siglip-b16-224', 'siglip')).toEqual(recommendedModel('siglip-b16-224')!.scores);
    const local = await TransformersEmbedder.load({ model: siglipTinyModelDir, offline: true, dataDir: '/nonexistent-data-dir', device: 'cpu', threads: 0 });
    expect(scoreScaleOf(local.modelName, local.family)).toEqual(FAMILY_SCORE_SCALES.siglip);
    expect(FAMILY_SCORE_SCALES.siglip.minScore).toBeLessThan(FAMILY_SCORE_SCALES.clip.minScore);
    for (const scale of Object.values(FAMILY_SCORE_SCALES)) expect(scale.minScore < scale.good && scale.good < scale.strong).toBe(true);
  });

  it("gives a default minScore from a recommended model's entry only (by id or short name)", () => {
    expect(defaultMinScore('siglip-b16-224')).toBe(recommendedModel('siglip-b16-224')!.scores.minScore);
    expect(defaultMinScore('Xenova/clip-vit-base-patch32')).toBe(0.2);
    expect(defaultMinScore('/models/some-local-folder')).toBeUndefined();
  });
});
