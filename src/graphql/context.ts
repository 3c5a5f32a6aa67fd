import type { FastifyBaseLogger } from 'fastify';
import type { SubscribeResolverData } from 'type-graphql';
import type { Caller } from '../auth/caller';

/** Where a subscription field's events come from, given its arguments and the subscriber's context. */
export type EventSource = (args: Record<string, unknown>, context: GraphQLContext) => AsyncIterable<unknown>;

/** What every resolver gets: the request's own logger, which carries its request id, and who is calling. */
export interface GraphQLContext {
  log: FastifyBaseLogger;
  caller: Caller;
  /** The request's id (x-request-id), as its log lines carry it. */
  requestId: string;
  /** Set when a list in the variables was longer than any argument accepts and was cut before coercion. */
  listsCut?: boolean;
  /** Over WebSocket: each subscription field's event source, as the features built them. */
  subscriptions?: Readonly<Record<string, EventSource>>;
}

/**
 * A subscription's `subscribe` (type-graphql's own option): the events of its field's source, which
 * the subscriber's context carries, so that the same resolver serves every app built in a process.
 */
export function subscribeFromContext({
  args,
  context,
  info,
}: SubscribeResolverData<unknown, Record<string, unknown>, GraphQLContext>): AsyncIterable<unknown> {
  const source = context.subscriptions?.[info.fieldName];
  if (!source) throw new Error(`${info.fieldName} has no event source: subscriptions are served over WebSocket`);
  return source(args, context);
}
