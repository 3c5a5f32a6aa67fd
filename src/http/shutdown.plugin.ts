import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** True from the start of a shutdown (fastify.close()). */
    readonly shuttingDown: boolean;
    /** The ids of the requests being answered now: a fatal line names them, since one of them may be its cause. */
    readonly requestsInFlight: () => string[];
  }
}

/**
 * Every answer carries its `x-request-id`; from the start of a shutdown, answers close their
 * connection too: a keep-alive socket left idle after its last answer would otherwise hold close()
 * open until its keep-alive timeout. The requests in flight are known by id, for the fatal line of an
 * uncaught fault (which no request's own logger sees).
 */
export const shutdownPlugin = fp(
  async (app) => {
    let shuttingDown = false;
    const inFlight = new Set<string>();
    app.decorate('shuttingDown', {
      getter: () => shuttingDown,
    });
    app.decorate('requestsInFlight', () => [...inFlight]);
    app.addHook('preClose', async () => {
      shuttingDown = true;
    });
    // Callback hooks: these run on every request, and an async one costs a promise each.
    app.addHook('onRequest', (request, _reply, done) => {
      inFlight.add(request.id);
      done();
    });
    const answered = (request: { id: string }, done: () => void) => {
      inFlight.delete(request.id);
      done();
    };
    app.addHook('onResponse', (request, _reply, done) => answered(request, done));
    app.addHook('onRequestAbort', (request, done) => answered(request, done));
    app.addHook('onSend', async (request, reply) => {
      reply.header('x-request-id', request.id);
      if (shuttingDown) reply.header('connection', 'close');
    });
  },
  { name: 'shutdown' },
);
