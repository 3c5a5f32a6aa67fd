import fp from 'fastify-plugin';
import { sendGraphQLError } from './graphql-error-body';

/** GraphQL error codes for the statuses an answer outside execution can have. */
const CODES: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  500: 'INTERNAL_SERVER_ERROR',
};

/**
 * Errors outside GraphQL (a body too large, a malformed JSON body, a fault): a 4xx keeps its message,
 * anything else is logged in full and answered with a generic 500. On /graphql the body is a GraphQL
 * response with `errors[0].extensions.code`, so every GraphQL client can read it.
 */
export const errorHandlerPlugin = fp(
  async (app) => {
    app.setErrorHandler((error: { statusCode?: number; code?: string; message?: string; name?: string }, request, reply) => {
      const statusCode = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
      const message = statusCode === 500 ? 'Internal server error' : (error.message ?? 'Bad request');
      if (statusCode === 500) request.log.error({ err: error }, 'unexpected error');
      if (request.url.split('?', 1)[0] === '/graphql') {
        return sendGraphQLError(request, reply, statusCode, CODES[statusCode] ?? 'BAD_REQUEST', message);
      }
      if (statusCode === 500) return reply.status(500).send({ statusCode, error: 'Internal Server Error', message });
      return reply.status(statusCode).send({ statusCode, code: error.code, error: error.name, message });
    });
  },
  { name: 'error-handler' },
);
