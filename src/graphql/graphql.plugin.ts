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

/** How /graphql is served. */
export interface GraphQLOptions {
  /** `buildGraphQLSchema(services)`: the subscriptions are served from the same one. */
  schema: GraphQLSchema;
  authenticator: Authenticator;
  /** Introspection, the Sandbox landing page and field suggestions. */
  introspection: boolean;
  /** Unexpected errors reach clients as a generic message. */
  maskErrors: boolean;
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
  async (app, { schema, authenticator, introspection, maskErrors }) => {
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
      handler: fastifyApolloHandler(apollo, {
        context: async (request) => ({ log: request.log, caller: request.caller, requestId: request.id }),
      }),
    });
  },
  { name: 'graphql' },
);
