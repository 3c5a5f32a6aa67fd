import { createPublicKey } from 'node:crypto';
import metadata from 'libphonenumber-js/metadata.min.json';
import { z } from 'zod';
import { SMS_LIMIT_CEILINGS, type SmsLimitValues } from '../sms/shared/sms-limits';
import { numericDefault, VARIABLES, type VariableName } from './variables';
import type { RateLimitValues } from '../guard/rate-limits';
import type { RedisNode, RedisTopology } from '../guard/redis-topology';
import type { UspeedoCredentials } from '../uspeedo/uspeedo.client';

/** Everything the server needs, validated. Built only by `loadConfig`. */
export interface Config {
  /** As given (default `development`). `production` also refuses to start on the simulator unasked. */
  nodeEnv: string;
  isProduction: boolean;
  /**
   * True with real uSpeedo credentials (real money) or in production: callers required, introspection
   * and the Sandbox off unless asked for, schema hints hidden, /metrics closed, unexpected errors masked.
   * It follows the credentials, not NODE_ENV, so a typo there cannot open a paid endpoint.
   */
  hardened: boolean;
  host: string;
  port: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Origins (scheme://host[:port]) allowed to call from a browser. */
  corsOrigins: string[];
  introspection: boolean;
  uspeedo: {
    baseUrl: string;
    timeoutMs: number;
    /** Lookups this process has at uSpeedo at once; more wait their turn. */
    lookupsInFlight: number;
    /** Null exactly when the built-in simulator answers instead of uSpeedo. */
    credentials: UspeedoCredentials | null;
  };
  limits: SmsLimitValues;
  auth: AuthConfig;
  rateLimits: RateLimitValues;
  idempotencyTtlSeconds: number;
  lookups: LookupConfig;
  state: StateConfig;
  /** Bearer token `/metrics` requires; null leaves it open only when `metricsPublic`, else it answers 401. */
  metricsToken: string | null;
  /** `/metrics` open to anyone without a token: outside a hardened posture, or with METRICS_PUBLIC=true. */
  metricsPublic: boolean;
  /** How long a client has to send a whole request, headers and body. */
  requestTimeoutMs: number;
  /** How long a shutdown waits for in-flight requests before giving up. */
  shutdownGraceMs: number;
}

/** Where a JWT's signature is checked against. */
export type JwtKeySource = { kind: 'jwks'; url: string } | { kind: 'public-key'; pem: string } | { kind: 'secret'; secret: string };

/** Who may call. With neither API keys nor JWTs every request runs as caller `anonymous`. */
export interface AuthConfig {
  /** sha256 hex of each API key → its caller id. The keys themselves are never configured. */
  apiKeys: ReadonlyMap<string, string>;
  jwt: { key: JwtKeySource; issuer: string | undefined; audience: string | undefined; maxAge: string | undefined } | null;
  /** True when no caller configuration is set: on the simulator outside production, or with AUTH_DISABLED=true. */
  open: boolean;
}

/** Delivery status and templates. */
interface LookupConfig {
  /** How long a caller's sent sessions are remembered as theirs. */
  retentionSeconds: number;
  statusCacheSeconds: number;
  templateCacheSeconds: number;
  /** Look templates up before a send. */
  templateCheck: boolean;
  simulatorReceiptDelaySeconds: number;
}

/** Where limits and idempotency records live: Redis when `redis` is set, else the SQLite file. */
interface StateConfig {
  sqlitePath: string;
  redis: RedisTopology | null;
  /** A hardened server may use a Redis without AOF. */
  redisAllowVolatile: boolean;
  /** Replicas that must acknowledge a send's claim and charge before uSpeedo is called. */
  redisMinReplicasAcks: number;
  redisWaitTimeoutMs: number;
}

/** Raised by `loadConfig` with every problem found, so one start reports them all. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

// A blank line in .env (`FOO=`) means "not set", as it does for most tools that read .env files.
const optional = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

function wholeNumber(min: number, max: number, fallback: number) {
  return optional.transform((value, ctx) => {
    if (value === undefined) return fallback;
    const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!(parsed >= min && parsed <= max)) {
      ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}` });
      return z.NEVER;
    }
    return parsed;
  });
}

const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);

function flag() {
  return optional.transform((value, ctx): boolean | undefined => {
    if (value === undefined) return undefined;
    const lower = value.toLowerCase();
    if (TRUE.has(lower)) return true;
    if (FALSE.has(lower)) return false;
    ctx.addIssue({ code: 'custom', message: 'must be true or false' });
    return z.NEVER;
  });
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) {
  return optional.transform((value, ctx): T[number] => {
    if (value === undefined) return fallback;
    if ((values as readonly string[]).includes(value)) return value;
    ctx.addIssue({ code: 'custom', message: `must be one of ${values.join(', ')}` });
    return z.NEVER;
  });
}

function httpUrl(fallback: string) {
  return optional.transform((value, ctx) => {
    const raw = value ?? fallback;
    const url = URL.canParse(raw) ? new URL(raw) : undefined;
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password) {
      ctx.addIssue({ code: 'custom', message: 'must be an http(s) URL without credentials, like https://api.uspeedo.com' });
      return z.NEVER;
    }
    return url.origin + url.pathname.replace(/\/+$/, '');
  });
}

const originList = optional.transform((value, ctx) => {
  if (value === undefined) return [];
  const origins: string[] = [];
  value.split(',').forEach((entry, index) => {
    const raw = entry.trim();
    if (raw === '') return;
    const url = URL.canParse(raw) ? new URL(raw) : undefined;
    // An origin has no path: "https://app.example.com/" is accepted and read as its origin.
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || (url.pathname !== '/' && url.pathname !== '')) {
      ctx.addIssue({ code: 'custom', message: `entry ${index + 1} is not an origin like https://app.example.com` });
      return;
    }
    origins.push(url.origin);
  });
  return origins;
});

const CALLER_ID = /^[\w.@-]{1,64}$/;
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

/**
 * Calls `each` with every entry of a comma-separated list, trimmed, and its position, in order; an
 * empty entry is a problem, never skipped: "API_KEYS=," once started a paid server with no key at all,
 * open to anyone.
 */
function eachStrictEntry(value: string, ctx: z.RefinementCtx, each: (raw: string, index: number) => void): void {
  value.split(',').forEach((entry, index) => {
    const raw = entry.trim();
    if (raw === '') ctx.addIssue({ code: 'custom', message: `entry ${index + 1} is empty (a stray comma?)` });
    else each(raw, index);
  });
}

// "callerId:sha256hex, …". Problems name the entry by position, never by its text.
const apiKeyList = optional.transform((value, ctx) => {
  const keys = new Map<string, string>();
  if (value === undefined) return keys;
  eachStrictEntry(value, ctx, (raw, index) => {
    const colon = raw.lastIndexOf(':');
    const callerId = raw.slice(0, colon);
    const hash = raw.slice(colon + 1).toLowerCase();
    if (colon < 0 || !CALLER_ID.test(callerId) || !SHA256_HEX.test(hash)) {
      ctx.addIssue({
        code: 'custom',
        message: `entry ${index + 1} must be callerId:sha256hex (callerId: letters, digits, . _ @ -; the hash: 64 hex digits)`,
      });
    } else if (keys.has(hash)) {
      ctx.addIssue({ code: 'custom', message: `entry ${index + 1} repeats the key hash of an earlier entry` });
    } else {
      keys.set(hash, callerId);
    }
  });
  if (keys.size === 0) ctx.addIssue({ code: 'custom', message: 'is set but yields no key: give callerId:sha256hex entries, or unset it' });
  return keys;
});

/** `host:port` entries, each optionally as redis:// or rediss://, all with the same scheme. */
const redisNodeList = optional.transform((value, ctx) => {
  if (value === undefined) return undefined;
  const nodes: RedisNode[] = [];
  const schemes = new Set<string>();
  eachStrictEntry(value, ctx, (raw, index) => {
    const withScheme = /^[a-z]+:\/\//i.test(raw) ? raw : `redis://${raw}`;
    const url = URL.canParse(withScheme) ? new URL(withScheme) : undefined;
    const port = url ? Number(url.port) : 0;
    if (!url || !['redis:', 'rediss:'].includes(url.protocol) || !url.hostname || !(port >= 1) || url.username || url.password) {
      ctx.addIssue({ code: 'custom', message: `entry ${index + 1} must be host:port (or rediss://host:port), without credentials` });
      return;
    }
    schemes.add(url.protocol);
    nodes.push({ host: url.hostname.replace(/^\[|\]$/g, ''), port });
  });
  if (schemes.size > 1) ctx.addIssue({ code: 'custom', message: 'mixes redis:// and rediss:// entries: use TLS for all or none' });
  return { nodes, tls: schemes.has('rediss:') };
});

const CALLING_CODES = new Set(Object.keys(metadata.country_calling_codes));

const countryCodeList = optional.transform((value, ctx) => {
  if (value === undefined) return [];
  const codes: string[] = [];
  value.split(',').forEach((entry, index) => {
    const code = entry.trim().replace(/^\+/, '');
    if (code === '') return;
    if (!CALLING_CODES.has(code)) {
      ctx.addIssue({ code: 'custom', message: `entry ${index + 1} is not a country calling code like 86 or 852` });
    } else if (!codes.includes(code)) {
      codes.push(code);
    }
  });
  return codes;
});

// PEM in one environment line usually arrives with literal "\n" for its line breaks.
const publicKeyPem = optional.transform((value, ctx) => {
  if (value === undefined) return undefined;
  const pem = value.replace(/\\n/g, '\n');
  try {
    const key = createPublicKey(pem);
    if (!['rsa', 'rsa-pss', 'ec', 'ed25519', 'ed448'].includes(key.asymmetricKeyType ?? '')) throw new Error('unsupported');
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an RSA, EC or Ed25519 public key in PEM (SPKI) form' });
    return z.NEVER;
  }
  return pem;
});

const jwtSecret = optional.transform((value, ctx) => {
  if (value !== undefined && Buffer.byteLength(value) < 32) {
    ctx.addIssue({ code: 'custom', message: 'must be at least 32 bytes (HS256)' });
    return z.NEVER;
  }
  return value;
});

function urlWithScheme(schemes: string[], example: string) {
  return optional.transform((value, ctx) => {
    if (value === undefined) return undefined;
    const url = URL.canParse(value) ? new URL(value) : undefined;
    if (!url || !schemes.includes(url.protocol)) {
      ctx.addIssue({ code: 'custom', message: `must be a URL like ${example}` });
      return z.NEVER;
    }
    return value;
  });
}

const rateLimit = (name: VariableName) => wholeNumber(0, 1_000_000_000, numericDefault(name));

const limit = (key: keyof SmsLimitValues, min: number) => wholeNumber(min, SMS_LIMIT_CEILINGS[key], SMS_LIMIT_CEILINGS[key]);

const envSchema = z.object({
  NODE_ENV: optional.transform((value) => value ?? VARIABLES.NODE_ENV.default),
  HOST: optional.transform((value) => value ?? VARIABLES.HOST.default),
  PORT: wholeNumber(0, 65535, numericDefault('PORT')),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], VARIABLES.LOG_LEVEL.default),
  CORS_ORIGINS: originList,
  GRAPHQL_INTROSPECTION: flag(),
  USPEEDO_BASE_URL: httpUrl(VARIABLES.USPEEDO_BASE_URL.default),
  USPEEDO_ACCESS_KEY_ID: optional,
  USPEEDO_ACCESS_KEY_SECRET: optional,
  USPEEDO_TIMEOUT_MS: wholeNumber(1, 600000, numericDefault('USPEEDO_TIMEOUT_MS')),
  USPEEDO_LOOKUPS_IN_FLIGHT: wholeNumber(1, 100, numericDefault('USPEEDO_LOOKUPS_IN_FLIGHT')),
  USPEEDO_SIMULATOR: flag(),
  SMS_MAX_TARGETS_PER_REQUEST: limit('maxTargetsPerRequest', 1),
  SMS_MAX_TASKS_PER_REQUEST: limit('maxTasksPerRequest', 1),
  SMS_MAX_TEMPLATE_PARAMS_PER_TARGET: limit('maxTemplateParamsPerTarget', 0),
  SMS_MAX_TEMPLATE_PARAM_LENGTH: limit('maxTemplateParamLength', 1),
  SMS_MAX_SENDER_ID_LENGTH: limit('maxSenderIdLength', 1),
  API_KEYS: apiKeyList,
  JWT_JWKS_URL: urlWithScheme(['https:', 'http:'], 'https://auth.example.com/.well-known/jwks.json'),
  JWT_PUBLIC_KEY: publicKeyPem,
  JWT_SECRET: jwtSecret,
  JWT_ISSUER: optional,
  JWT_AUDIENCE: optional,
  JWT_MAX_AGE: optional.transform((value, ctx) => {
    if (value !== undefined && !/^\d+\s*(s|sec|secs|m|min|mins|h|hr|hrs|hour|hours|d|day|days)?$/i.test(value)) {
      ctx.addIssue({ code: 'custom', message: 'must be a duration like 3600, 15m, 1h or 1d' });
      return z.NEVER;
    }
    return value;
  }),
  AUTH_DISABLED: flag(),
  RATE_LIMIT_CALLER_PER_MINUTE: rateLimit('RATE_LIMIT_CALLER_PER_MINUTE'),
  RATE_LIMIT_CALLER_PER_DAY: rateLimit('RATE_LIMIT_CALLER_PER_DAY'),
  RATE_LIMIT_PHONE_PER_HOUR: rateLimit('RATE_LIMIT_PHONE_PER_HOUR'),
  RATE_LIMIT_PHONE_PER_DAY: rateLimit('RATE_LIMIT_PHONE_PER_DAY'),
  RATE_LIMIT_GLOBAL_PER_DAY: rateLimit('RATE_LIMIT_GLOBAL_PER_DAY'),
  ALLOWED_COUNTRY_CODES: countryCodeList,
  RATE_LIMIT_STATUS_PER_MINUTE: rateLimit('RATE_LIMIT_STATUS_PER_MINUTE'),
  RATE_LIMIT_TEMPLATES_PER_MINUTE: rateLimit('RATE_LIMIT_TEMPLATES_PER_MINUTE'),
  DELIVERY_STATUS_RETENTION_SECONDS: wholeNumber(1, 90 * 86400, numericDefault('DELIVERY_STATUS_RETENTION_SECONDS')),
  STATUS_CACHE_SECONDS: wholeNumber(0, 86400, numericDefault('STATUS_CACHE_SECONDS')),
  TEMPLATE_CACHE_SECONDS: wholeNumber(0, 86400, numericDefault('TEMPLATE_CACHE_SECONDS')),
  SMS_TEMPLATE_CHECK: flag(),
  SIMULATOR_RECEIPT_DELAY_SECONDS: wholeNumber(0, 3600, numericDefault('SIMULATOR_RECEIPT_DELAY_SECONDS')),
  IDEMPOTENCY_TTL_SECONDS: wholeNumber(1, 30 * 86400, numericDefault('IDEMPOTENCY_TTL_SECONDS')),
  STATE_DB_PATH: optional.transform((value) => value ?? VARIABLES.STATE_DB_PATH.default),
  REDIS_URL: urlWithScheme(['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
  REDIS_ALLOW_VOLATILE: flag(),
  REDIS_SENTINELS: redisNodeList,
  REDIS_SENTINEL_MASTER: optional,
  REDIS_CLUSTER_NODES: redisNodeList,
  REDIS_USERNAME: optional,
  REDIS_PASSWORD: optional,
  REDIS_SENTINEL_PASSWORD: optional,
  REDIS_MIN_REPLICAS_ACKS: wholeNumber(0, 16, -1),
  REDIS_WAIT_TIMEOUT_MS: wholeNumber(10, 1500, numericDefault('REDIS_WAIT_TIMEOUT_MS')),
  METRICS_TOKEN: optional.transform((value, ctx) => {
    if (value !== undefined && value.length < 16) {
      ctx.addIssue({ code: 'custom', message: 'must be at least 16 characters' });
      return z.NEVER;
    }
    return value;
  }),
  METRICS_PUBLIC: flag(),
  SHUTDOWN_GRACE_MS: wholeNumber(0, 600000, numericDefault('SHUTDOWN_GRACE_MS')),
  REQUEST_TIMEOUT_MS: wholeNumber(100, 600000, numericDefault('REQUEST_TIMEOUT_MS')),
} satisfies Record<VariableName, z.ZodType>);

/** JWT_MAX_AGE when unset on a hardened server. */
const HARDENED_JWT_MAX_AGE = '1d';

const isSet = (value: string | undefined) => value !== undefined && value.trim() !== '';

// Rules across variables. They read only whether a variable is set, so they can run even when
// another variable failed to parse, and every problem is reported in one go.
function crossFieldProblems(env: Env): string[] {
  const problems: string[] = [];
  const hasId = isSet(env.USPEEDO_ACCESS_KEY_ID);
  const hasSecret = isSet(env.USPEEDO_ACCESS_KEY_SECRET);
  const simulator = env.USPEEDO_SIMULATOR?.trim().toLowerCase();
  const forcedOn = simulator !== undefined && TRUE.has(simulator);
  const forcedOff = simulator !== undefined && FALSE.has(simulator);
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
  const authDisabled = env.AUTH_DISABLED !== undefined && TRUE.has(env.AUTH_DISABLED.trim().toLowerCase());
  if (authDisabled && callersConfigured) {
    problems.push('AUTH_DISABLED: cannot be true while API_KEYS or a JWT_* key is set');
  } else if ((production || live) && !callersConfigured && !authDisabled) {
    const why = live ? 'with real uSpeedo credentials, whatever NODE_ENV says' : 'in production';
    problems.push(
      `API_KEYS: callers are required ${why}: set API_KEYS (npm run api-key mints one) or JWT_JWKS_URL / JWT_PUBLIC_KEY / JWT_SECRET, ` +
        'or set AUTH_DISABLED=true to leave the endpoint open to anyone who can reach it',
    );
  }
  if (isSet(env.METRICS_PUBLIC) && TRUE.has(env.METRICS_PUBLIC!.trim().toLowerCase()) && isSet(env.METRICS_TOKEN)) {
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
  for (const name of ['REDIS_MIN_REPLICAS_ACKS', 'REDIS_ALLOW_VOLATILE']) {
    if (isSet(env[name]) && !usesRedis) problems.push(`${name}: only applies with REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES`);
  }
  for (const name of ['JWT_ISSUER', 'JWT_AUDIENCE', 'JWT_MAX_AGE']) {
    if (isSet(env[name]) && jwtSources.length === 0) problems.push(`${name}: only applies with JWT_JWKS_URL, JWT_PUBLIC_KEY or JWT_SECRET`);
  }
  return problems;
}

function redisTopology(e: z.infer<typeof envSchema>): RedisTopology | null {
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

function jwtKey(e: { JWT_JWKS_URL?: string; JWT_PUBLIC_KEY?: string; JWT_SECRET?: string }): JwtKeySource | null {
  if (e.JWT_JWKS_URL) return { kind: 'jwks', url: e.JWT_JWKS_URL };
  if (e.JWT_PUBLIC_KEY) return { kind: 'public-key', pem: e.JWT_PUBLIC_KEY };
  if (e.JWT_SECRET) return { kind: 'secret', secret: e.JWT_SECRET };
  return null;
}

/**
 * Reads and validates the whole configuration from an environment. Pure: it never exits and never
 * reads files. Throws `ConfigError` listing every bad variable; messages never repeat a value.
 */
export function loadConfig(env: Env): Config {
  const parsed = envSchema.safeParse(env);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  problems.push(...crossFieldProblems(env));
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);

  const e = parsed.data;
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
  return {
    nodeEnv: e.NODE_ENV,
    isProduction,
    hardened,
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    corsOrigins: e.CORS_ORIGINS,
    introspection: e.GRAPHQL_INTROSPECTION ?? !hardened,
    uspeedo: {
      baseUrl: e.USPEEDO_BASE_URL,
      timeoutMs: e.USPEEDO_TIMEOUT_MS,
      lookupsInFlight: e.USPEEDO_LOOKUPS_IN_FLIGHT,
      credentials: live ? { accessKeyId: e.USPEEDO_ACCESS_KEY_ID!, accessKeySecret: e.USPEEDO_ACCESS_KEY_SECRET! } : null,
    },
    limits: {
      maxTargetsPerRequest: e.SMS_MAX_TARGETS_PER_REQUEST,
      maxTasksPerRequest: e.SMS_MAX_TASKS_PER_REQUEST,
      maxTemplateParamsPerTarget: e.SMS_MAX_TEMPLATE_PARAMS_PER_TARGET,
      maxTemplateParamLength: e.SMS_MAX_TEMPLATE_PARAM_LENGTH,
      maxSenderIdLength: e.SMS_MAX_SENDER_ID_LENGTH,
    },
    auth: {
      apiKeys: e.API_KEYS,
      // A token's life is bounded by default where real money is at stake: a leaked one stops working.
      jwt: key
        ? { key, issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE, maxAge: e.JWT_MAX_AGE ?? (hardened ? HARDENED_JWT_MAX_AGE : undefined) }
        : null,
      open,
    },
    rateLimits: {
      callerPerMinute: e.RATE_LIMIT_CALLER_PER_MINUTE,
      callerPerDay: e.RATE_LIMIT_CALLER_PER_DAY,
      phonePerHour: e.RATE_LIMIT_PHONE_PER_HOUR,
      phonePerDay: e.RATE_LIMIT_PHONE_PER_DAY,
      globalPerDay: e.RATE_LIMIT_GLOBAL_PER_DAY,
      statusPerMinute: e.RATE_LIMIT_STATUS_PER_MINUTE,
      templatesPerMinute: e.RATE_LIMIT_TEMPLATES_PER_MINUTE,
      allowedCountryCodes: e.ALLOWED_COUNTRY_CODES,
    },
    idempotencyTtlSeconds: e.IDEMPOTENCY_TTL_SECONDS,
    lookups: {
      retentionSeconds: e.DELIVERY_STATUS_RETENTION_SECONDS,
      statusCacheSeconds: e.STATUS_CACHE_SECONDS,
      templateCacheSeconds: e.TEMPLATE_CACHE_SECONDS,
      templateCheck: e.SMS_TEMPLATE_CHECK ?? false,
      simulatorReceiptDelaySeconds: e.SIMULATOR_RECEIPT_DELAY_SECONDS,
    },
    state: {
      sqlitePath: e.STATE_DB_PATH,
      redis,
      redisAllowVolatile: e.REDIS_ALLOW_VOLATILE ?? false,
      // Only a deployment with replicas can have a write on one; Sentinel and Cluster exist to have them.
      redisMinReplicasAcks: e.REDIS_MIN_REPLICAS_ACKS >= 0 ? e.REDIS_MIN_REPLICAS_ACKS : redis && redis.kind !== 'single' ? 1 : 0,
      redisWaitTimeoutMs: e.REDIS_WAIT_TIMEOUT_MS,
    },
    metricsToken: e.METRICS_TOKEN ?? null,
    metricsPublic: e.METRICS_PUBLIC ?? !hardened,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
  };
}
