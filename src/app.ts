import 'reflect-metadata';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import cors from '@fastify/cors';
import Fastify, { type FastifyInstance } from 'fastify';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { DestinationStream } from 'pino';
import { authHook } from './auth/auth.hook';
import { Authenticator } from './auth/authenticator';
import type { Config } from './config';
import type { GraphQLContext } from './context';
import { Idempotency, LEASE_MARGIN_MS } from './guard/idempotency';
import { RateLimiter } from './guard/rate-limits';
import { RedisStateStore } from './guard/redis-state-store';
import { SqliteStateStore } from './guard/sqlite-state-store';
import type { StateStore } from './guard/state-store';
import { jitGateway } from './jit-gateway';
import { SmsMetrics } from './metrics';
import { operationProtection } from './operation-limits';
import { buildGraphQLSchema } from './schema';
import { SmsService } from './sms/sms.service';
import { createSimulatorFetch, SIMULATOR_BASE_URL, SIMULATOR_CREDENTIALS } from './uspeedo/simulator';
import { UspeedoClient } from './uspeedo/uspeedo.client';

/** What tests (and only tests) swap out. */
export interface AppDependencies {
  /** Where log lines go; stdout by default. */
  logDestination?: DestinationStream;
}

/** The request body limit: a 1000-target batch with short params fits many times over. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** Origins of Apollo Sandbox and Explorer, allowed outside production so they can call in. */
const APOLLO_SANDBOX_ORIGINS = ['https://studio.apollographql.com', 'https://sandbox.embed.apollographql.com'];

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

/** Said at start when no callers are configured and every request runs as `anonymous`. */
const OPEN_AUTH_WARNING = 'No callers configured (API_KEYS, JWT_*): anyone who can reach /graphql can send SMS, as caller "anonymous".';

/** Said at start whenever the simulator answers instead of uSpeedo. */
export const SIMULATOR_WARNING =
  'uSpeedo SIMULATOR: every sendBatchSms is answered by the built-in simulator (no credentials, or USPEEDO_SIMULATOR=true). NO SMS IS SENT.';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

// Unexpected errors are logged with the request's logger; the client sees only a generic message
// in production (see formatError).
const logUnexpectedErrors: ApolloServerPlugin<GraphQLContext> = {
  async requestDidStart() {
    return {
      async didEncounterErrors({ errors, contextValue }) {
        for (const error of errors) {
          if (!(error.originalError instanceof GraphQLError) && error.originalError) {
            contextValue.log.error({ err: error.originalError, path: error.path }, 'unexpected error in a resolver');
          }
        }
      },
    };
  },
};

/** In production, an unexpected error reaches the client as a generic message; it is logged in full. */
export function maskUnexpectedError(formatted: GraphQLFormattedError): GraphQLFormattedError {
  return formatted.extensions?.code === 'INTERNAL_SERVER_ERROR'
    ? { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }
    : formatted;
}

