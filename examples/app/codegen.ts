import type { CodegenConfig } from '@graphql-codegen/cli';

// Types for your app's operations, from this server's committed schema (schema/schema.graphql, copied
// into your repository). Fragment masking is off, so a named fragment's fields are read where used.
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['src/**/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    'src/generated/': {
      preset: 'client',
      // persistedDocuments also writes the manifest TRUSTED_DOCUMENTS takes (docs/security.md).
      presetConfig: { fragmentMasking: false, persistedDocuments: true },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        // Fields the server sends are never optional; optional inputs (idempotencyKey, templateParams) stay optional.
        avoidOptionals: { field: true, inputValue: false, object: true, defaultValue: false },
        nonOptionalTypename: true,
      },
    },
    // Apollo Client's possibleTypes: without them InMemoryCache drops a union fragment's fields.
    'src/generated/possible-types.json': { plugins: ['fragment-matcher'] },
  },
};
export default config;
