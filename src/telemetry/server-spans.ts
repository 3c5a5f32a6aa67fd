import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { context, propagation, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import type { FastifyServerFactory } from 'fastify';
import { activeTracer, failSpan } from './spans';

/** What fastify hands a server factory: its `http` options and the timeouts it would set itself. */
interface FactoryOptions {
  http?: ServerOptions;
  keepAliveTimeout?: number;
  requestTimeout?: number;
  connectionTimeout?: number;
  maxRequestsPerSocket?: number;
}

/** The route fastify matched, which `noteRoute` (called by the tracing plugin) writes on the request for the span's name. */
const ROUTE = Symbol('route');
type RoutedRequest = IncomingMessage & { [ROUTE]?: string };

/** Notes the matched route (`/graphql`, not the URL asked) on the raw request, for its server span. */
export function noteRoute(raw: IncomingMessage, route: string | undefined): void {
  (raw as RoutedRequest)[ROUTE] = route;
}

/**
 * A fastify server factory whose every request runs inside an HTTP server span: the caller's W3C
 * `traceparent` continued, named `METHOD /route` when the span ends, with the method, path (never the
 * query string, which can carry variables), route and status. A 5xx fails the span. Built only when
 * tracing is on; the server is the one fastify would make, with the same timeouts.
 */
export const tracedServerFactory: FastifyServerFactory = (handler, options) => {
  const { http = {}, keepAliveTimeout, requestTimeout, connectionTimeout, maxRequestsPerSocket } = options as FactoryOptions;
  const server: Server = createServer(http, (req: IncomingMessage, res: ServerResponse) => {
    const tracer = activeTracer();
    if (!tracer) return handler(req, res);
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const method = req.method ?? 'GET';
    const span = tracer.startSpan(
      method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': method,
          'url.path': (req.url ?? '/').split('?', 1)[0],
          'url.scheme': 'http',
          'network.protocol.version': req.httpVersion,
        },
      },
      parent,
    );
    res.once('close', () => {
      const route = (req as RoutedRequest)[ROUTE];
      if (route) {
        span.setAttribute('http.route', route);
        span.updateName(`${method} ${route}`);
      }
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) {
        failSpan(span, `HTTP ${res.statusCode}`, String(res.statusCode));
      } else if (!res.writableFinished) {
        failSpan(span, 'the connection closed before the answer was written');
      }
      span.end();
    });
    context.with(trace.setSpan(parent, span), () => handler(req, res));
  });
  if (keepAliveTimeout !== undefined) server.keepAliveTimeout = keepAliveTimeout;
  if (requestTimeout !== undefined) server.requestTimeout = requestTimeout;
  if (connectionTimeout !== undefined) server.setTimeout(connectionTimeout);
  if (maxRequestsPerSocket) server.maxRequestsPerSocket = maxRequestsPerSocket;
  return server;
};
