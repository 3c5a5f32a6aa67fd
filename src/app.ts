import 'reflect-metadata';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import { Authenticator } from './auth/authenticator';
import type { Config } from './config/load-config';
import { graphqlPlugin } from './graphql/graphql.plugin';
import { subscriptionsPlugin } from './graphql/subscriptions.plugin';
import { TrustedDocuments } from './graphql/trusted-documents';
import { buildGraphQLSchema } from './graphql/schema';
import { RateLimiter } from './guard/rate-limits';
import { openStateStore } from './guard/open-state-store';
import { corsPlugin } from './http/cors.plugin';
import { errorHandlerPlugin } from './http/error-handler.plugin';
import { healthPlugin } from './http/health.plugin';
import { metricsPlugin } from './http/metrics.plugin';
import { serverOptions } from './http/server-options';
import { shutdownPlugin } from './http/shutdown.plugin';
import { LookupRefusals, type LookupNames } from './sms/lookups/lookup-refusals';
import type { FeatureServices, SharedParts } from './sms/feature';
import { FEATURES } from './sms/features';
import { SentSessions } from './sms/sessions/sent-sessions';
import { SmsMetrics } from './sms/shared/sms.metrics';
import { UpstreamReads } from './uspeedo/upstream-reads';
import { createSimulatorFetch, SIMULATOR_BASE_URL, SIMULATOR_CREDENTIALS } from './uspeedo/simulator';
import { UspeedoApi } from './uspeedo/uspeedo.api';
import { UspeedoClient } from './uspeedo/uspeedo.client';
import { activeTracer } from './telemetry/spans';
import { tracedStore } from './telemetry/traced-store';
import { tracingPlugin } from './telemetry/tracing.plugin';
import { startTracing } from './telemetry/tracing';

/** What tests (and only tests) swap out. */
export interface AppDependencies {
  /** Where log lines go; stdout by default. */
  logDestination?: DestinationStream;
}

/** Said at start when no callers are configured and every request runs as `anonymous`. */
const OPEN_AUTH_WARNING = 'No callers configured (API_KEYS, JWT_*): anyone who can reach /graphql can send SMS, as caller "anonymous".';

/** Said at start whenever the simulator answers instead of uSpeedo. */
export const SIMULATOR_WARNING =
  'uSpeedo SIMULATOR: every sendBatchSms is answered by the built-in simulator (no credentials, or USPEEDO_SIMULATOR=true). NO SMS IS SENT.';

/** Builds the whole server from a validated config: the shared parts, each feature, then the plugins that serve them. */
export async function buildApp(config: Config, deps: AppDependencies = {}): Promise<FastifyInstance> {
  const metrics = new SmsMetrics();
  // Before anything that makes spans; without an exporter configured, no tracing SDK is loaded.
  const tracing = config.tracing ? await startTracing(config.tracing, metrics.registry) : null;
  const app = Fastify(serverOptions({ ...config, logDestination: deps.logDestination, traced: tracing !== null }));
  // First, so that its final export comes after everything else has closed.
  if (tracing) await app.register(tracingPlugin, { tracing, shutdownGraceMs: config.shutdownGraceMs });
  const parts = await sharedParts(config, app, metrics);

  const services: FeatureServices = {};
  const built = FEATURES.map((feature) => {
    const one = feature.build(parts, services);
    Object.assign(services, one.services);
    return one;
  });
  app.addHook('preClose', async () => {
    await Promise.all(built.map((feature) => feature.close?.() ?? Promise.resolve()));
  });
  const subscriptions = Object.fromEntries(built.flatMap((feature) => Object.entries(feature.subscriptions ?? {})));

  await app.register(shutdownPlugin);
  await app.register(errorHandlerPlugin);
  await app.register(corsPlugin, { origins: config.corsOrigins, sandbox: config.introspection, local: !config.hardened });
  await app.register(healthPlugin, {
    storeReadiness: () => parts.store.readiness(),
    storeKind: parts.store.kind,
    uspeedoMode: config.uspeedo.credentials ? 'live' : 'simulator',
  });
  await app.register(metricsPlugin, { registry: metrics.registry, token: config.metricsToken, open: config.metricsPublic });
  const schema = buildGraphQLSchema(built);
  const authenticator = new Authenticator(config.auth);
  const { introspection, hardened: maskErrors } = config;
  const trusted = trustedDocuments(config, app.log);
  await app.register(graphqlPlugin, { schema, authenticator, introspection, maskErrors, trusted });
  await app.register(subscriptionsPlugin, {
    schema,
    authenticator,
    introspection,
    maskErrors,
    subscriptions,
    socketsPerCaller: config.follow.perCaller,
    socketsGauge: metrics.sockets,
    trusted,
  });
  warnAtStart(config, app.log);
  return app;
}

