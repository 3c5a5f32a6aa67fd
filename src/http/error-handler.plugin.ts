import fp from 'fastify-plugin';

/**
 * Errors outside GraphQL (a body too large, a malformed JSON body, a fault): a 4xx keeps its message,
 * anything else is logged in full and answered with a generic 500.
 */
export const errorHandlerPlugin = fp(
  async (app) => {
    app.setErrorHandler((error: { statusCode?: number; code?: string; message?: string; name?: string }, request, reply) => {
      const statusCode = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
      if (statusCode === 500) {
        request.log.error({ err: error }, 'unexpected error');
        return reply.status(500).send({ statusCode, error: 'Internal Server Error', message: 'Internal server error' });
      }
      return reply.status(statusCode).send({ statusCode, code: error.code, error: error.name, message: error.message });
    });
  },
  { name: 'error-handler' },
);
