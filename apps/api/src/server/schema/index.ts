import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { ModelsResolver } from './modelsResolver';
import { DuplicatesResolver } from './duplicatesResolver';
import { ReindexResolver } from './reindexResolver';
import { SearchResolver } from './searchResolver';
import { StatsResolver } from './statsResolver';

/** The GraphQL schema, generated from the typed resolvers (printSchema(schema) gives the SDL). */
export function buildApiSchema(): Promise<GraphQLSchema> {
  return buildSchema({ resolvers: [SearchResolver, ReindexResolver, StatsResolver, ModelsResolver, DuplicatesResolver], validate: false });
}
