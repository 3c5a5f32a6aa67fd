import fp from 'fastify-plugin';
import { noteRoute } from './server-spans';
import type { Tracing } from './tracing';

/** What the tracing plugin needs. */
export interface TracingPluginOptions {
  tracing: Tracing;
  /** SHUTDOWN_GRACE_MS: the export at shutdown gets what is left of it. */
  shutdownGraceMs: number;
}

/** Left of the grace for the process's own last steps after the final export. */
const EXIT_MARGIN_MS = 250;

/**
 * Tracing's part of the server: each request's route for its server span's name, and at shutdown,
 * once the requests in flight have answered, the final export within what is left of the grace.
 * Registered first, so that its onClose runs last.
 */
export const tracingPlugin = fp<TracingPluginOptions>(
  async (app, { tracing, shutdownGraceMs }) => {
    let closingSince = 0;
    app.addHook('onRequest', async (request) => noteRoute(request.raw, request.routeOptions.url));
    app.addHook('preClose', async () => {
      closingSince = performance.now();
    });
    app.addHook('onClose', async () => {
      const spent = closingSince ? performance.now() - closingSince : 0;
      await tracing.shutdown(shutdownGraceMs - spent - EXIT_MARGIN_MS);
    });
  },
  { name: 'tracing' },
);
