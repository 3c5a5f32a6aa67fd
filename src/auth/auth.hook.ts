import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendGraphQLError } from '../http/graphql-error-body';
import { AuthError } from './auth.error';
import type { Authenticator } from './authenticator';
import { ANONYMOUS, type Caller } from './caller';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on /graphql before the body is read. */
    caller: Caller;
  }
}

// A browser asking for the Sandbox page carries no operation: it needs no token.
function isLandingPage(request: FastifyRequest): boolean {
  if (request.method !== 'GET') return false;
  const query = request.query as Record<string, unknown> | undefined;
  return !query?.query && !query?.extensions && (request.headers.accept ?? '').includes('text/html');
}

// A request that says it has a body (a length, or chunks to come).
const hasBody = (request: FastifyRequest) =>
  request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;

/**
 * An onRequest hook for /graphql: finds the caller, or answers 401/403/503 with a GraphQL error body
 * before the body is read, let alone parsed, and before anything is sent.
 */
export function authHook(authenticator: Authenticator) {
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (authenticator.open || isLandingPage(request)) {
      request.caller = ANONYMOUS;
      return;
    }
    try {
      request.caller = await authenticator.authenticate(request.headers.authorization);
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      request.log.info({ auth: { result: error.code, reason: error.reason } }, 'request refused');
      if (error.code === 'UNAUTHENTICATED') reply.header('www-authenticate', 'Bearer realm="sms", error="invalid_token"');
      if (error.code === 'FORBIDDEN') reply.header('www-authenticate', 'Bearer realm="sms", error="insufficient_scope", scope="sms:send"');
      // The body is never read: closing the connection after the answer stops Node from reading (and
      // a slow client from dripping) the rest of it just to keep the connection alive.
      if (hasBody(request)) reply.header('connection', 'close');
      await sendGraphQLError(request, reply, error.statusCode, error.code, error.message);
    }
  };
}
