import type { FastifyBaseLogger } from 'fastify';

/** What every resolver gets: the request's own logger, which carries its request id. */
export interface GraphQLContext {
  log: FastifyBaseLogger;
}
