import type { FastifyBaseLogger } from 'fastify';
import type { Caller } from '../auth/caller';

/** What every resolver gets: the request's own logger, which carries its request id, and who is calling. */
export interface GraphQLContext {
  log: FastifyBaseLogger;
  caller: Caller;
  /** The request's id (x-request-id), as its log lines carry it. */
  requestId: string;
  /** Set when a list in the variables was longer than any argument accepts and was cut before coercion. */
  listsCut?: boolean;
}
