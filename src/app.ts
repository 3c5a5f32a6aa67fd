import 'reflect-metadata';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import { Authenticator } from './auth/authenticator';
import type { Config } from './config/load-config';
import { graphqlPlugin } from './graphql/graphql.plugin';
import { subscriptionsPlugin } from './graphql/subscriptions.plugin';
import { buildGraphQLSchema, type SchemaServices } from './graphql/schema';
import { Idempotency, LEASE_MARGIN_MS } from './guard/idempotency';
import { RateLimiter } from './guard/rate-limits';
import { openStateStore } from './guard/open-state-store';
import { corsPlugin } from './http/cors.plugin';
import { errorHandlerPlugin } from './http/error-handler.plugin';
import { healthPlugin } from './http/health.plugin';
import { metricsPlugin } from './http/metrics.plugin';
import { serverOptions } from './http/server-options';
import { shutdownPlugin } from './http/shutdown.plugin';
import { SmsLimits } from './sms/limits/sms-limits.result';
import { DeliveryFollower } from './sms/follow/delivery-follower';
import { DeliveryStatusService } from './sms/lookups/delivery-status.service';
import { LookupRefusals, type LookupNames } from './sms/lookups/lookup-refusals';
import { TemplatesService } from './sms/lookups/templates.service';
import { BatchCheck } from './sms/send/batch-check';
import { SendPreviewService } from './sms/preview/send-preview.service';
import { SendBatchService } from './sms/send/send-batch.service';
import { TemplateCheck } from './sms/send/template-check';
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

/** Builds the whole server from a validated config: the parts, then the plugins that serve them. */
export async function buildApp(config: Config, deps: AppDependencies = {}): Promise<FastifyInstance> {
  const metrics = new SmsMetrics();
  // Before anything that makes spans; without an exporter configured, no tracing SDK is loaded.
  const tracing = config.tracing ? await startTracing(config.tracing, metrics.registry) : null;
  const tracer = activeTracer();
  const app = Fastify(serverOptions({ ...config, logDestination: deps.logDestination, traced: tracing !== null }));
  // First, so that its final export comes after everything else has closed.
  if (tracing) await app.register(tracingPlugin, { tracing, shutdownGraceMs: config.shutdownGraceMs });

  const { credentials, baseUrl, timeoutMs } = config.uspeedo;
  const client = new UspeedoClient(
    credentials
      ? { baseUrl, timeoutMs, credentials, tracer }
      : {
          baseUrl: SIMULATOR_BASE_URL,
          timeoutMs,
          credentials: SIMULATOR_CREDENTIALS,
          fetch: createSimulatorFetch({ receiptDelaySeconds: config.lookups.simulatorReceiptDelaySeconds }),
          tracer,
        },
  );
  const uspeedo = new UspeedoApi(client, new UpstreamReads(client, timeoutMs, config.uspeedo.lookupsInFlight, metrics));
  const openedStore = await openStateStore(config.state, config.hardened, app.log, {
    error: (kind) => metrics.storeErrors.inc({ kind }),
    failover: () => metrics.storeFailovers.inc(),
    waitTimeout: () => metrics.storeWaitTimeouts.inc(),
    replicas: (connected) => metrics.storeReplicas.set(connected),
  });
  const store = tracer ? tracedStore(openedStore, tracer) : openedStore;
  // Registered before the plugins: onClose hooks run last-registered first, so these close after
  // Apollo has stopped and every send in flight has answered.
  app.addHook('onClose', async () => {
    await store.close();
    await uspeedo.close();
  });
  const rateLimiter = new RateLimiter(store, config.rateLimits);
  const refusalsFor = (names: LookupNames) => new LookupRefusals(names, rateLimiter, metrics);
  const sessions = new SentSessions(store, config.lookups.retentionSeconds);
  const templates = new TemplatesService(
    uspeedo,
    refusalsFor({ operation: 'templates', query: 'smsTemplates' }),
    config.lookups.templateCacheSeconds,
  );
  const send = new SendBatchService(
    uspeedo,
    new BatchCheck(
      config.limits,
      config.rateLimits.allowedCountryCodes,
      config.lookups.templateCheck ? new TemplateCheck(templates, metrics) : null,
    ),
    rateLimiter,
    // A claimant's lease covers the wait for replicas before the send too.
    new Idempotency(store, config.idempotencyTtlSeconds, timeoutMs + LEASE_MARGIN_MS + replicasWaitMs(config)),
    metrics,
    sessions,
    (writes) => store.replicate(writes),
  );
  const deliveryStatus = new DeliveryStatusService(
    uspeedo,
    sessions,
    refusalsFor({ operation: 'status', query: 'smsDeliveryStatus' }),
    config.lookups.statusCacheSeconds,
  );
  const follower = new DeliveryFollower(
    deliveryStatus,
    refusalsFor({ operation: 'follow', query: 'smsDeliveryUpdates' }),
    config.follow,
    metrics,
    app.log.child({ follow: true }),
  );
  app.addHook('preClose', async () => follower.close());
  const services: SchemaServices = {
    send,
    // Every rule the send checks, templates always; a failed template lookup leaves the texts unknown.
    preview: new SendPreviewService(
      new BatchCheck(config.limits, config.rateLimits.allowedCountryCodes, new TemplateCheck(templates, metrics, false)),
      rateLimiter,
      metrics,
    ),
    deliveryStatus,
    follower,
    templates,
    limits: SmsLimits.from(config.limits, config.rateLimits, config.idempotencyTtlSeconds),
  };

  await app.register(shutdownPlugin);
  await app.register(errorHandlerPlugin);
  await app.register(corsPlugin, { origins: config.corsOrigins, sandbox: config.introspection, local: !config.hardened });
  await app.register(healthPlugin, {
    storeReadiness: () => store.readiness(),
    storeKind: store.kind,
    uspeedoMode: credentials ? 'live' : 'simulator',
  });
  await app.register(metricsPlugin, { registry: metrics.registry, token: config.metricsToken, open: config.metricsPublic });
  const schema = buildGraphQLSchema(services);
  const authenticator = new Authenticator(config.auth);
  await app.register(graphqlPlugin, { schema, authenticator, introspection: config.introspection, maskErrors: config.hardened });
  await app.register(subscriptionsPlugin, {
    schema,
    authenticator,
    introspection: config.introspection,
    maskErrors: config.hardened,
    socketsPerCaller: config.follow.perCaller,
    socketsGauge: metrics.sockets,
  });

  warnAtStart(config, app.log);
  return app;
}

const replicasWaitMs = ({ state }: Config) => (state.redis && state.redisMinReplicasAcks > 0 ? state.redisWaitTimeoutMs : 0);

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
