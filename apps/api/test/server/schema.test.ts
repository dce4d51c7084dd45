import fs from 'node:fs';
import path from 'node:path';
import { printSchema } from 'graphql';
import { buildApiSchema } from '../../src/server';

describe('the GraphQL schema', () => {
  it('matches the committed schema.graphql (regenerate with `pnpm --filter api schema` after a build)', async () => {
    const committed = fs.readFileSync(path.resolve(__dirname, '../../schema.graphql'), 'utf8');
    expect(`${printSchema(await buildApiSchema())}\n`).toBe(committed);
  });
});
