import { createHash } from 'node:crypto';
import type { PhoneCharges } from './state-store';

// The key layout (docs/scaling.md, "Running several instances"). A Cluster runs a script only on keys of one
// hash slot, so every limit counter and per-number hash carries the tag {limits}: one batch charges its
// caller's, the global and its numbers' counters atomically, on one primary. Idempotency records spread
// over 256 tags by a hash of the key; a caller's sessions share one tag, so one MGET finds them.
/** The hash tag of every limit counter and per-number hash. */
export const LIMITS_TAG = '{limits}';
/** A limit counter's key. */
export const limitKey = (key: string) => `${LIMITS_TAG}:${key}`;
/** Each window's hash of per-number counts; it expires, whole, when its window ends. */
export const phoneHashes = (phones: PhoneCharges) => [
  limitKey(`rl:phone-hour:${phones.hour.index}`),
  limitKey(`rl:phone-day:${phones.day.index}`),
];
/** A charge's numbers for the scripts, as strings: Lua's doubles would print a 15-digit number in exponent form. */
export const phonesJson = (phones: PhoneCharges) => JSON.stringify(phones.byAmount.map((g) => [g.amount, g.phones]));

/** The hash tag of an idempotency record: one of 256, from a hash of its key. */
export const idempotencyTag = (key: string) => `{i${createHash('sha256').update(key).digest('hex').slice(0, 2)}}`;
/** An idempotency record's key. */
export const idempotencyKey = (key: string) => `idem:${idempotencyTag(key)}:${key}`;
/**
 * Where versions before hash tags kept a record; still read outside a Cluster until its TTL ends (30
 * days at most). To be dropped in 0.2.0, with `legacySessionKey`: by then every such key has expired.
 */
export const legacyIdempotencyKey = (key: string) => `idem:${key}`;

/**
 * One key per session a caller sent, expiring with the retention; the scope is length-prefixed so no
 * two callers' keys can meet.
 */
export const sessionKey = (scope: string, sessionNo: string) => `sess:{${scope.length}:${scope}}:${sessionNo}`;
/** Where versions before hash tags kept a session; still read outside a Cluster. To be dropped in 0.2.0 (its retention is 90 days at most). */
export const legacySessionKey = (scope: string, sessionNo: string) => `sess:${scope.length}:${scope}:${sessionNo}`;

/**
 * A session key's value: `x` and its expected receipts (`x12`), or `x` alone when they are not known.
 * Versions before expected receipts wrote `1`, read as not known.
 */
export const sessionValue = (expected: number | null): string => (expected === null ? 'x' : `x${expected}`);

/** The expected receipts a session key's value holds; null when not known. */
export function expectedOf(value: string): number | null {
  const count = value.startsWith('x') ? Number.parseInt(value.slice(1), 10) : Number.NaN;
  return Number.isSafeInteger(count) && count >= 0 ? count : null;
}

/** A document's key: the caller's key (which carries its hash tag) under its own prefix. */
export const documentKey = (key: string) => `doc:${key}`;
