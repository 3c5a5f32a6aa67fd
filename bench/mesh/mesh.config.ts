// GraphQL Mesh compose: one subgraph from the OpenAPI description of SendBatchUSMSMessage. The
// endpoint and the Basic credentials come from the environment when the gateway runs.
import { defineConfig } from '@graphql-mesh/compose-cli';
import { loadOpenAPISubgraph } from '@omnigraph/openapi';

export const composeConfig = defineConfig({
  subgraphs: [
    {
      sourceHandler: loadOpenAPISubgraph('uSpeedo', {
        source: './uspeedo.openapi.json',
        endpoint: '{env.USPEEDO_BASE_URL}',
        operationHeaders: { Authorization: 'Basic {env.USPEEDO_BASIC}' },
      }),
    },
  ],
});
