import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { FastifyHttpOptions } from 'fastify';
import type { DestinationStream } from 'pino';
import { tracedServerFactory } from '../telemetry/server-spans';
import { traceIds } from '../telemetry/spans';

/** The request body limit: a 1000-target batch with short params fits many times over. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** Log paths that may carry a secret: headers, and the request/options objects ky errors carry. */
const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'err.options',
  'err.request',
  'error.options',
  'error.request',
];

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** What the HTTP server needs to know, from the config. */
export interface ServerOptionsInput {
  logLevel: string;
  requestTimeoutMs: number;
  /** Where log lines go; stdout by default. */
  logDestination?: DestinationStream;
  /** Tracing is on: each request in a server span, and each log line with its trace_id and span_id. */
  traced?: boolean;
}

/** Fastify's options: JSON logs without secrets or query strings, request ids, the body limit and time limits. */
export function serverOptions({ logLevel, requestTimeoutMs, logDestination, traced }: ServerOptionsInput): FastifyHttpOptions<Server> {
  return {
    ...(traced ? { serverFactory: tracedServerFactory } : {}),
    logger: {
      level: logLevel,
      ...(traced ? { mixin: traceIds } : {}),
      redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
      serializers: {
        // The path only: a GET's query string can carry variables, phone numbers among them.
        req: (request: { method: string; url: string; ip?: string }) => ({
          method: request.method,
          url: request.url.split('?', 1)[0],
          remoteAddress: request.ip,
        }),
      },
      ...(logDestination ? { stream: logDestination } : {}),
    },
    bodyLimit: BODY_LIMIT_BYTES,
    // A client has REQUEST_TIMEOUT_MS to send a whole request, headers and body; then Node answers 408
    // and closes. Node checks every connectionsCheckingInterval, so that bounds how late the cut comes.
    requestTimeout: requestTimeoutMs,
    http: {
      requestTimeout: requestTimeoutMs,
      headersTimeout: requestTimeoutMs,
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(requestTimeoutMs / 4))),
    },
    // A request that reaches a connection already open when the shutdown starts is answered in full
    // (and its connection closed), as Node's own server.close() does: fastify's 503 would be a bare,
    // non-GraphQL body that tells a sender nothing of whether it was sent.
    return503OnClosing: false,
    // Keep a caller's request id when it is safe to log; otherwise make one.
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
  };
}
