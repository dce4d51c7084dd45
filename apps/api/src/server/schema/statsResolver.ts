import { Ctx, Query, Resolver } from 'type-graphql';
import { scoreScaleOf, type LibraryStats } from '@sis/core';
import type { ApiContext } from '../context';
import { presentJob } from './present';
import { Stats } from './types';

@Resolver()
export class StatsResolver {
  @Query(() => Stats, { description: 'What the index holds and how this server is set up.' })
  stats(@Ctx() ctx: ApiContext): Stats {
    const stats = ctx.engine.library.stats();
    const current = ctx.jobs.current();
    return {
      images: stats.indexedImages,
      skippedFiles: stats.skippedFiles,
      indexType: indexTypeOf(stats),
      index: {
        type: stats.index.type,
        kind: stats.index.kind,
        choice: stats.index.choice,
        vectors: stats.index.vectors,
        builtFor: stats.index.builtFor,
        searchParams: Object.entries(stats.index.searchParams)
          .map(([name, value]) => `${name}=${value}`)
          .join(','),
        measuredRecall: stats.index.measuredRecall,
        textSearchParams: stats.index.searchParamsByKind.text
          ? Object.entries(stats.index.searchParamsByKind.text)
              .map(([name, value]) => `${name}=${value}`)
              .join(',')
          : null,
        measuredRecallImage: stats.index.measuredRecallByKind.image ?? null,
        measuredRecallText: stats.index.measuredRecallByKind.text ?? null,
        memoryBytes: stats.index.memoryBytes,
        fileBytes: stats.index.fileBytes,
        rebuilding: stats.index.rebuilding?.reason ?? null,
      },
      modelName: stats.modelName,
      dimension: stats.dimension,
      modelFamily: ctx.engine.embedder.family,
      scoreScale: { ...scoreScaleOf(ctx.engine.embedder.modelName, ctx.engine.embedder.family) },
      dataDir: stats.dataDir,
      lastReindexAt: stats.lastReindexAt === null ? null : new Date(stats.lastReindexAt),
      allowedRoots: [...ctx.roots.roots],
      currentReindexJob: current ? presentJob(current) : null,
      limits: { ...ctx.limits },
    };
  }
}

/**
 * The FAISS index kind. The store is moving from a fixed IndexFlatIP to an index chosen by collection size: use
 * the description its stats carry when there is one (e.g. "IDMap2,HNSW32"), else the fixed kind.
 */
function indexTypeOf(stats: LibraryStats): string {
  const index = stats.index as LibraryStats['index'] & { description?: unknown; type?: unknown };
  if (typeof index.description === 'string' && index.description !== '') return index.description;
  if (typeof index.type === 'string' && index.type !== '') return index.type;
  return 'IndexFlatIP';
}
