import { createHash, timingSafeEqual } from 'node:crypto';
import fp from 'fastify-plugin';
import type { Registry } from 'prom-client';

/** Who may read `/metrics`. */
export interface MetricsOptions {
  registry: Registry;
  /** Bearer token required; null for none. */
  token: string | null;
  /** Without a token: open (true) or 401 (false). */
  open: boolean;
}

/** `GET /metrics` in Prometheus text format, behind a bearer token or closed unless opened on purpose. */
export const metricsPlugin = fp<MetricsOptions>(
  async (app, { registry, token, open }) => {
    const expected = token ? createHash('sha256').update(token).digest() : null;
    app.get('/metrics', async (request, reply) => {
      if (expected) {
        const sent = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
        // Hashes of equal length, so the comparison takes the same time whatever was sent.
        if (!timingSafeEqual(createHash('sha256').update(sent).digest(), expected)) {
          return reply.code(401).header('www-authenticate', 'Bearer realm="metrics"').send({ error: 'METRICS_TOKEN required' });
        }
      } else if (!open) {
        return reply
          .code(401)
          .send({ error: 'metrics are closed: set METRICS_TOKEN (and send it as a bearer token) or METRICS_PUBLIC=true' });
      }
      return reply.type(registry.contentType).send(await registry.metrics());
    });
  },
  { name: 'metrics' },
);
