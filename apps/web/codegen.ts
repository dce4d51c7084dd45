import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * The app's GraphQL types come from the API's schema (apps/api/schema.graphql, emitted from its resolvers) and the
 * operations written with `graphql(...)` under src. `pnpm build`, lint and test regenerate src/gql first, so a schema
 * change that breaks an operation or the code using its result fails the build (codegen validates each operation
 * against the schema, then tsc checks the code against the generated result types).
 */
const config: CodegenConfig = {
  schema: '../api/schema.graphql',
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**'],
  ignoreNoDocuments: false,
  errorsOnly: true,
  generates: {
    './src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        strictScalars: true,
        scalars: { DateTimeISO: 'string', ID: 'string' },
        avoidOptionals: { field: true, inputValue: false, object: false, defaultValue: false },
      },
    },
  },
};

export default config;
