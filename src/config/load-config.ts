import type { RateLimitValues } from '../guard/rate-limits';
import type { RedisTopology } from '../guard/redis-topology';
import type { SmsLimitValues } from '../sms/shared/sms-limits';
import { saysFalse, saysTrue } from './parsers';
import { placeVariables, VARIABLES, type Variables } from './variables';

/** Everything the server needs, validated: what `loadConfig` builds, its type inferred from the variables' parsers. */
export type Config = ReturnType<typeof loadConfig>;

/** Who may call. With neither API keys nor JWTs every request runs as caller `anonymous`. */
export type AuthConfig = Config['auth'];

/** Where a JWT's signature is checked against. */
export type JwtKeySource = { kind: 'jwks'; url: string } | { kind: 'public-key'; pem: string } | { kind: 'secret'; secret: string };

/** Raised by `loadConfig` with every problem found, so one start reports them all. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Every variable through its table entry's parser: unset or blank reads as the entry's default (a
 * blank line in .env, `FOO=`, means "not set", as it does for most tools that read .env files).
 */
function readVariables(env: Env): { variables: Variables; problems: string[] } {
  const variables: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, variable] of Object.entries(VARIABLES)) {
    const given = env[name]?.trim() ?? '';
    const read = variable.parse.safeParse(given === '' ? variable.default : given);
    if (read.success) variables[name] = read.data;
    else problems.push(...read.error.issues.map((issue) => `${[name, ...issue.path].join('.')}: ${issue.message}`));
  }
  return { variables: variables as Variables, problems };
}

/** JWT_MAX_AGE when unset on a hardened server. */
const HARDENED_JWT_MAX_AGE = '1d';

const isSet = (value: string | undefined) => value !== undefined && value.trim() !== '';

