import fp from 'fastify-plugin';

/** What readiness checks. */
export interface HealthOptions {
  /** Resolves when the state store answers. */
  pingStore: () => Promise<void>;
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

/** `/healthz` (the process answers) and `/readyz` (able to send: not shutting down, the state store answering). */
export const healthPlugin = fp<HealthOptions>(
  async (app, { pingStore, storeKind, uspeedoMode }) => {
    app.get('/healthz', async () => ({ status: 'ok' }));
    app.get('/readyz', async (_request, reply) => {
      if (app.shuttingDown) return reply.code(503).send({ status: 'unavailable', reason: 'shutting down' });
      try {
        await withTimeout(pingStore(), 1000);
      } catch {
        return reply.code(503).send({ status: 'unavailable', reason: `state store (${storeKind}) unreachable` });
      }
      return { status: 'ready', store: storeKind, uspeedo: uspeedoMode };
    });
  },
  { name: 'health', dependencies: ['shutdown'] },
);
