import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed documents for clients (`npm run codegen`, offline): the printed schema plus the example
 * operations in schema/operations give `src/client/generated`, usable with any GraphQL client
 * (the tests use them with graphql-sse).
 */
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: ['schema/operations/*.graphql'],
  ignoreNoDocuments: false,
  emitLegacyCommonJSImports: false,
  generates: {
    'src/client/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string', JSON: 'unknown', ID: 'string' },
        strictScalars: true,
      },
    },
  },
};

export default config;