// Rules across variables. They read only whether a variable is set, so they can run even when
// another variable failed to parse, and every problem is reported in one go.
function crossFieldProblems(env: Env): string[] {
  const problems: string[] = [];
  const hasId = isSet(env.USPEEDO_ACCESS_KEY_ID);
  const hasSecret = isSet(env.USPEEDO_ACCESS_KEY_SECRET);
  const forcedOn = saysTrue(env.USPEEDO_SIMULATOR);
  const forcedOff = saysFalse(env.USPEEDO_SIMULATOR);
  const production = env.NODE_ENV?.trim() === 'production';
  const live = hasId && hasSecret && !forcedOn;

  if (hasId !== hasSecret) {
    problems.push(
      `${hasId ? 'USPEEDO_ACCESS_KEY_SECRET' : 'USPEEDO_ACCESS_KEY_ID'}: is required when ${hasId ? 'USPEEDO_ACCESS_KEY_ID' : 'USPEEDO_ACCESS_KEY_SECRET'} is set`,
    );
  } else if (!hasId && !forcedOn && (production || forcedOff)) {
    const why = production
      ? 'in production (set USPEEDO_SIMULATOR=true to run on the simulator, which sends no SMS)'
      : 'when USPEEDO_SIMULATOR=false';
    problems.push(`USPEEDO_ACCESS_KEY_ID: is required ${why}`, `USPEEDO_ACCESS_KEY_SECRET: is required ${why}`);
  }
  const jwtSources = ['JWT_JWKS_URL', 'JWT_PUBLIC_KEY', 'JWT_SECRET'].filter((name) => isSet(env[name]));
  if (jwtSources.length > 1) {
    problems.push(`${jwtSources.join(', ')}: set only one way to check JWT signatures`);
  }
  const callersConfigured = isSet(env.API_KEYS) || jwtSources.length > 0;
  const authDisabled = saysTrue(env.AUTH_DISABLED);
  if (authDisabled && callersConfigured) {
    problems.push('AUTH_DISABLED: cannot be true while API_KEYS or a JWT_* key is set');
  } else if ((production || live) && !callersConfigured && !authDisabled) {
    const why = live ? 'with real uSpeedo credentials, whatever NODE_ENV says' : 'in production';
    problems.push(
      `API_KEYS: callers are required ${why}: set API_KEYS (npm run api-key mints one) or JWT_JWKS_URL / JWT_PUBLIC_KEY / JWT_SECRET, ` +
        'or set AUTH_DISABLED=true to leave the endpoint open to anyone who can reach it',
    );
  }
  if (saysTrue(env.METRICS_PUBLIC) && isSet(env.METRICS_TOKEN)) {
    problems.push('METRICS_PUBLIC: cannot be true while METRICS_TOKEN is set');
  }
  const topologies = ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'].filter((name) => isSet(env[name]));
  if (topologies.length > 1) problems.push(`${topologies.join(', ')}: set exactly one way to reach Redis`);
  if (isSet(env.REDIS_SENTINELS) !== isSet(env.REDIS_SENTINEL_MASTER)) {
    problems.push(
      isSet(env.REDIS_SENTINELS)
        ? "REDIS_SENTINEL_MASTER: is required with REDIS_SENTINELS (the primary's name in Sentinel)"
        : 'REDIS_SENTINEL_MASTER: only applies with REDIS_SENTINELS',
    );
  }
  for (const name of ['REDIS_USERNAME', 'REDIS_PASSWORD']) {
    if (isSet(env[name]) && !isSet(env.REDIS_SENTINELS) && !isSet(env.REDIS_CLUSTER_NODES)) {
      problems.push(`${name}: only applies with REDIS_SENTINELS or REDIS_CLUSTER_NODES (REDIS_URL carries its own credentials)`);
    }
  }
  if (isSet(env.REDIS_SENTINEL_PASSWORD) && !isSet(env.REDIS_SENTINELS)) {
    problems.push('REDIS_SENTINEL_PASSWORD: only applies with REDIS_SENTINELS');
  }
  const usesRedis = topologies.length > 0;
  for (const name of ['REDIS_MIN_REPLICAS_ACKS', 'REDIS_ALLOW_VOLATILE', 'REDIS_WAIT_FOR_REPLICAS']) {
    if (isSet(env[name]) && !usesRedis) problems.push(`${name}: only applies with REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES`);
  }
  for (const name of ['JWT_ISSUER', 'JWT_AUDIENCE', 'JWT_MAX_AGE']) {
    if (isSet(env[name]) && jwtSources.length === 0) problems.push(`${name}: only applies with JWT_JWKS_URL, JWT_PUBLIC_KEY or JWT_SECRET`);
  }
  const mode = env.TRUSTED_DOCUMENTS_MODE?.trim();
  if ((mode === 'allow' || mode === 'require') && !isSet(env.TRUSTED_DOCUMENTS)) {
    problems.push(`TRUSTED_DOCUMENTS_MODE=${mode} needs TRUSTED_DOCUMENTS: the manifest of the documents your apps run`);
  }
  return problems;
}

function redisTopology(e: Variables): RedisTopology | null {
  const auth = (tls: boolean) => ({
    tls,
    ...(e.REDIS_USERNAME ? { username: e.REDIS_USERNAME } : {}),
    ...(e.REDIS_PASSWORD ? { password: e.REDIS_PASSWORD } : {}),
  });
  if (e.REDIS_URL) return { kind: 'single', url: e.REDIS_URL };
  if (e.REDIS_SENTINELS) {
    return {
      kind: 'sentinel',
      sentinels: e.REDIS_SENTINELS.nodes,
      master: e.REDIS_SENTINEL_MASTER!,
      auth: auth(e.REDIS_SENTINELS.tls),
      ...(e.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: e.REDIS_SENTINEL_PASSWORD } : {}),
    };
  }
  if (e.REDIS_CLUSTER_NODES) return { kind: 'cluster', nodes: e.REDIS_CLUSTER_NODES.nodes, auth: auth(e.REDIS_CLUSTER_NODES.tls) };
  return null;
}