/**
 * The parts every feature is built from: uSpeedo (or the simulator), the state store, the limits and
 * the sent sessions. Their close hooks are added before the plugins': onClose hooks run
 * last-registered first, so these close after Apollo has stopped and every send in flight has answered.
 */
async function sharedParts(config: Config, app: FastifyInstance, metrics: SmsMetrics): Promise<SharedParts> {
  const tracer = activeTracer();
  const { credentials, baseUrl, timeoutMs } = config.uspeedo;
  const simulator = {
    baseUrl: SIMULATOR_BASE_URL,
    credentials: SIMULATOR_CREDENTIALS,
    fetch: createSimulatorFetch({
      receiptDelaySeconds: config.lookups.simulatorReceiptDelaySeconds,
      reads: FEATURES.flatMap((feature) => feature.reads ?? []),
    }),
  };
  const client = new UspeedoClient({ ...(credentials ? { baseUrl, credentials } : simulator), timeoutMs, tracer });
  const uspeedo = new UspeedoApi(client, new UpstreamReads(client, timeoutMs, config.uspeedo.lookupsInFlight, metrics));
  const opened = await openStateStore(config.state, config.hardened, app.log, {
    error: (kind) => metrics.storeErrors.inc({ kind }),
    failover: () => metrics.storeFailovers.inc(),
    waitTimeout: () => metrics.storeWaitTimeouts.inc(),
    replicas: (connected) => metrics.storeReplicas.set(connected),
  });
  const store = tracer ? tracedStore(opened, tracer) : opened;
  app.addHook('onClose', async () => {
    await store.close();
    await uspeedo.close();
  });
  const rateLimiter = new RateLimiter(store, config.rateLimits);
  const refusalsFor = (names: LookupNames) => new LookupRefusals(names, rateLimiter, metrics);
  const sessions = new SentSessions(store, config.lookups.retentionSeconds);
  return { config, store, uspeedo, rateLimiter, sessions, metrics, log: app.log, refusalsFor };
}

/** The manifest of trusted documents, read once at start: one that cannot be read stops the start. */
function trustedDocuments(config: Config, log: FastifyBaseLogger): TrustedDocuments | null {
  const { path, mode } = config.trustedDocuments;
  if (!path || mode === 'off') return null;
  const trusted = TrustedDocuments.load(path, mode);
  log.info({ trustedDocuments: { documents: trusted.size, mode } }, `trusted documents: ${trusted.size} from ${path}, mode ${mode}`);
  return trusted;
}

function warnAtStart(config: Config, log: FastifyBaseLogger): void {
  if (!config.uspeedo.credentials) log.warn({ simulator: true }, SIMULATOR_WARNING);
  if (config.auth.open) log.warn({ auth: 'open' }, OPEN_AUTH_WARNING);
  if (config.hardened && config.corsOrigins.length === 0) {
    log.warn({ cors: 'none' }, 'CORS_ORIGINS is empty: browser pages on other origins cannot call /graphql (servers and curl can).');
  } else if (!config.hardened) {
    log.info(
      { cors: 'local' },
      'CORS: pages from localhost and 127.0.0.1 on any port may call, for development; CORS_ORIGINS adds others.',
    );
  }
  if (config.auth.jwt?.key.kind === 'secret') {
    log.warn({ auth: 'jwt-secret' }, 'JWT_SECRET (HS256) is meant for development: use JWT_JWKS_URL or JWT_PUBLIC_KEY in production.');
  }
}
