import type { FastifyReply, FastifyRequest } from 'fastify';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { sendGraphQLError } from './graphql-error-body';
import { BODY_LIMIT_BYTES } from './server-options';

/** A body larger than this counts against its caller's budget. A 1000-target batch of short params is about 60 KB. */
const LARGE_BODY_BYTES = 128 * 1024;
/** Bytes of large bodies one caller may send in a minute: 32 bodies of the largest size accepted. */
const LARGE_BODY_BYTES_PER_MINUTE = 32 * BODY_LIMIT_BYTES;

/**
 * Each caller's large bodies draw on a budget of bytes a minute, checked before the body is read.
 * Parsing a body near the 1 MB limit holds the one event loop every caller shares, even when the batch
 * is then refused for its size at once, so one key sending them in a loop slowed everyone (the cost is
 * in bench/README.md, "One caller against another"). No caller needs more: at the default limit of
 * 1000 recipients a minute, a few large batches a minute is all one can send. Past the budget the
 * request is answered 429 RATE_LIMITED with Retry-After, its body unread. The budget is this process's.
 */
export function largeBodyBudget(callerOf: (request: FastifyRequest) => string) {
  const budget = new RateLimiterMemory({ points: LARGE_BODY_BYTES_PER_MINUTE, duration: 60 });

  return async function chargeLargeBody(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const length = request.headers['content-length'];
    const bytes = length === undefined ? (request.headers['transfer-encoding'] === undefined ? 0 : BODY_LIMIT_BYTES) : Number(length);
    if (!(bytes > LARGE_BODY_BYTES)) return;
    try {
      await budget.consume(callerOf(request), Math.min(bytes, BODY_LIMIT_BYTES));
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      const retryAfter = Math.max(1, Math.ceil(refusal.msBeforeNext / 1000));
      request.log.info({ limit: 'large-body-bytes', retryAfter }, 'request refused');
      reply.header('retry-after', String(retryAfter)).header('connection', 'close');
      await sendGraphQLError(
        request,
        reply,
        429,
        'RATE_LIMITED',
        `This caller sent more than ${LARGE_BODY_BYTES_PER_MINUTE / 1024 / 1024} MB of large requests in a minute. Nothing was read or sent; retry after ${retryAfter} s.`,
      );
    }
  };
}
