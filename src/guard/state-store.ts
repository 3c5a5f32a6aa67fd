/** One counter a batch touches (a caller's, or the global one): charged by `amount` only if it stays within `limit`. */
export interface CounterCharge {
  /** Unique per limit, subject and window, e.g. `rl:caller-day:api-key:billing:20417`. */
  key: string;
  amount: number;
  limit: number;
  /** When the window ends (ms since the epoch); the counter may be forgotten after that. */
  expiresAt: number;
}

/** One of the two per-number windows. `limit` 0 counts without checking. */
export interface PhoneWindow {
  /** Which window: `floor(now / size)`. A counter from an older window starts again from zero. */
  index: number;
  expiresAt: number;
  limit: number;
}

/**
 * The per-number counters of a batch: every number's hour and day counters, charged together. Numbers
 * are E.164 digits without the `+` as integers (at most 15 digits, exact in a double), so a store can
 * key them as integers rather than building a string key per recipient.
 */
export interface PhoneCharges {
  /** Distinct numbers, grouped by how many messages this batch sends to each (almost always one group, of 1). */
  byAmount: { amount: number; phones: number[] }[];
  hour: PhoneWindow;
  day: PhoneWindow;
}

/** Everything one batch charges, in one round trip. */
export interface ChargeRequest {
  counters: readonly CounterCharge[];
  phones: PhoneCharges | null;
}

/** A per-number counter a charge would overflow. */
export interface PhoneOverflow {
  phone: number;
  window: 'hour' | 'day';
}

/**
 * The store's answer to a charge: every counter charged, or none and those that would overflow
 * (`exceeded` indexes into `counters`).
 */
export type ChargeOutcome = { ok: true } | { ok: false; exceeded: number[]; phones: PhoneOverflow[] };

/** What a caller's idempotency key already holds. */
export type IdempotencyClaim =
  | { state: 'claimed' }
  | { state: 'in-progress' }
  | { state: 'conflict' }
  | { state: 'done'; result: string };

/**
 * Shared state for abuse limits and idempotency. Each method is one round trip (one SQLite
 * transaction, one Redis script) and throws `StateStoreUnavailableError` when the store cannot answer.
 */
export interface StateStore {
  /** Checks every counter and charges all of them, or none, atomically. */
  charge(request: ChargeRequest, now: number): Promise<ChargeOutcome>;
  /** Gives back what `charge` took, for a batch that provably never reached uSpeedo. */
  refund(request: ChargeRequest): Promise<void>;
  /** Claims `key` for a request with `fingerprint`, or reports what the key already holds. */
  claim(key: string, fingerprint: string, ttlMs: number, now: number): Promise<IdempotencyClaim>;
  /** Stores the result for a claimed key, kept for `ttlMs`. */
  complete(key: string, fingerprint: string, result: string, ttlMs: number, now: number): Promise<void>;
  /** Forgets a claim whose request provably sent nothing, so the key can be used again. */
  release(key: string, fingerprint: string): Promise<void>;
  /** Resolves when the store answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** `sqlite` or `redis`, for logs and readiness. */
  readonly kind: string;
}

/** The state store could not be reached or failed; nothing may be sent. */
export class StateStoreUnavailableError extends Error {
  override readonly name = 'StateStoreUnavailableError';

  constructor(cause: unknown) {
    super(`state store unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
