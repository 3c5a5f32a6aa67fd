import { z } from 'zod';
import { SMS_LIMIT_CEILINGS, type SmsLimitValues } from './sms/sms-limits';

/** uSpeedo access key pair; sent only as HTTP Basic credentials. */
export interface UspeedoCredentials {
  accessKeyId: string;
  accessKeySecret: string;
}

/** Everything the server needs, validated. Built only by `loadConfig`. */
export interface Config {
  /** As given (default `development`); only `production` changes behaviour. */
  nodeEnv: string;
  isProduction: boolean;
  host: string;
  port: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Origins (scheme://host[:port]) allowed to call from a browser. */
  corsOrigins: string[];
  introspection: boolean;
  uspeedo: {
    baseUrl: string;
    timeoutMs: number;
    /** Null exactly when the built-in simulator answers instead of uSpeedo. */
    credentials: UspeedoCredentials | null;
  };
  limits: SmsLimitValues;
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
    if ((values as readonly string[]).includes(value)) return value as T[number];
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

const limit = (key: keyof SmsLimitValues, min: number) =>
  wholeNumber(min, SMS_LIMIT_CEILINGS[key], SMS_LIMIT_CEILINGS[key]);

const envSchema = z.object({
  NODE_ENV: optional.transform((value) => value ?? 'development'),
  HOST: optional.transform((value) => value ?? '0.0.0.0'),
  PORT: wholeNumber(0, 65535, 4000),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  CORS_ORIGINS: originList,
  GRAPHQL_INTROSPECTION: flag(),
  USPEEDO_BASE_URL: httpUrl('https://api.uspeedo.com'),
  USPEEDO_ACCESS_KEY_ID: optional,
  USPEEDO_ACCESS_KEY_SECRET: optional,
  USPEEDO_TIMEOUT_MS: wholeNumber(1, 600000, 10000),
  USPEEDO_SIMULATOR: flag(),
  SMS_MAX_TARGETS_PER_REQUEST: limit('maxTargetsPerRequest', 1),
  SMS_MAX_TASKS_PER_REQUEST: limit('maxTasksPerRequest', 1),
  SMS_MAX_TEMPLATE_PARAMS_PER_TARGET: limit('maxTemplateParamsPerTarget', 0),
  SMS_MAX_TEMPLATE_PARAM_LENGTH: limit('maxTemplateParamLength', 1),
  SMS_MAX_SENDER_ID_LENGTH: limit('maxSenderIdLength', 1),
});

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

  if (hasId !== hasSecret) {
    problems.push(`${hasId ? 'USPEEDO_ACCESS_KEY_SECRET' : 'USPEEDO_ACCESS_KEY_ID'}: is required when ${hasId ? 'USPEEDO_ACCESS_KEY_ID' : 'USPEEDO_ACCESS_KEY_SECRET'} is set`);
  } else if (!hasId && !forcedOn && (production || forcedOff)) {
    const why = production
      ? 'in production (set USPEEDO_SIMULATOR=true to run on the simulator, which sends no SMS)'
      : 'when USPEEDO_SIMULATOR=false';
    problems.push(`USPEEDO_ACCESS_KEY_ID: is required ${why}`, `USPEEDO_ACCESS_KEY_SECRET: is required ${why}`);
  }
  return problems;
}

/**
 * Reads and validates the whole configuration from an environment. Pure: it never exits and never
 * reads files. Throws `ConfigError` listing every bad variable; messages never repeat a value.
 */
export function loadConfig(env: Env): Config {
  const parsed = envSchema.safeParse(env);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  problems.push(...crossFieldProblems(env));
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);

  const e = parsed.data;
  const isProduction = e.NODE_ENV === 'production';
  const useSimulator = e.USPEEDO_SIMULATOR ?? !e.USPEEDO_ACCESS_KEY_ID;
  return {
    nodeEnv: e.NODE_ENV,
    isProduction,
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    corsOrigins: e.CORS_ORIGINS,
    introspection: e.GRAPHQL_INTROSPECTION ?? !isProduction,
    uspeedo: {
      baseUrl: e.USPEEDO_BASE_URL,
      timeoutMs: e.USPEEDO_TIMEOUT_MS,
      credentials:
        useSimulator || !e.USPEEDO_ACCESS_KEY_ID || !e.USPEEDO_ACCESS_KEY_SECRET
          ? null
          : { accessKeyId: e.USPEEDO_ACCESS_KEY_ID, accessKeySecret: e.USPEEDO_ACCESS_KEY_SECRET },
    },
    limits: {
      maxTargetsPerRequest: e.SMS_MAX_TARGETS_PER_REQUEST,
      maxTasksPerRequest: e.SMS_MAX_TASKS_PER_REQUEST,
      maxTemplateParamsPerTarget: e.SMS_MAX_TEMPLATE_PARAMS_PER_TARGET,
      maxTemplateParamLength: e.SMS_MAX_TEMPLATE_PARAM_LENGTH,
      maxSenderIdLength: e.SMS_MAX_SENDER_ID_LENGTH,
    },
  };
}
