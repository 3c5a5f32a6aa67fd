import type { z } from 'zod';
import { SMS_LIMIT_CEILINGS } from '../sms/shared/sms-limits';
import {
  apiKeyList,
  atLeast,
  countryCodeList,
  duration,
  flag,
  httpUrl,
  keyValueList,
  oneOf,
  optional,
  originList,
  publicKeyPem,
  ratio,
  redisNodeList,
  required,
  text,
  urlWithScheme,
  wholeNumber,
} from './parsers';

/** One environment variable: the single place its name, default and description are written. */
export interface Variable {
  /** Where `.env.example` groups it. */
  section: Section;
  /** The value written in `.env.example` and read when the variable is unset; empty for none. */
  default: string;
  /** The docs' wording of the default, where it is not simply `default`. */
  shownDefault?: string;
  /** One line for `.env.example` and the configuration table (docs/configuration.md). */
  description: string;
  /** Reads the value (trimmed; the default when unset or blank) into what `Config` holds, or says what is wrong. */
  parse: z.ZodType<unknown, string>;
  /**
   * Where `Config` holds the value as read (`port`, `lookups.statusCacheSeconds`). Without one, the
   * value only feeds what `loadConfig` derives (the posture, the callers, the Redis topology).
   */
  config?: string;
}

const DAY = 86_400;
/** An abuse limit: 0 turns it off. */
const RATE_LIMIT = wholeNumber(0, 1_000_000_000);

/** `.env.example`'s sections, in order, each with its heading comment. */
export const SECTIONS = {
  server: 'Where and how the server runs.',
  uspeedo: 'uSpeedo. With no credentials (and NODE_ENV not production) the built-in simulator answers and no SMS is sent.',
  batch: "Batch limits: this server's ceilings, which may be lowered, never raised.",
  callers: 'Callers. API keys: `npm run --silent api-key -- <callerId>` prints an entry.',
  limits: 'Abuse limits, in recipients (0 turns one off), and idempotency.',
  lookups: 'Delivery status and templates: ownership, caching and the optional pre-send template check.',
  state: 'Where limits, idempotency records and sent sessions live: a SQLite file, or Redis (shared by several instances).',
  operations: 'Operating it.',
  campaigns: 'Campaigns: lists larger than one batch, sent page by page, each page once, paced across every instance.',
  tracing:
    'OpenTelemetry traces, by the standard OTEL_* variables: off (no tracing SDK loaded) unless an OTLP endpoint is set or OTEL_TRACES_EXPORTER=otlp.',
} as const;

export type Section = keyof typeof SECTIONS;

/**
 * Every variable the server reads, with its parser. `loadConfig` reads each through its entry; `.env.example` and the
 * configuration table of docs/configuration.md are generated from it (`npm run config:docs`), and a test fails when
 * either differs.
 */
