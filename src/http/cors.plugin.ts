import cors from '@fastify/cors';
import type { FastifyBaseLogger } from 'fastify';
import fp from 'fastify-plugin';

/** Origins of Apollo Sandbox and Explorer, allowed while introspection is on so they can call in. */
const APOLLO_SANDBOX_ORIGINS = ['https://studio.apollographql.com', 'https://sandbox.embed.apollographql.com'];

/** A page on this machine, on any port: what a dev server (Vite, Next) serves. */
const LOCAL_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

/** Refused origins logged at most, so a flood of made-up origins cannot fill the log. */
const LOGGED_ORIGINS = 1000;

/** Which browser origins may call. */
export interface CorsOptions {
  origins: string[];
  /** Allow Apollo Sandbox's origins too. */
  sandbox: boolean;
  /** Allow pages from localhost and 127.0.0.1 on any port (development on the simulator). */
  local: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Whether a browser page from `origin` may call this server (`host`: the request's Host), the same
     * answer CORS gives it: what a WebSocket upgrade, which CORS does not cover, is held to.
     */
    originAllowed(origin: string, host: string | undefined, log: FastifyBaseLogger): boolean;
  }
}

/**
 * CORS for exact origins only (no cookies are used); preflights are answered before authentication.
 * A refused origin is logged once, with the variable that would let it in.
 */
export const corsPlugin = fp<CorsOptions>(
  async (app, { origins, sandbox, local }) => {
    const allowed = new Set(sandbox ? [...origins, ...APOLLO_SANDBOX_ORIGINS] : origins);
    const logged = new Set<string>();
    const originAllowed = (origin: string, host: string | undefined, log: FastifyBaseLogger): boolean => {
      // A page this server serves itself (the Sandbox) needs no CORS: not a refusal.
      const allow = allowed.has(origin) || (local && LOCAL_ORIGIN.test(origin)) || (URL.canParse(origin) && new URL(origin).host === host);
      if (!allow && !logged.has(origin) && logged.size < LOGGED_ORIGINS) {
        logged.add(origin);
        log.warn({ cors: { refused: origin } }, `CORS: refused browser origin ${origin}; add it to CORS_ORIGINS to let its pages call`);
      }
      return allow;
    };
    app.decorate('originAllowed', originAllowed);
    await app.register(cors, {
      delegator: (request, callback) => {
        const origin = request.headers.origin;
        const allow = origin !== undefined && originAllowed(origin, request.headers.host, request.log);
        callback(null, { origin: allow, methods: ['GET', 'POST'], exposedHeaders: ['x-request-id'], maxAge: 600 });
      },
    });
  },
  { name: 'cors' },
);
