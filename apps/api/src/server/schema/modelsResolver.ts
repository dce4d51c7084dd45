import path from 'node:path';
import { Ctx, Field, Float, Int, ObjectType, Query, Resolver } from 'type-graphql';
import { recommendedModel } from '@sis/core';
import type { ApiContext } from '../context';
import { modelChoices, presentModelName } from '../modelChoices';

@ObjectType({ description: 'A model the library can be switched to with reindex(dir, model).' })
export class ModelChoice {
  @Field({ description: "What reindex(model:) takes: a Hugging Face id, or a model folder's name on the server." })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Short name of a recommended model (`sis models`).' })
  alias!: string | null;

  @Field(() => String, { nullable: true, description: 'clip or siglip for a recommended model; null for a local folder (read from it when loaded).' })
  family!: string | null;

  @Field({ description: 'A model folder on the server, beside the configured one.' })
  local!: boolean;

  @Field({ description: 'The model the library uses now.' })
  current!: boolean;

  @Field(() => Float, { nullable: true, description: 'Published zero-shot text-to-image recall@1 on Flickr30k (percent).' })
  flickr30kR1!: number | null;

  @Field(() => Float, { nullable: true, description: 'Inference compute per image relative to the default model.' })
  computeVsDefault!: number | null;

  @Field(() => String, { nullable: true, description: 'When to pick it.' })
  pickWhen!: string | null;
}

@ObjectType({ description: "A switch to another model that has started and not completed: its vectors are being (or were partly) built beside the library's." })
export class ModelSwitchState {
  @Field()
  model!: string;

  @Field(() => Int, { description: 'Images that have their new vector.' })
  staged!: number;

  @Field(() => Int, { description: 'Images still without one (reindex(dir, model) with the same model resumes).' })
  remaining!: number;
}

@Resolver()
export class ModelsResolver {
  @Query(() => [ModelChoice], { description: 'The models reindex(dir, model) can switch the library to.' })
  models(@Ctx() ctx: ApiContext): ModelChoice[] {
    const current = ctx.engine.library.modelName;
    const choices = modelChoices(ctx.engine.config);
    if (!choices.some((choice) => choice.target === current)) {
      choices.unshift({ name: presentModelName(current), alias: null, family: ctx.engine.embedder.family, local: path.isAbsolute(current), target: current });
    }
    return choices.map(({ target, ...choice }) => {
      const entry = recommendedModel(target);
      return {
        ...choice,
        family: choice.family ?? (target === current ? ctx.engine.embedder.family : null),
        current: target === current,
        flickr30kR1: entry?.flickr30kR1 ?? null,
        computeVsDefault: entry?.computeVsDefault ?? null,
        pickWhen: entry?.pickWhen ?? null,
      };
    });
  }

  @Query(() => ModelSwitchState, { nullable: true, description: 'A model switch in progress or interrupted; null when there is none.' })
  modelSwitch(@Ctx() ctx: ApiContext): ModelSwitchState | null {
    const staged = ctx.engine.library.stagedModel();
    return staged ? { model: presentModelName(staged.modelName), staged: staged.staged, remaining: staged.remaining } : null;
  }
}
