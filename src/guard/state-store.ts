/** One counter a batch touches: charged by `amount` only if it stays within `limit`. */
export interface CounterCharge {
  /** Unique per limit, subject and window, e.g. `phone-hour:+8613800138000:493812`. */
  key: string;
  amount: number;
  limit: number;
  /** When the window ends (ms since the epoch); the counter may be forgotten after that. */
  expiresAt: number;
}

/** The store's answer to a charge: all counters charged, or none and the indexes of those that would overflow. */
export type ChargeOutcome = { ok: true } | { ok: false; exceeded: number[] };

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
  charge(charges: readonly CounterCharge[], now: number): Promise<ChargeOutcome>;
  /** Gives back what `charge` took, for a batch that provably never reached uSpeedo. */
  refund(charges: readonly CounterCharge[]): Promise<void>;
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

/** Counters that share an amount, a window end and a limit, as a batch's per-number counters do. */
export interface ChargeGroup {
  amount: number;
  expiresAt: number;
  limit: number;
  keys: string[];
  /** Each key's index in the charges it came from. */
  indexes: number[];
}

/** Charges grouped by (amount, window end, limit): 1000 recipients' counters fall into a few groups. */
export function groupCharges(charges: readonly CounterCharge[]): ChargeGroup[] {
  const groups = new Map<string, ChargeGroup>();
  charges.forEach((c, i) => {
    const id = `${c.amount}:${c.expiresAt}:${c.limit}`;
    const group = groups.get(id);
    if (group) {
      group.keys.push(c.key);
      group.indexes.push(i);
    } else {
      groups.set(id, { amount: c.amount, expiresAt: c.expiresAt, limit: c.limit, keys: [c.key], indexes: [i] });
    }
  });
  return [...groups.values()];
}