function jwtKey(e: Pick<Variables, 'JWT_JWKS_URL' | 'JWT_PUBLIC_KEY' | 'JWT_SECRET'>): JwtKeySource | null {
  if (e.JWT_JWKS_URL) return { kind: 'jwks', url: e.JWT_JWKS_URL };
  if (e.JWT_PUBLIC_KEY) return { kind: 'public-key', pem: e.JWT_PUBLIC_KEY };
  if (e.JWT_SECRET) return { kind: 'secret', secret: e.JWT_SECRET };
  return null;
}

/**
 * Reads and validates the whole configuration from an environment. Pure: it never exits and never
 * reads files. Throws `ConfigError` listing every bad variable; messages never repeat a value.
 */
export function loadConfig(env: Env) {
  const { variables: e, problems } = readVariables(env);
  problems.push(...crossFieldProblems(env));
  if (problems.length > 0) throw new ConfigError(problems);

  const isProduction = e.NODE_ENV === 'production';
  const useSimulator = e.USPEEDO_SIMULATOR ?? !e.USPEEDO_ACCESS_KEY_ID;
  const live = !useSimulator && Boolean(e.USPEEDO_ACCESS_KEY_ID && e.USPEEDO_ACCESS_KEY_SECRET);
  const hardened = isProduction || live;
  const key = jwtKey(e);
  const open = e.API_KEYS.size === 0 && !key;
  // Decided again from what was parsed, not from which strings were set: no setting may leave a
  // hardened server without callers unless AUTH_DISABLED says so in words.
  if (hardened && open && !e.AUTH_DISABLED) {
    throw new ConfigError(['API_KEYS: no caller was parsed from the configuration; a hardened server needs callers or AUTH_DISABLED=true']);
  }
  const redis = redisTopology(e);
  // Every variable with a `config` path is already in place; what follows is what is derived.
  const placed = placeVariables(e);
  return {
    ...placed,
    isProduction,
    /**
     * True with real uSpeedo credentials (real money) or in production: callers required, introspection
     * and the Sandbox off unless asked for, schema hints hidden, /metrics closed, unexpected errors masked.
     * It follows the credentials, not NODE_ENV, so a typo there cannot open a paid endpoint.
     */
    hardened,
    introspection: e.GRAPHQL_INTROSPECTION ?? !hardened,
    /** Which documents may run: a manifest (read at start) and how strictly it is kept. */
    trustedDocuments: {
      path: e.TRUSTED_DOCUMENTS ?? null,
      mode: e.TRUSTED_DOCUMENTS_MODE ?? (e.TRUSTED_DOCUMENTS ? (hardened ? 'require' : 'allow') : 'off'),
    },
    uspeedo: {
      ...placed.uspeedo,
      /** Null exactly when the built-in simulator answers instead of uSpeedo. */
      credentials: live ? { accessKeyId: e.USPEEDO_ACCESS_KEY_ID!, accessKeySecret: e.USPEEDO_ACCESS_KEY_SECRET! } : null,
    },
    limits: placed.limits satisfies SmsLimitValues,
    auth: {
      /** sha256 hex of each API key → its caller id. The keys themselves are never configured. */
      apiKeys: e.API_KEYS as ReadonlyMap<string, string>,
      // A token's life is bounded by default where real money is at stake: a leaked one stops working.
      jwt: key
        ? { key, issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE, maxAge: e.JWT_MAX_AGE ?? (hardened ? HARDENED_JWT_MAX_AGE : undefined) }
        : null,
      /** True when no caller configuration is set: on the simulator outside production, or with AUTH_DISABLED=true. */
      open,
    },
    rateLimits: placed.rateLimits satisfies RateLimitValues,
    lookups: {
      ...placed.lookups,
      /** Look templates up before a send. */
      templateCheck: e.SMS_TEMPLATE_CHECK ?? false,
    },
    /** Where limits and idempotency records live: Redis when `redis` is set, else the SQLite file. */
    state: {
      ...placed.state,
      redis,
      /** A hardened server may use a Redis without AOF. */
      redisAllowVolatile: e.REDIS_ALLOW_VOLATILE ?? false,
      redisWaitForReplicas: e.REDIS_WAIT_FOR_REPLICAS ?? false,
      /** Replicas that must acknowledge a send's claim and charge before uSpeedo is called. */
      // Only a deployment with replicas can have a write on one; Sentinel and Cluster exist to have them.
      redisMinReplicasAcks: e.REDIS_MIN_REPLICAS_ACKS ?? (redis && redis.kind !== 'single' ? 1 : 0),
    },
    /** Bearer token `/metrics` requires; null leaves it open only when `metricsPublic`, else it answers 401. */
    metricsToken: e.METRICS_TOKEN ?? null,
    /** `/metrics` open to anyone without a token: outside a hardened posture, or with METRICS_PUBLIC=true. */
    metricsPublic: e.METRICS_PUBLIC ?? !hardened,
    tracing: tracingConfig(e),
  };
}

