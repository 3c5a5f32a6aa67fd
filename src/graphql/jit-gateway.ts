import type { GatewayExecutor, GatewayInterface, GatewaySchemaLoadOrUpdateCallback } from '@apollo/server-gateway-interface';
import { BREAK, execute, printSchema, visit, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { activeTracer, failSpan, inSpan } from '../telemetry/spans';
import { capVariableLists } from './list-ceiling';

/**
 * Per operation name of a document: `seen` after its first run, then its compiled query (null when jit
 * cannot compile it). Apollo hands the same DocumentNode for the same query text while it is cached.
 */
type Compiled = Map<string | null, CompiledQuery | null | 'seen'>;

/** Longest operation name a span is named after; a longer one leaves the span named by its type alone (`mutation`). */
const MAX_NAME_IN_SPAN = 64;

/** graphql-jit's `compileQuery`, or a stand-in that counts its calls. */
export type Compile = (schema: GraphQLSchema, document: DocumentNode, operationName?: string) => CompiledQuery | ExecutionResult;

/** True when the document asks for `__schema` or `__type`: introspection stays on graphql-js, the reference. */
function asksIntrospection(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/**
 * Runs operations with graphql-jit, through Apollo Server's gateway interface (its one way to supply
 * an executor), and introspection and each document's first run with graphql-js.
 *
 * graphql-js coerces variables with a generic walk whose coerced objects are dictionaries: at 1000
 * targets it was a large share of a mutation's CPU and garbage (bench/README.md, "Measured costs").
 * For a query's answer it resolves and completes every field through generic code: a 100-session
 * delivery status is thousands of fields. graphql-jit compiles each operation's coercion and
 * completion once. An operation runs on jit only when jit coerces its variables without complaint:
 * when it refuses them, graphql-js coerces them again and answers, so a malformed request gets
 * graphql-js's own messages (naming `$input` and the path) and Apollo's 400.
 */
export function jitGateway(schema: GraphQLSchema, compile: Compile = compileQuery): GatewayInterface {
  const compiledByDocument = new WeakMap<DocumentNode, Compiled>();
  let listener: GatewaySchemaLoadOrUpdateCallback | undefined;

  // Compiling costs several times one execution, so a document is compiled the second time it runs:
  // a client sends the same document again and again, and one-off documents never pay for compiling.
  const compiledFor = (document: DocumentNode, operationName: string | null): CompiledQuery | null => {
    let compiled = compiledByDocument.get(document);
    if (!compiled) compiledByDocument.set(document, (compiled = new Map() as Compiled));
    const query = compiled.get(operationName);
    if (query === undefined) {
      compiled.set(operationName, 'seen');
      return null;
    }
    if (query !== 'seen') return query;
    if (asksIntrospection(document)) {
      compiled.set(operationName, null);
      return null;
    }
    const result = compile(schema, document, operationName ?? undefined);
    const compiledQuery = isCompiledQuery(result) ? result : null;
    compiled.set(operationName, compiledQuery);
    return compiledQuery;
  };

  const run: GatewayExecutor = async (request) => {
    const { document, operationName, context: contextValue } = request;
    const { variables, cut } = capVariableLists(request.request.variables ?? {});
    // The resolvers answer a batch or a list that was cut as too large, without counting it again.
    if (cut) (contextValue as { listsCut?: boolean }).listsCut = true;
    const query = compiledFor(document, operationName);
    if (query) {
      const result = (await query.query(undefined, contextValue, variables)) as ExecutionResult;
      // No data at all: the variables were refused before anything ran.
      if (result.data !== undefined) return result;
    }
    return execute({ schema, document, operationName, contextValue, variableValues: variables });
  };

  // One span for the operation (its type and name, never the document), none per field.
  const executor: GatewayExecutor = (request) => {
    if (!activeTracer()) return run(request);
    const type = request.operation.operation;
    const name = request.operationName ?? undefined;
    return inSpan(
      // The caller chose the name: in the span's name only when short (its attribute is cut by the SDK's limit).
      name && name.length <= MAX_NAME_IN_SPAN ? `${type} ${name}` : type,
      name ? { 'graphql.operation.type': type, 'graphql.operation.name': name } : { 'graphql.operation.type': type },
      () => run(request),
      (span, result) => {
        if (!result.errors?.length) return;
        const code = result.errors[0].extensions?.code;
        const reason = typeof code === 'string' ? code : 'GraphQLError';
        failSpan(span, reason, reason);
      },
    );
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
