import type { GatewayExecutor, GatewayInterface, GatewaySchemaLoadOrUpdateCallback } from '@apollo/server-gateway-interface';
import { execute, printSchema, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';

/** Documents compiled per operation name; Apollo hands the same DocumentNode for the same query text. */
type Compiled = Map<string | null, CompiledQuery | null>;

/**
 * Runs mutations with graphql-jit and everything else with graphql-js, through Apollo Server's gateway
 * interface (its one way to supply an executor).
 *
 * graphql-js coerces variables with a generic walk that, for a 1000-target batch, cost about 1.2 ms
 * of CPU and 2 MB of garbage per mutation (its coerced objects are dictionaries); graphql-jit compiles
 * each operation's coercion once. Only a mutation that jit coerces without complaint runs on jit: when
 * it refuses the variables, graphql-js coerces them again and answers, so a malformed request gets
 * graphql-js's own messages (naming `$input` and the path) and Apollo's 400. Queries (`smsLimits`,
 * introspection for the Sandbox) stay on graphql-js.
 */
export function jitGateway(schema: GraphQLSchema): GatewayInterface {
  const compiledByDocument = new WeakMap<DocumentNode, Compiled>();
  let listener: GatewaySchemaLoadOrUpdateCallback | undefined;

  const compiledFor = (document: DocumentNode, operationName: string | null): CompiledQuery | null => {
    let compiled = compiledByDocument.get(document);
    if (!compiled) compiledByDocument.set(document, (compiled = new Map()));
    let query = compiled.get(operationName);
    if (query === undefined) {
      const result = compileQuery(schema, document, operationName ?? undefined);
      query = isCompiledQuery(result) ? result : null;
      compiled.set(operationName, query);
    }
    return query;
  };

  const executor: GatewayExecutor = async (request) => {
    const { document, operationName, operation, context: contextValue } = request;
    const variables = request.request.variables ?? {};
    if (operation.operation === 'mutation') {
      const query = compiledFor(document, operationName);
      if (query) {
        const result = (await query.query(undefined, contextValue, variables)) as ExecutionResult;
        // No data at all: the variables were refused before anything ran.
        if (result.data !== undefined) return result;
      }
    }
    return execute({ schema, document, operationName, contextValue, variableValues: variables });
  };

  return {
    onSchemaLoadOrUpdate(callback) {
      listener = callback;
      return () => {
        listener = undefined;
      };
    },
    async load() {
      listener?.({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return { executor };
    },
    async stop() {},
  };
}
