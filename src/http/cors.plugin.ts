import cors from '@fastify/cors';
import fp from 'fastify-plugin';

/** Origins of Apollo Sandbox and Explorer, allowed while introspection is on so they can call in. */
const APOLLO_SANDBOX_ORIGINS = ['https://studio.apollographql.com', 'https://sandbox.embed.apollographql.com'];

/** Which browser origins may call. */
export interface CorsOptions {
  origins: string[];
  /** Allow Apollo Sandbox's origins too. */
  sandbox: boolean;
}

/** CORS for exact origins only (no cookies are used); preflights are answered before authentication. */
export const corsPlugin = fp<CorsOptions>(
  async (app, { origins, sandbox }) => {
    await app.register(cors, {
      origin: sandbox ? [...origins, ...APOLLO_SANDBOX_ORIGINS] : origins,
      methods: ['GET', 'POST'],
      exposedHeaders: ['x-request-id'],
      maxAge: 600,
    });
  },
  { name: 'cors' },
);
