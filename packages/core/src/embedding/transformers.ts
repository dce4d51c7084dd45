// transformers.js ships a CommonJS build for Node, but its type declarations sit in an ES-module
// package, which TypeScript refuses to `import` from CommonJS. Types come through a type-only
// import (allowed), values through require (the package's "require" export: the .cjs build).
import type * as TransformersModule from '@huggingface/transformers' with { 'resolution-mode': 'import' };

// eslint-disable-next-line @typescript-eslint/no-require-imports
const transformers = require('@huggingface/transformers') as typeof TransformersModule;

export const {
  AutoConfig,
  AutoImageProcessor,
  AutoTokenizer,
  CLIPTextModelWithProjection,
  CLIPVisionModelWithProjection,
  SiglipTextModel,
  SiglipVisionModel,
  Tensor,
  env,
} =
  transformers;
export type Tensor = TransformersModule.Tensor;
export type PreTrainedModel = TransformersModule.PreTrainedModel;
export type PreTrainedTokenizer = TransformersModule.PreTrainedTokenizer;
