import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TransformersEmbedder, UnsupportedModelError } from '../../src';
import { siglipTinyModelDir, tinyModelDir } from '../helpers/shared';

const made: string[] = [];
afterAll(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A copy of a shared model folder (graphs linked) with some of its JSON files changed. */
function modelWith(source: string, changes: Record<string, (json: Record<string, unknown>) => Record<string, unknown>>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-family-'));
  made.push(dir);
  for (const entry of fs.readdirSync(source)) {
    if (entry === 'reference') continue;
    const from = path.join(source, entry);
    const change = changes[entry];
    if (change) fs.writeFileSync(path.join(dir, entry), JSON.stringify(change(JSON.parse(fs.readFileSync(from, 'utf8')) as Record<string, unknown>)));
    else fs.symlinkSync(from, path.join(dir, entry));
  }
  return dir;
}

const load = (model: string) => TransformersEmbedder.load({ model, offline: true, dataDir: '/nonexistent-data-dir', device: 'cpu', threads: 0 });

async function refusal(model: string): Promise<UnsupportedModelError> {
  const error: unknown = await load(model).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(UnsupportedModelError);
  return error as UnsupportedModelError;
}

describe('model families', () => {
  it('detects CLIP and SigLIP from config.json model_type', async () => {
    expect((await load(tinyModelDir)).family).toBe('clip');
    expect((await load(siglipTinyModelDir)).family).toBe('siglip');
  });

  it('refuses an unsupported model_type at load, naming it and the supported ones', async () => {
    const dir = modelWith(siglipTinyModelDir, { 'config.json': (json) => ({ ...json, model_type: 'siglip2' }) });
    const error = await refusal(dir);
    expect(error.message).toBe(`Model ${dir} is not supported: its config.json has model_type "siglip2"; supported: "clip", "siglip"`);
  });

  it('refuses a SigLIP preprocessing option it does not implement, naming the option', async () => {
    const bilinear = modelWith(siglipTinyModelDir, { 'preprocessor_config.json': (json) => ({ ...json, resample: 2 }) });
    expect((await refusal(bilinear)).message).toMatch(/^Model .* is not supported: unsupported preprocessor_config.json: .*resample=3 \(PIL BICUBIC\).*resample/s);
    const crop = modelWith(siglipTinyModelDir, { 'preprocessor_config.json': (json) => ({ ...json, do_center_crop: true }) });
    expect((await refusal(crop)).message).toMatch(/do_center_crop=true is not supported for SigLIP/);
    const noNormalise = modelWith(siglipTinyModelDir, { 'preprocessor_config.json': (json) => ({ ...json, do_normalize: false }) });
    expect((await refusal(noNormalise)).message).toMatch(/do_normalize=false is not supported/);
  });

  it('refuses a CLIP folder without projection_dim, and a CLIP preprocessing option, at load', async () => {
    const noProjection = modelWith(tinyModelDir, { 'config.json': ({ projection_dim: _, ...json }) => json });
    expect((await refusal(noProjection)).message).toMatch(/model_type "clip"\) has no valid projection_dim/);
    const noCrop = modelWith(tinyModelDir, { 'preprocessor_config.json': (json) => ({ ...json, do_center_crop: false }) });
    expect((await refusal(noCrop)).message).toMatch(/do_center_crop=false is not supported/);
  });
});