export const VARIABLES = {
  NODE_ENV: {
    section: 'server',
    config: 'nodeEnv',
    parse: required,
    default: 'development',
    description:
      '`production` also refuses to run on the simulator unasked; the security posture follows real uSpeedo credentials, whatever this says.',
  },
  HOST: { section: 'server', config: 'host', parse: required, default: '0.0.0.0', description: 'The interface to listen on.' },
  PORT: { section: 'server', config: 'port', parse: wholeNumber(0, 65535), default: '4000', description: 'The port to listen on.' },
  LOG_LEVEL: {
    section: 'server',
    config: 'logLevel',
    parse: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    default: 'info',
    description: 'pino level: fatal, error, warn, info, debug, trace or silent.',
  },
  CORS_ORIGINS: {
    section: 'server',
    config: 'corsOrigins',
    parse: originList,
    default: '',
    description: 'Browser origins allowed to call /graphql, comma-separated (https://app.example.com); exact origins only.',
  },
  GRAPHQL_INTROSPECTION: {
    section: 'server',
    parse: flag,
    default: '',
    shownDefault: 'on only on the simulator outside production',
    description: "Introspection, the Sandbox landing page, Sandbox's CORS origins and field suggestions; true turns them on anywhere.",
  },
  USPEEDO_BASE_URL: {
    section: 'uspeedo',
    config: 'uspeedo.baseUrl',
    parse: httpUrl,
    default: 'https://api.uspeedo.com',
    description: "uSpeedo's API base URL.",
  },
  USPEEDO_ACCESS_KEY_ID: {
    section: 'uspeedo',
    parse: text,
    default: '',
    description: 'uSpeedo access key id, sent only as HTTP Basic auth; set both or neither.',
  },
  USPEEDO_ACCESS_KEY_SECRET: {
    section: 'uspeedo',
    parse: text,
    default: '',
    description: 'uSpeedo access key secret; never logged or answered.',
  },
  USPEEDO_TIMEOUT_MS: {
    section: 'uspeedo',
    config: 'uspeedo.timeoutMs',
    parse: wholeNumber(1, 600_000),
    default: '10000',
    description: "Time allowed for uSpeedo's whole answer (headers and body), 1 to 600000 ms.",
  },
  USPEEDO_LOOKUPS_IN_FLIGHT: {
    section: 'uspeedo',
    config: 'uspeedo.lookupsInFlight',
    parse: wholeNumber(1, 100),
    default: '8',
    description: 'Lookups (receipts, templates) this process has at uSpeedo at once, 1 to 100; more wait their turn. Sends are never held.',
  },
  USPEEDO_SIMULATOR: {
    section: 'uspeedo',
    parse: flag,
    default: '',
    shownDefault: 'auto',
    description:
      'true forces the simulator (even with credentials, even in production); false forbids it; unset: the simulator without credentials.',
  },
  SMS_MAX_TARGETS_PER_REQUEST: {
    section: 'batch',
    config: 'limits.maxTargetsPerRequest',
    parse: wholeNumber(1, SMS_LIMIT_CEILINGS.maxTargetsPerRequest),
    default: String(SMS_LIMIT_CEILINGS.maxTargetsPerRequest),
    description: 'Targets across all tasks of one batch.',
  },
  SMS_MAX_TASKS_PER_REQUEST: {
    section: 'batch',
    config: 'limits.maxTasksPerRequest',
    parse: wholeNumber(1, SMS_LIMIT_CEILINGS.maxTasksPerRequest),
    default: String(SMS_LIMIT_CEILINGS.maxTasksPerRequest),
    description: 'Tasks in one batch.',
  },
  SMS_MAX_TEMPLATE_PARAMS_PER_TARGET: {
    section: 'batch',
    config: 'limits.maxTemplateParamsPerTarget',
    parse: wholeNumber(0, SMS_LIMIT_CEILINGS.maxTemplateParamsPerTarget),
    default: String(SMS_LIMIT_CEILINGS.maxTemplateParamsPerTarget),
    description: 'Template parameters per target (may be 0).',
  },
  SMS_MAX_TEMPLATE_PARAM_LENGTH: {
    section: 'batch',
    config: 'limits.maxTemplateParamLength',
    parse: wholeNumber(1, SMS_LIMIT_CEILINGS.maxTemplateParamLength),
    default: String(SMS_LIMIT_CEILINGS.maxTemplateParamLength),
    description: 'Characters in one template parameter.',
  },
  SMS_MAX_SENDER_ID_LENGTH: {
    section: 'batch',
    config: 'limits.maxSenderIdLength',
    parse: wholeNumber(1, SMS_LIMIT_CEILINGS.maxSenderIdLength),
    default: String(SMS_LIMIT_CEILINGS.maxSenderIdLength),
    description: 'Characters in a senderId.',
  },
  MAX_TEMPLATES_PER_REQUEST: {
    section: 'batch',
    config: 'limits.maxTemplatesPerRequest',
    parse: wholeNumber(1, SMS_LIMIT_CEILINGS.maxTemplatesPerRequest),
    default: '20',
    description:
      'Distinct templateIds one batch (or preview) may name: each may cost a template lookup at uSpeedo, charged to the caller. More is INVALID_INPUT.',
  },
  API_KEYS: { section: 'callers', parse: apiKeyList, default: '', description: 'callerId:sha256hex entries, comma-separated.' },
  JWT_JWKS_URL: {
    section: 'callers',
    parse: urlWithScheme(['https:', 'http:'], 'https://auth.example.com/.well-known/jwks.json'),
    default: '',
    description: "JWTs checked against the identity provider's key set (one JWT_* key source at most).",
  },
  JWT_PUBLIC_KEY: {
    section: 'callers',
    parse: publicKeyPem,
    default: '',
    description: 'JWTs checked against a PEM public key (RSA, EC or Ed25519).',
  },
  JWT_SECRET: {
    section: 'callers',
    parse: atLeast(32, 'bytes', ' (HS256)'),
    default: '',
    description: 'JWTs checked with an HS256 secret of at least 32 bytes (development).',
  },
  JWT_ISSUER: { section: 'callers', parse: text, default: '', description: "The JWT's iss, checked when set." },
  JWT_AUDIENCE: { section: 'callers', parse: text, default: '', description: "The JWT's aud, checked when set." },
  JWT_MAX_AGE: {
    section: 'callers',
    parse: duration,
    default: '',
    shownDefault: '1d on a hardened server, else none',
    description: 'Refuse JWTs issued (iat) longer ago than this, e.g. 3600, 15m, 1h, 7d; with it every token must carry iat.',
  },
  AUTH_DISABLED: {
    section: 'callers',
    parse: flag,
    default: '',
    shownDefault: 'false',
    description: 'true runs with real credentials (or in production) and no callers, open to anyone; refused beside callers.',
  },
  RATE_LIMIT_CALLER_PER_MINUTE: {
    section: 'limits',
    config: 'rateLimits.callerPerMinute',
    parse: RATE_LIMIT,
    default: '1000',
    description: 'Recipients one caller may send to per minute (the default is one full batch).',
  },
  RATE_LIMIT_CALLER_PER_DAY: {
    section: 'limits',
    config: 'rateLimits.callerPerDay',
    parse: RATE_LIMIT,
    default: '10000',
    description: 'Recipients one caller may send to per UTC day.',
  },
  RATE_LIMIT_PHONE_PER_HOUR: {
    section: 'limits',
    config: 'rateLimits.phonePerHour',
    parse: RATE_LIMIT,
    default: '5',
    description: 'Messages one number may receive per hour, across all callers.',
  },
  RATE_LIMIT_PHONE_PER_DAY: {
    section: 'limits',
    config: 'rateLimits.phonePerDay',
    parse: RATE_LIMIT,
    default: '20',
    description: 'Messages one number may receive per UTC day, across all callers.',
  },
  RATE_LIMIT_GLOBAL_PER_DAY: {
    section: 'limits',
    config: 'rateLimits.globalPerDay',
    parse: RATE_LIMIT,
    default: '100000',
    description: 'Recipients per UTC day across every caller: the spend ceiling.',
  },
  ALLOWED_COUNTRY_CODES: {
    section: 'limits',
    config: 'rateLimits.allowedCountryCodes',
    parse: countryCodeList,
    default: '',
    description: 'Country calling codes numbers may be in, e.g. 86,852 (others are DESTINATION_NOT_ALLOWED); empty allows all.',
  },
  RATE_LIMIT_STATUS_PER_MINUTE: {
    section: 'limits',
    config: 'rateLimits.statusPerMinute',
    parse: RATE_LIMIT,
    default: '120',
    description: 'Session numbers one caller may look up in smsDeliveryStatus per minute (cached answers included).',
  },
  SUBSCRIPTIONS_PER_CALLER: {
    section: 'limits',
    config: 'follow.perCaller',
    parse: wholeNumber(1, 10_000),
    default: '20',
    description:
      'smsDeliveryUpdates subscriptions, and sockets, one caller may hold open at once on each instance: the next subscription answers RATE_LIMITED, the next socket is closed (4429).',
  },
  RATE_LIMIT_TEMPLATES_PER_MINUTE: {
    section: 'limits',
    config: 'rateLimits.templatesPerMinute',
    parse: RATE_LIMIT,
    default: '300',
    description:
      'Template ids one caller may look up per minute: each id smsTemplates is asked (cached answers included), and each id a preview or the pre-send check asks uSpeedo, charged before the GET. Past it, smsTemplates and sends answer RATE_LIMITED; a preview leaves its templates unchecked.',
  },
  IDEMPOTENCY_TTL_SECONDS: {
    section: 'limits',
    config: 'idempotencyTtlSeconds',
    parse: wholeNumber(1, 30 * DAY),
    default: '86400',
    description: 'How long an idempotency key is kept, from its claim (1 s to 30 days); after that the same key sends again.',
  },
  DELIVERY_STATUS_RETENTION_SECONDS: {
    section: 'lookups',
    config: 'lookups.retentionSeconds',
    parse: wholeNumber(1, 90 * DAY),
    default: '604800',
    description: 'How long the sessions a caller sent are remembered as theirs, so smsDeliveryStatus answers for them (1 s to 90 days).',
  },
  STATUS_CACHE_SECONDS: {
    section: 'lookups',
    config: 'lookups.statusCacheSeconds',
    parse: wholeNumber(0, DAY),
    default: '15',
    description: 'The same sessions asked again within this many seconds are answered without asking uSpeedo (0 turns the cache off).',
  },
  TEMPLATE_CACHE_SECONDS: {
    section: 'lookups',
    config: 'lookups.templateCacheSeconds',
    parse: wholeNumber(0, DAY),
    default: '300',
    description: 'How long a template looked up is reused, by smsTemplates and the pre-send check (0 turns the cache off).',
  },
  SMS_TEMPLATE_CHECK: {
    section: 'lookups',
    parse: flag,
    default: '',
    shownDefault: 'false',
    description: "true looks a batch's templates up before sending: unknown, unapproved or a wrong number of params is INVALID_INPUT.",
  },
  SIMULATOR_RECEIPT_DELAY_SECONDS: {
    section: 'lookups',
    config: 'lookups.simulatorReceiptDelaySeconds',
    parse: wholeNumber(0, 3600),
    default: '5',
    description: 'On the simulator, how long after a send its delivery receipts appear (0 to 3600).',
  },
  DELIVERY_POLL_SECONDS: {
    section: 'lookups',
    config: 'follow.pollSeconds',
    parse: wholeNumber(1, 60),
    default: '10',
    description:
      "smsDeliveryUpdates: how often the sessions subscribers follow are asked of uSpeedo while receipts change (1 to 60); backs off to 60 s while they don't.",
  },
  DELIVERY_POLL_FAILURES: {
    section: 'lookups',
    config: 'follow.pollFailures',
    parse: wholeNumber(1, 100),
    default: '3',
    description: 'smsDeliveryUpdates: failed polls in a row before subscribers are sent an SmsQueryError (the subscription stays open).',
  },
  DELIVERY_FOLLOW_MAX_SECONDS: {
    section: 'lookups',
    config: 'follow.maxSeconds',
    parse: wholeNumber(1, DAY),
    default: '1800',
    description: 'smsDeliveryUpdates: a subscription completes after this many seconds even if some session is not final.',
  },
  CAMPAIGNS_OPEN_PER_CALLER: {
    section: 'campaigns',
    config: 'campaigns.openPerCaller',
    parse: wholeNumber(1, 1000),
    default: '5',
    description: 'Campaigns one caller may hold DRAFT, SENDING or PAUSED at once: createSmsCampaign answers LIMIT_EXCEEDED past it.',
  },
  CAMPAIGN_MAX_RECIPIENTS: {
    section: 'campaigns',
    config: 'campaigns.maxRecipients',
    parse: wholeNumber(1, 1_000_000),
    default: '100000',
    description: 'Targets one campaign may hold across its pages: the page that would pass it answers LIMIT_EXCEEDED and is not stored.',
  },
  CAMPAIGN_RECIPIENTS_PER_MINUTE: {
    section: 'campaigns',
    config: 'campaigns.recipientsPerMinute',
    parse: wholeNumber(1, 10_000_000),
    default: '30000',
    description: 'The pace of every campaign together, across instances: a page of n recipients holds the next page back n / this minutes.',
  },
  CAMPAIGN_DRAFT_TTL_SECONDS: {
    section: 'campaigns',
    config: 'campaigns.draftTtlSeconds',
    parse: wholeNumber(1, 30 * DAY),
    default: '86400',
    description: 'A DRAFT not started within this many seconds of its creation expires: it answers NOT_FOUND and no longer counts as open.',
  },
  STATE_DB_PATH: {
    section: 'state',
    config: 'state.sqlitePath',
    parse: required,
    default: './data/state.db',
    description: 'The SQLite file (created 0600); :memory: keeps state in the process.',
  },
  REDIS_URL: {
    section: 'state',
    parse: urlWithScheme(['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
    default: '',
    description: 'One Redis node, redis:// or rediss:// (TLS): limits and idempotency in Redis instead of SQLite. Or one of the next two.',
  },
  REDIS_SENTINELS: {
    section: 'state',
    parse: redisNodeList,
    default: '',
    description: 'Sentinels as host:port, comma-separated (rediss://host:port for TLS): the primary they name, followed across failovers.',
  },
  REDIS_SENTINEL_MASTER: {
    section: 'state',
    parse: text,
    default: '',
    description: "The primary's name in Sentinel (sentinel monitor <name> …).",
  },
  REDIS_CLUSTER_NODES: {
    section: 'state',
    parse: redisNodeList,
    default: '',
    description: 'Redis Cluster nodes as host:port, comma-separated (rediss://host:port for TLS); the others are discovered.',
  },
  REDIS_USERNAME: {
    section: 'state',
    parse: text,
    default: '',
    description: "ACL user for Sentinel's or Cluster's nodes (REDIS_URL carries its own).",
  },
  REDIS_PASSWORD: {
    section: 'state',
    parse: text,
    default: '',
    description: "Password for Sentinel's or Cluster's nodes (REDIS_URL carries its own).",
  },
  REDIS_SENTINEL_PASSWORD: {
    section: 'state',
    parse: text,
    default: '',
    description: 'Password of the sentinels themselves, when they ask for one.',
  },
  REDIS_MIN_REPLICAS_ACKS: {
    section: 'state',
    parse: optional(wholeNumber(0, 16)),
    default: '',
    shownDefault: '1 with Sentinel or Cluster, 0 with REDIS_URL',
    description: "Replicas that must hold a send's idempotency claim and charge (WAIT) before uSpeedo is called (0 to 16).",
  },
  REDIS_WAIT_TIMEOUT_MS: {
    section: 'state',
    config: 'state.redisWaitTimeoutMs',
    parse: wholeNumber(10, 1500),
    default: '500',
    description: 'How long a send waits for those replicas; past it the send is refused, nothing sent (10 to 1500).',
  },
  REDIS_WAIT_FOR_REPLICAS: {
    section: 'state',
    parse: flag,
    default: '',
    shownDefault: 'false',
    description:
      'true starts the server even when fewer replicas are connected than REDIS_MIN_REPLICAS_ACKS (it stays unready, /readyz 503, until they are); without it such a start is refused.',
  },
  REDIS_ALLOW_VOLATILE: {
    section: 'state',
    parse: flag,
    default: '',
    shownDefault: 'false',
    description:
      'true lets a hardened server use a Redis without AOF (appendonly no), whose restart forgets idempotency keys and counters.',
  },
  METRICS_TOKEN: {
    section: 'operations',
    parse: atLeast(16, 'characters'),
    default: '',
    description: 'Bearer token GET /metrics requires, at least 16 characters.',
  },
  TRUSTED_DOCUMENTS: {
    section: 'server',
    parse: optional(required),
    default: '',
    description:
      "A manifest of the documents your apps run (a JSON object of id → document, as codegen's client preset writes with persistedDocuments): requests may name them by documentId or extensions.persistedQuery.sha256Hash.",
  },
  TRUSTED_DOCUMENTS_MODE: {
    section: 'server',
    parse: optional(oneOf(['off', 'allow', 'require'])),
    default: '',
    shownDefault: 'off without a manifest; with one, require on a hardened server, else allow',
    description:
      'off: the manifest is not used; allow: ids and known documents run, others too (a migration); require: only documents in the manifest run (PERSISTED_QUERY_NOT_IN_LIST).',
  },
  METRICS_PUBLIC: {
    section: 'operations',
    parse: flag,
    default: '',
    shownDefault: 'on only on the simulator outside production',
    description: 'true opens /metrics without a token on a hardened server; refused beside METRICS_TOKEN.',
  },
  SHUTDOWN_GRACE_MS: {
    section: 'operations',
    config: 'shutdownGraceMs',
    parse: wholeNumber(0, 600_000),
    default: '15000',
    description: 'How long SIGTERM/SIGINT waits for requests in flight, 0 to 600000 ms; keep it above USPEEDO_TIMEOUT_MS.',
  },
  REQUEST_TIMEOUT_MS: {
    section: 'operations',
    config: 'requestTimeoutMs',
    parse: wholeNumber(100, 600_000),
    default: '30000',
    description: 'Time a client has to send a whole request (headers and body), 100 to 600000 ms; then 408.',
  },
  OTEL_SDK_DISABLED: {
    section: 'tracing',
    parse: flag,
    default: '',
    shownDefault: 'false',
    description: 'true turns tracing off whatever else is set.',
  },
  OTEL_TRACES_EXPORTER: {
    section: 'tracing',
    parse: optional(oneOf(['otlp', 'none'])),
    default: '',
    shownDefault: 'otlp when an endpoint is set',
    description: 'otlp exports traces (to http://localhost:4318 when no endpoint is set); none turns tracing off.',
  },
  OTEL_EXPORTER_OTLP_ENDPOINT: {
    section: 'tracing',
    parse: optional(httpUrl),
    default: '',
    description: 'The OTLP/HTTP collector, like http://otel-collector:4318: traces go to its /v1/traces. Setting it turns tracing on.',
  },
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: {
    section: 'tracing',
    parse: optional(httpUrl),
    default: '',
    description: 'The full URL traces are posted to, used as is; wins over OTEL_EXPORTER_OTLP_ENDPOINT. Setting it turns tracing on.',
  },
  OTEL_EXPORTER_OTLP_PROTOCOL: {
    section: 'tracing',
    parse: optional(oneOf(['http/protobuf', 'http/json'])),
    default: '',
    shownDefault: 'http/protobuf',
    description: 'http/protobuf or http/json (grpc is not offered).',
  },
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: {
    section: 'tracing',
    parse: optional(oneOf(['http/protobuf', 'http/json'])),
    default: '',
    shownDefault: 'OTEL_EXPORTER_OTLP_PROTOCOL',
    description: "The traces' protocol, when it differs from OTEL_EXPORTER_OTLP_PROTOCOL.",
  },
  OTEL_EXPORTER_OTLP_HEADERS: {
    section: 'tracing',
    parse: keyValueList,
    default: '',
    description: "Headers on every export, key=value comma-separated, percent-encoded (a backend's API key, say); never logged.",
  },
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: {
    section: 'tracing',
    parse: keyValueList,
    default: '',
    description: 'Headers for the traces export, added to (and winning over) OTEL_EXPORTER_OTLP_HEADERS.',
  },
  OTEL_EXPORTER_OTLP_TIMEOUT: {
    section: 'tracing',
    parse: optional(wholeNumber(1, 600_000)),
    default: '',
    shownDefault: '10000',
    description: 'How long one export may take, in ms.',
  },
  OTEL_SERVICE_NAME: {
    section: 'tracing',
    parse: text,
    default: '',
    shownDefault: 'uspeedo-sms-graphql',
    description: "The service.name traces carry; wins over OTEL_RESOURCE_ATTRIBUTES' service.name.",
  },
  OTEL_RESOURCE_ATTRIBUTES: {
    section: 'tracing',
    parse: keyValueList,
    default: '',
    description: 'More resource attributes, key=value comma-separated (deployment.environment.name=prod,service.version=1.4).',
  },
  OTEL_TRACES_SAMPLER: {
    section: 'tracing',
    parse: optional(
      oneOf(['parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio', 'always_on', 'always_off', 'traceidratio']),
    ),
    default: '',
    shownDefault: 'parentbased_always_on',
    description: "Which requests are traced; the parentbased_ ones follow a caller's traceparent when it has one.",
  },
  OTEL_TRACES_SAMPLER_ARG: {
    section: 'tracing',
    parse: ratio,
    default: '',
    shownDefault: '1',
    description: 'The ratio (0 to 1) the traceidratio samplers keep.',
  },
  OTEL_BSP_MAX_QUEUE_SIZE: {
    section: 'tracing',
    parse: wholeNumber(1, 1_000_000),
    default: '2048',
    description:
      'Spans waiting for export at most; past it a span is dropped (counted in sms_trace_spans_dropped_total), never waited for.',
  },
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: {
    section: 'tracing',
    parse: wholeNumber(1, 1_000_000),
    default: '512',
    description: 'Spans in one export at most.',
  },
  OTEL_BSP_SCHEDULE_DELAY: {
    section: 'tracing',
    parse: wholeNumber(0, 600_000),
    default: '5000',
    description: 'The wait between exports, in ms.',
  },
  OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: {
    section: 'tracing',
    parse: optional(wholeNumber(1, 65_536)),
    default: '',
    shownDefault: '256',
    description:
      "Characters a span attribute's value keeps at most; the rest is cut (an operation name or path a caller chose among them).",
  },
  OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: {
    section: 'tracing',
    parse: optional(wholeNumber(1, 65_536)),
    default: '',
    shownDefault: 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT',
    description: 'The same for spans alone; takes precedence over OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT.',
  },
  OTEL_BSP_EXPORT_TIMEOUT: {
    section: 'tracing',
    parse: wholeNumber(1, 600_000),
    default: '30000',
    description: 'How long an export (with its retries) may take before its spans are given up, in ms.',
  },
} as const satisfies Record<string, Variable>;

/** A variable's name. */
export type VariableName = keyof typeof VARIABLES;

/** Every variable as its parser reads it: the types `Config` is built from. */
export type Variables = { [Name in VariableName]: z.output<(typeof VARIABLES)[Name]['parse']> };

type ConfigPath<Name extends VariableName> = (typeof VARIABLES)[Name] extends { config: infer Path extends string } ? Path : never;
// Distributive over the paths: a variable without a path (never) must add no group. Written inline on
// `ConfigPath<Name>`, never matched with Group inferred as string, and every group typed as every key.
type GroupOf<Path> = Path extends `${infer Group}.${string}` ? Group : never;
type GroupName = GroupOf<{ [Name in VariableName]: ConfigPath<Name> }[VariableName]>;

/** The variables that have a `config` path, placed there: `Config` as read, before what `loadConfig` derives. */
export type PlacedVariables = {
  [Name in VariableName as ConfigPath<Name> extends `${string}.${string}` ? never : ConfigPath<Name>]: Variables[Name];
} & {
  [Group in GroupName]: {
    [Name in VariableName as ConfigPath<Name> extends `${Group}.${infer Key}` ? Key : never]: Variables[Name];
  };
};

/** Puts each variable with a `config` path at that path. */
export function placeVariables(variables: Variables): PlacedVariables {
  const placed: Record<string, Record<string, unknown>> = {};
  for (const [name, variable] of Object.entries(VARIABLES) as [VariableName, Variable][]) {
    if (!variable.config) continue;
    const [group, key] = variable.config.includes('.') ? variable.config.split('.', 2) : [undefined, variable.config];
    if (group === undefined) (placed as Record<string, unknown>)[key] = variables[name];
    else (placed[group] ??= {})[key] = variables[name];
  }
  return placed as unknown as PlacedVariables;
}