/** The `service.name` traces carry by default: this package's name. */
export const SERVICE_NAME = 'uspeedo-sms-graphql';

/** Where OpenTelemetry's standard endpoint variable sends traces when neither endpoint is set. */
const DEFAULT_OTLP_ENDPOINT = 'http://localhost:4318';

/**
 * OpenTelemetry tracing as the standard OTEL_* variables describe it, or null when it is off: no
 * endpoint and no OTEL_TRACES_EXPORTER=otlp, or OTEL_TRACES_EXPORTER=none, or OTEL_SDK_DISABLED=true.
 */
function tracingConfig(e: Variables) {
  const exporter = e.OTEL_TRACES_EXPORTER ?? (e.OTEL_EXPORTER_OTLP_ENDPOINT || e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? 'otlp' : 'none');
  if (exporter === 'none' || e.OTEL_SDK_DISABLED) return null;
  const sampler = e.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on';
  return {
    /** Where spans are posted. */
    url: e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? `${e.OTEL_EXPORTER_OTLP_ENDPOINT ?? DEFAULT_OTLP_ENDPOINT}/v1/traces`,
    protocol: e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
    /** Sent with every export; a backend's API key among them, so never logged. */
    headers: { ...e.OTEL_EXPORTER_OTLP_HEADERS, ...e.OTEL_EXPORTER_OTLP_TRACES_HEADERS },
    timeoutMs: e.OTEL_EXPORTER_OTLP_TIMEOUT ?? 10_000,
    resource: {
      ...e.OTEL_RESOURCE_ATTRIBUTES,
      'service.name': e.OTEL_SERVICE_NAME ?? e.OTEL_RESOURCE_ATTRIBUTES['service.name'] ?? SERVICE_NAME,
    },
    /** Whether a caller's sampled flag decides, and the share kept where none does. */
    sampler: {
      parentBased: sampler.startsWith('parentbased_'),
      ratio: sampler.endsWith('always_off') ? 0 : sampler.endsWith('traceidratio') ? (e.OTEL_TRACES_SAMPLER_ARG ?? 1) : 1,
    },
    /** Characters an attribute's value keeps; a caller's operation name or path is cut there. */
    attributeValueLengthLimit: e.OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT ?? e.OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT ?? 256,
    batch: {
      maxQueueSize: e.OTEL_BSP_MAX_QUEUE_SIZE,
      maxExportBatchSize: Math.min(e.OTEL_BSP_MAX_EXPORT_BATCH_SIZE, e.OTEL_BSP_MAX_QUEUE_SIZE),
      scheduledDelayMillis: e.OTEL_BSP_SCHEDULE_DELAY,
      exportTimeoutMillis: e.OTEL_BSP_EXPORT_TIMEOUT,
    },
  };
}

/** Tracing as configured, when it is on. */
export type TracingConfig = NonNullable<ReturnType<typeof tracingConfig>>;