/** Builds the whole server from a validated config: uSpeedo client, service, schema, Apollo, HTTP. */
export async function buildApp(config: Config, deps: AppDependencies = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
      serializers: {
        // The path only: a GET's query string can carry variables, phone numbers among them.
        req: (request: { method: string; url: string; ip?: string }) => ({
          method: request.method,
          url: request.url.split('?', 1)[0],
          remoteAddress: request.ip,
        }),
      },
      ...(deps.logDestination ? { stream: deps.logDestination } : {}),
    },
    bodyLimit: BODY_LIMIT_BYTES,
    // A client has REQUEST_TIMEOUT_MS to send a whole request, headers and body; then Node answers 408
    // and closes. Node checks every connectionsCheckingInterval, so that bounds how late the cut comes.
    requestTimeout: config.requestTimeoutMs,
    http: {
      requestTimeout: config.requestTimeoutMs,
      headersTimeout: config.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(config.requestTimeoutMs / 4))),
    },
    // Keep a caller's request id when it is safe to log; otherwise make one.
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
  });
  // From the start of a shutdown, answers close their connection: a keep-alive socket left idle after
  // its last answer would otherwise hold close() open until its keep-alive timeout.
  let shuttingDown = false;
  app.addHook('preClose', async () => {
    shuttingDown = true;
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (shuttingDown) reply.header('connection', 'close');
  });
  app.setErrorHandler((error: { statusCode?: number; code?: string; message?: string; name?: string }, request, reply) => {
    const statusCode = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (statusCode === 500) {
      request.log.error({ err: error }, 'unexpected error');
      return reply.status(500).send({ statusCode, error: 'Internal Server Error', message: 'Internal server error' });
    }
    return reply.status(statusCode).send({ statusCode, code: error.code, error: error.name, message: error.message });
  });

  const { credentials, baseUrl, timeoutMs } = config.uspeedo;
  const uspeedo = new UspeedoClient(
    credentials
      ? { baseUrl, timeoutMs, credentials }
      : { baseUrl: SIMULATOR_BASE_URL, timeoutMs, credentials: SIMULATOR_CREDENTIALS, fetch: createSimulatorFetch() },
  );
  const store = await openStateStore(config, app);
  const metrics = new SmsMetrics();
  const sms = new SmsService(
    uspeedo,
    config.limits,
    new RateLimiter(store, config.rateLimits),
    new Idempotency(store, config.idempotencyTtlSeconds, config.uspeedo.timeoutMs + LEASE_MARGIN_MS),
    metrics,
  );
  const schema = buildGraphQLSchema(sms);
  const protection = operationProtection(!config.introspection);

  const apollo = new ApolloServer<GraphQLContext>({
    gateway: jitGateway(schema),
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    // Hides "Did you mean …?" suggestions, which would map the schema for someone without introspection.
    hideSchemaDetailsFromClientErrors: !config.introspection,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    validationRules: protection.validationRules,
    parseOptions: protection.parseOptions,
    plugins: [
      ...protection.plugins,
      logUnexpectedErrors,
      config.introspection ? ApolloServerPluginLandingPageLocalDefault({ embed: true }) : ApolloServerPluginLandingPageDisabled(),
    ],
    formatError: config.hardened ? maskUnexpectedError : undefined,
  });
  await apollo.start();
  // fastify.close() stops accepting and lets in-flight requests finish before onClose runs. (The
  // integration's drain plugin is not used: it calls fastify.close() from apollo.stop(), so the two
  // would wait on each other.)
  app.addHook('onClose', async () => {
    await apollo.stop();
    await store.close();
    await uspeedo.close();
  });

  await app.register(cors, {
    origin: config.introspection ? [...config.corsOrigins, ...APOLLO_SANDBOX_ORIGINS] : config.corsOrigins,
    methods: ['GET', 'POST'],
    exposedHeaders: ['x-request-id'],
    maxAge: 600,
  });

  app.decorateRequest('caller', null as never);
  app.route({
    method: ['GET', 'POST'],
    url: '/graphql',
    // onRequest: a caller without valid credentials is answered before its body is read or parsed.
    onRequest: authHook(new Authenticator(config.auth)),
    handler: fastifyApolloHandler(apollo, {
      context: async (request) => ({ log: request.log, caller: request.caller, requestId: request.id }),
    }),
  });
  app.get('/healthz', async () => ({ status: 'ok' }));

  // Ready means able to send: not shutting down, and the state store answering.
  app.get('/readyz', async (_request, reply) => {
    const uspeedoMode = credentials ? 'live' : 'simulator';
    if (shuttingDown) return reply.code(503).send({ status: 'unavailable', reason: 'shutting down' });
    try {
      await withTimeout(store.ping(), 1000);
    } catch {
      return reply.code(503).send({ status: 'unavailable', reason: `state store (${store.kind}) unreachable` });
    }
    return { status: 'ready', store: store.kind, uspeedo: uspeedoMode };
  });

  const metricsToken = config.metricsToken ? createHash('sha256').update(config.metricsToken).digest() : null;
  app.get('/metrics', async (request, reply) => {
    if (metricsToken) {
      const sent = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
      if (!timingSafeEqual(createHash('sha256').update(sent).digest(), metricsToken)) {
        return reply.code(401).header('www-authenticate', 'Bearer realm="metrics"').send({ error: 'METRICS_TOKEN required' });
      }
    } else if (!config.metricsPublic) {
      return reply
        .code(401)
        .send({ error: 'metrics are closed: set METRICS_TOKEN (and send it as a bearer token) or METRICS_PUBLIC=true' });
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  if (!credentials) {
    app.log.warn({ simulator: true }, SIMULATOR_WARNING);
  }
  if (config.auth.open) {
    app.log.warn({ auth: 'open' }, OPEN_AUTH_WARNING);
  }
  if (config.auth.jwt?.key.kind === 'secret') {
    app.log.warn({ auth: 'jwt-secret' }, 'JWT_SECRET (HS256) is meant for development: use JWT_JWKS_URL or JWT_PUBLIC_KEY in production.');
  }
  return app;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Redis when configured (shared by every instance), else the SQLite file. A Redis that is down at
// start does not stop the server: sends answer SERVICE_UNAVAILABLE until it is back.
async function openStateStore(config: Config, app: FastifyInstance): Promise<StateStore> {
  const { redisUrl, sqlitePath } = config.state;
  if (!redisUrl) return new SqliteStateStore(sqlitePath);
  let lastError = '';
  const store = new RedisStateStore(redisUrl, (error) => {
    if (error.message === lastError) return;
    lastError = error.message;
    app.log.error({ err: { message: error.message } }, 'Redis state store error');
  });
  if (!(await store.ready(3000))) {
    app.log.error('Redis state store not reachable at start: sends will answer SERVICE_UNAVAILABLE until it is');
  }
  return store;
}
