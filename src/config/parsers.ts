import { createPublicKey } from 'node:crypto';
import metadata from 'libphonenumber-js/metadata.min.json';
import { z } from 'zod';
import type { RedisNode } from '../guard/redis-topology';

// Every parser reads one variable's value, trimmed, with the table's default put in when it was unset
// or blank. An empty string is what a variable without a default reads as unset.

/** A value as given; unset reads as undefined. */
export const text = z.string().transform((value) => (value === '' ? undefined : value));

/** A value that always has one (the table gives a default). */
export const required = z.string();

/** `parser`, or undefined when the variable is unset. */
export const optional = <T>(parser: z.ZodType<T, string>) =>
  z
    .string()
    .transform((value) => (value === '' ? undefined : value))
    .pipe(parser.optional());

/** A whole number from `min` to `max`. */
export function wholeNumber(min: number, max: number) {
  return z.string().transform((value, ctx) => {
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

/** Whether `value` says true (true, 1, yes), for rules that read the raw environment. */
export const saysTrue = (value: string | undefined): boolean => value !== undefined && TRUE.has(value.trim().toLowerCase());
/** Whether `value` says false (false, 0, no). */
export const saysFalse = (value: string | undefined): boolean => value !== undefined && FALSE.has(value.trim().toLowerCase());

/** true or false; undefined when unset, so the posture can decide. */
export const flag = z.string().transform((value, ctx): boolean | undefined => {
  if (value === '') return undefined;
  if (saysTrue(value)) return true;
  if (saysFalse(value)) return false;
  ctx.addIssue({ code: 'custom', message: 'must be true or false' });
  return z.NEVER;
});

/** One of `values`. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.string().transform((value, ctx): T[number] => {
    if ((values as readonly string[]).includes(value)) return value;
    ctx.addIssue({ code: 'custom', message: `must be one of ${values.join(', ')}` });
    return z.NEVER;
  });
}

/** An http(s) URL without credentials, as its origin and path without a trailing slash. */
export const httpUrl = z.string().transform((value, ctx) => {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password) {
    ctx.addIssue({ code: 'custom', message: 'must be an http(s) URL without credentials, like https://api.uspeedo.com' });
    return z.NEVER;
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
});

/** A URL with one of `schemes`; undefined when unset. */
export function urlWithScheme(schemes: string[], example: string) {
  return text.transform((value, ctx) => {
    if (value === undefined) return undefined;
    const url = URL.canParse(value) ? new URL(value) : undefined;
    if (!url || !schemes.includes(url.protocol)) {
      ctx.addIssue({ code: 'custom', message: `must be a URL like ${example}` });
      return z.NEVER;
    }
    return value;
  });
}

/** Browser origins, comma-separated; empty entries skipped. */
export const originList = z.string().transform((value, ctx) => {
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

/** "callerId:sha256hex, …" as hash → caller id. Problems name the entry by position, never by its text. */
export const apiKeyList = z.string().transform((value, ctx) => {
  const keys = new Map<string, string>();
  if (value === '') return keys;
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

/** `host:port` entries, each optionally as redis:// or rediss://, all with the same scheme; undefined when unset. */
export const redisNodeList = z.string().transform((value, ctx) => {
  if (value === '') return undefined;
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

/** Country calling codes, comma-separated, `+` optional; repeats dropped. */
export const countryCodeList = z.string().transform((value, ctx) => {
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

/** A PEM public key. In one environment line it usually arrives with literal "\n" for its line breaks. */
export const publicKeyPem = text.transform((value, ctx) => {
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

/** Text at least `min` bytes or characters long (`why` follows the message); undefined when unset. */
export function atLeast(min: number, unit: 'bytes' | 'characters', why = '') {
  return text.transform((value, ctx) => {
    if (value !== undefined && (unit === 'bytes' ? Buffer.byteLength(value) : value.length) < min) {
      ctx.addIssue({ code: 'custom', message: `must be at least ${min} ${unit}${why}` });
      return z.NEVER;
    }
    return value;
  });
}

/** A duration as jose reads one (3600, 15m, 1h, 1d); undefined when unset. */
export const duration = text.transform((value, ctx) => {
  if (value !== undefined && !/^\d+\s*(s|sec|secs|m|min|mins|h|hr|hrs|hour|hours|d|day|days)?$/i.test(value)) {
    ctx.addIssue({ code: 'custom', message: 'must be a duration like 3600, 15m, 1h or 1d' });
    return z.NEVER;
  }
  return value;
});

/**
 * OpenTelemetry's `key=value,key2=value2` list (OTEL_EXPORTER_OTLP_HEADERS, OTEL_RESOURCE_ATTRIBUTES),
 * each part percent-decoded; empty when unset. Problems name the entry by position: a header is often
 * a collector's API key.
 */
export const keyValueList = z.string().transform((value, ctx) => {
  const pairs: Record<string, string> = {};
  if (value === '') return pairs;
  eachStrictEntry(value, ctx, (raw, index) => {
    const equals = raw.indexOf('=');
    const decoded = (part: string) => {
      try {
        return decodeURIComponent(part.trim());
      } catch {
        return undefined;
      }
    };
    const key = equals < 1 ? undefined : decoded(raw.slice(0, equals));
    const item = decoded(raw.slice(equals + 1));
    if (!key || item === undefined) ctx.addIssue({ code: 'custom', message: `entry ${index + 1} must be key=value (percent-encoded)` });
    else pairs[key] = item;
  });
  return pairs;
});

/** A number from 0 to 1 (a sampling ratio); undefined when unset. */
export const ratio = text.transform((value, ctx) => {
  if (value === undefined) return undefined;
  const parsed = /^\d*\.?\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(parsed >= 0 && parsed <= 1)) {
    ctx.addIssue({ code: 'custom', message: 'must be a number from 0 to 1' });
    return z.NEVER;
  }
  return parsed;
});
