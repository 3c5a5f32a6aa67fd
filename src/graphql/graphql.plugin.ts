import { ApolloServer } from '@apollo/server';
import { GraphQLError, OperationTypeNode, type GraphQLSchema, type ValidationContext } from 'graphql';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import fp from 'fastify-plugin';
import { authHook } from '../auth/auth.hook';
import { callerKey } from '../auth/caller';
import { largeBodyBudget } from '../http/large-body-budget';
import type { Authenticator } from '../auth/authenticator';
import type { GraphQLContext } from './context';
import { formatErrorFor, logUnexpectedErrors } from './errors';
import { jitGateway } from './jit-gateway';
import { operationProtection } from './operation-limits';
import { sendGraphQLError } from '../http/graphql-error-body';
import type { TrustedDocuments } from './trusted-documents';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** How /graphql is served. */
export interface GraphQLOptions {
  /** `buildGraphQLSchema(services)`: the subscriptions are served from the same one. */
  schema: GraphQLSchema;
  authenticator: Authenticator;
  /** Introspection, the Sandbox landing page and field suggestions. */
  introspection: boolean;
  /** Unexpected errors reach clients as a generic message. */
  maskErrors: boolean;
  /** The documents the apps run (TRUSTED_DOCUMENTS), or null. */
  trusted: TrustedDocuments | null;
}

/** GET carries `extensions` as JSON text. */
function extensionsOf(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Before Apollo: a request that names its document by id gets the manifest's document in its place,
 * and in `require` mode one whose document is not in the manifest is answered 400 unparsed.
 */
function trustedDocumentsHook(trusted: TrustedDocuments) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const carried = (request.method === 'GET' ? request.query : request.body) as Record<string, unknown> | null;
    if (typeof carried !== 'object' || carried === null) return;
    const extensions = extensionsOf(carried.extensions);
    const decision = trusted.decide({ query: carried.query, documentId: carried.documentId, extensions });
    if (!decision.ok) return sendGraphQLError(request, reply, 400, decision.code, decision.message);
    if (!decision.changed) return;
    carried.query = decision.query;
    delete carried.documentId;
    // Resolved here: Apollo's own persisted queries must not look the hash up again.
    if (typeof extensions === 'object' && extensions !== null && 'persistedQuery' in extensions) {
      const { persistedQuery: _named, ...rest } = extensions as Record<string, unknown>;
      carried.extensions = request.method === 'GET' ? JSON.stringify(rest) : rest;
    }
  };
}

/** A subscription sent over HTTP is refused as invalid: it is served over WebSocket (subscriptions.plugin.ts). */
function subscriptionsOverWebSocket(context: ValidationContext) {
  return {
    OperationDefinition(node: { operation: OperationTypeNode }) {
      if (node.operation !== OperationTypeNode.SUBSCRIPTION) return;
      context.reportError(
        new GraphQLError('Subscriptions are served over WebSocket (the graphql-transport-ws protocol) on /graphql, not over HTTP.'),
      );
    },
  };
}

/** `GET`/`POST /graphql`: the caller authenticated first, then Apollo over the schema, operations on graphql-jit. */
export const graphqlPlugin = fp<GraphQLOptions>(
  async (app, { schema, authenticator, introspection, maskErrors, trusted }) => {
    const protection = operationProtection();
    const apollo = new ApolloServer<GraphQLContext>({
      gateway: jitGateway(schema),
      // The process's shutdown is main.ts's (close-with-grace), which stops Apollo in onClose below.
      // Apollo's own SIGTERM handler would stop it a second time and then raise the signal again.
      stopOnTerminationSignals: false,
      introspection,
      includeStacktraceInErrorResponses: false,
      // Hides "Did you mean …?" suggestions, which would map the schema for someone without introspection.
      hideSchemaDetailsFromClientErrors: !introspection,
      csrfPrevention: true,
      // In require mode no request may register a document of its own (automatic persisted queries).
      persistedQueries: trusted?.mode === 'require' ? false : undefined,
      allowBatchedHttpRequests: false,
      validationRules: [...protection.validationRules, subscriptionsOverWebSocket],
      parseOptions: protection.parseOptions,
      plugins: [
        ...protection.plugins,
        logUnexpectedErrors,
        // Nothing here is cacheable over HTTP, and Apollo's cache-control plugin runs a hook for every
        // resolved field: 100 sessions with their receipts are thousands of calls a query.
        ApolloServerPluginCacheControlDisabled(),
        introspection ? ApolloServerPluginLandingPageLocalDefault({ embed: true }) : ApolloServerPluginLandingPageDisabled(),
      ],
      formatError: formatErrorFor(maskErrors),
    });
    await apollo.start();
    // fastify.close() stops accepting and lets in-flight requests finish before onClose runs. (The
    // integration's drain plugin is not used: it calls fastify.close() from apollo.stop(), so the two
    // would wait on each other.)
    app.addHook('onClose', async () => {
      await apollo.stop();
    });

    app.decorateRequest('caller', null as never);
    app.route({
      method: ['GET', 'POST'],
      url: '/graphql',
      // onRequest: a caller without valid credentials is answered before its body is read or parsed,
      // and so is one past its budget of large bodies (http/large-body-budget.ts).
      onRequest: [authHook(authenticator), largeBodyBudget((request) => callerKey(request.caller))],
      preHandler: trusted && trusted.mode !== 'off' ? [trustedDocumentsHook(trusted)] : [],
      handler: fastifyApolloHandler(apollo, {
        context: async (request) => ({ log: request.log, caller: request.caller, requestId: request.id }),
      }),
    });
  },
  { name: 'graphql' },
);
