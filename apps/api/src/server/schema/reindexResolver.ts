import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { ApiContext } from '../context';
import { usesQueue } from '@sis/core';
import { UserInputError } from '../errors';
import { requireModelChoice } from '../modelChoices';
import { presentJob } from './present';
import { ReindexJob } from './types';

/** Background reindexing: the job registry (packages/core jobs) does the work; these only translate. */
@Resolver()
export class ReindexResolver {
  @Mutation(() => ReindexJob, {
    description:
      'Starts an incremental reindex of a folder in the background and returns the job at once. The folder must lie inside ' +
      'an allowed root (a relative dir is taken inside the first one). One reindex runs at a time: while one is queued or ' +
      'running, this returns that job (check its dir) instead of starting another.',
  })
  async reindex(
    @Arg('dir') dir: string,
    @Arg('model', () => String, {
      nullable: true,
      description:
        'Switch the library to this model first (a name from `models`): its vectors are built beside the old ones while search ' +
        'keeps answering with the old model, the library switches when they are complete (the old vectors are deleted), then dir ' +
        'is reindexed with it. Cancelled before the switch, the library is unchanged and the same request resumes the build.',
    })
    model: string | null | undefined,
    @Ctx() ctx: ApiContext,
  ): Promise<ReindexJob> {
    if (model !== null && model !== undefined && usesQueue(ctx.engine.config)) {
      throw new UserInputError('A model switch runs in one server process, not through the embedding queue (SIS_QUEUE_URL): switch with `sis reindex --model` while the workers are stopped.');
    }
    const target = model === null || model === undefined ? undefined : requireModelChoice(model, ctx.engine.config);
    const folder = await ctx.roots.resolveFolder(dir);
    const { job, created } = ctx.jobs.start(folder, target === undefined ? {} : { model: target });
    ctx.logger.info({ jobId: job.id, dir: job.root, model: job.model, created }, created ? 'reindex job started' : 'reindex already running: returning it');
    return presentJob(job);
  }

  @Mutation(() => ReindexJob, {
    nullable: true,
    description: 'Asks a reindex to stop after its current batch (what it embedded is kept); null for an unknown id.',
  })
  cancelReindex(@Arg('id', () => ID) id: string, @Ctx() ctx: ApiContext): ReindexJob | null {
    const job = ctx.jobs.cancel(id);
    return job ? presentJob(job) : null;
  }

  @Query(() => ReindexJob, {
    nullable: true,
    description:
      'A reindex job by id (a cheap in-memory lookup: poll it about once a second while QUEUED or RUNNING). Null for an unknown ' +
      'id; jobs are kept in memory (the last 20 finished ones) and forgotten when the server restarts.',
  })
  reindexJob(@Arg('id', () => ID) id: string, @Ctx() ctx: ApiContext): ReindexJob | null {
    const job = ctx.jobs.get(id);
    return job ? presentJob(job) : null;
  }
}
