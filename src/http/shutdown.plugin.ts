import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** True from the start of a shutdown (fastify.close()). */
    readonly shuttingDown: boolean;
  }
}

/**
 * Every answer carries its `x-request-id`; from the start of a shutdown, answers close their
 * connection too: a keep-alive socket left idle after its last answer would otherwise hold close()
 * open until its keep-alive timeout.
 */
export const shutdownPlugin = fp(
  async (app) => {
    let shuttingDown = false;
    app.decorate('shuttingDown', {
      getter: () => shuttingDown,
    });
    app.addHook('preClose', async () => {
      shuttingDown = true;
    });
    app.addHook('onSend', async (request, reply) => {
      reply.header('x-request-id', request.id);
      if (shuttingDown) reply.header('connection', 'close');
    });
  },
  { name: 'shutdown' },
);
