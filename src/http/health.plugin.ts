import fp from 'fastify-plugin';

/** What readiness checks. */
export interface HealthOptions {
  /** Why sends would be refused for the state store's sake, or null (`StateStore.readiness`). */
  storeReadiness: () => Promise<string | null>;
  /** `sqlite` or `redis`. */
  storeKind: string;
  /** `live` or `simulator`. */
  uspeedoMode: string;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * `/healthz` (the process answers) and `/readyz` (able to send: not shutting down, and nothing about
 * the state store that would refuse a send: unreachable, no append-only file where one is required,
 * fewer replicas than a send waits for), with the reason in its body when not.
 */
export const healthPlugin = fp<HealthOptions>(
  async (app, { storeReadiness, storeKind, uspeedoMode }) => {
    app.get('/healthz', async () => ({ status: 'ok' }));
    app.get('/readyz', async (_request, reply) => {
      if (app.shuttingDown) return reply.code(503).send({ status: 'unavailable', reason: 'shutting down' });
      let reason: string | null;
      try {
        reason = await withTimeout(storeReadiness(), 1000);
      } catch {
        reason = `state store (${storeKind}) unreachable`;
      }
      if (reason !== null) return reply.code(503).send({ status: 'unavailable', reason });
      return { status: 'ready', store: storeKind, uspeedo: uspeedoMode };
    });
  },
  { name: 'health', dependencies: ['shutdown'] },
);
