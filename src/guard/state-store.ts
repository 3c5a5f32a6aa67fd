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
interface PhoneWindow {
  /** Which window: `floor(now / size)`. A counter from an older window starts again from zero. */
  index: number;
  expiresAt: number;
  limit: number;
}

/**
 * The per-number counters of a batch: every number's hour and day counters, charged together. Numbers
 * are E.164 digits without the `+`, as strings: libphonenumber-js accepts numbers of up to 17 digits
 * with the country code (German ones among them), past a double's exact 15-16 digits. A store may key
 * them as 64-bit integers (19 digits), never as JavaScript numbers.
 */
export interface PhoneCharges {
  /** Distinct numbers, grouped by how many messages this batch sends to each (almost always one group, of 1). */
  byAmount: { amount: number; phones: string[] }[];
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
  phone: string;
  window: 'hour' | 'day';
}

/**
 * The store's answer to a charge: every counter charged, or none and those that would overflow
 * (`exceeded` indexes into `counters`).
 */
export type ChargeOutcome = { ok: true } | { ok: false; exceeded: number[]; phones: PhoneOverflow[] };

/** A new claim on an idempotency key. */
export interface ClaimRequest {
  key: string;
  fingerprint: string;
  now: number;
  /** How long the key is kept, from the claim, whatever becomes of it. */
  ttlMs: number;
  /** How long the claimant has to store a result; past it, the key's outcome is unknown for good. */
  leaseMs: number;
  /** The claiming request's id, so a later answer can point at its log lines. */
  requestId: string;
}

/** A session a send was answered, with how many receipts it will have when that is known without doubt. */
export interface SentSession {
  sessionNo: string;
  /** Recipients uSpeedo accepted in this session; null when the answer does not say which session holds which. */
  expected: number | null;
}

/** Sessions a caller sent, by session number, with their expected receipts (null when not known). */
export type KnownSessions = Map<string, number | null>;

/** A document kept whole, with the version a write must name so that two writers never overwrite each other. */
export interface StoredDocument {
  value: string;
  /** 1 for the first write, one more for each after it. */
  version: number;
}

/** What a caller's idempotency key already holds. */
export type IdempotencyClaim =
  | { state: 'claimed' }
  /** Claimed by a request whose lease runs until `leaseEndsAt` (ms since the epoch). */
  | { state: 'in-progress'; leaseEndsAt: number }
  /** Claimed, its lease over and no result stored: the claimant died or lost the store mid-send. */
  | { state: 'unknown'; claimedAt: number; requestId: string | null }
  | { state: 'conflict' }
  | { state: 'done'; result: string };

/**
 * Shared state for abuse limits, idempotency and the sessions each caller sent. Each method is one
 * round trip (one SQLite transaction, one Redis script or command; `replicate` one shared WAIT) and
 * throws `StateStoreUnavailableError` when the store cannot answer.
 */
export interface StateStore {
  /** Checks every counter and charges all of them, or none, atomically. */
  charge(request: ChargeRequest, now: number): Promise<ChargeOutcome>;
  /** What `charge` would answer now, charging nothing (a preview). A send may charge in between. */
  peek(request: ChargeRequest, now: number): Promise<ChargeOutcome>;
  /** Gives back what `charge` took, for a batch that provably never reached uSpeedo. */
  refund(request: ChargeRequest): Promise<void>;
  /**
   * Claims a key for a request, or reports what the key already holds. The record is kept for the
   * longer of the TTL and the lease, counted from the claim.
   */
  claim(request: ClaimRequest): Promise<IdempotencyClaim>;
  /**
   * Stores the result for a key this request claimed, kept until `ttlMs` after the claim. Only inside
   * the lease: once a key has been reported `unknown` its answer never changes. False when not stored.
   */
  complete(key: string, fingerprint: string, result: string, now: number, ttlMs: number): Promise<boolean>;
  /** Records that `scope` sent these sessions (uSpeedo's SessionNos), kept until `expiresAt`. */
  recordSessions(scope: string, sessions: readonly SentSession[], expiresAt: number): Promise<void>;
  /** Of `sessionNos`, those `scope` recorded and that are still kept, with their expected receipts. */
  knownSessions(scope: string, sessionNos: readonly string[], now: number): Promise<KnownSessions>;
  /** Forgets a claim whose request provably sent nothing, so the key can be used again. */
  release(key: string, fingerprint: string): Promise<void>;
  /** A document, or null when there is none or it has expired by `now`. */
  getDocument(key: string, now: number): Promise<StoredDocument | null>;
  /**
   * Writes a document only if it is still at `version` (0: none, or expired by `now`): its new version,
   * or null when another write came first. `expiresAt` null keeps it until it is deleted.
   */
  putDocument(key: string, value: string, version: number, expiresAt: number | null, now: number): Promise<number | null>;
  /**
   * Sets when documents expire (null: never), without rewriting them. The keys of one call share a
   * hash tag (`{…}`), as a Cluster runs a script on one slot only.
   */
  expireDocuments(keys: readonly string[], expiresAt: number | null): Promise<void>;
  /** Deletes documents; the keys of one call share a hash tag. */
  deleteDocuments(keys: readonly string[]): Promise<void>;
  /**
   * Resolves once what this process wrote for these keys is on as many replicas as configured
   * (`REDIS_MIN_REPLICAS_ACKS`); throws `ReplicationTimeoutError` when that cannot be had in time. A
   * store without replicas resolves at once.
   */
  replicate(writes: ReplicatedWrites): Promise<void>;
  /**
   * Why sends would be refused for the store's sake now, in a sentence, or null when they would not:
   * the store does not answer (with a Cluster: every primary, and every slot served), keeps no
   * append-only file where one is required, or has fewer replicas than a send must wait for.
   */
  readiness(): Promise<string | null>;
  close(): Promise<void>;
  /** `sqlite` or `redis`, for logs and readiness. */
  readonly kind: string;
}

/** What a send wrote before calling uSpeedo, to be replicated first. */
export interface ReplicatedWrites {
  /** The caller-scoped idempotency key it claimed, if any. */
  idempotencyKey?: string;
  /** Whether it charged the limits. */
  limits?: boolean;
}

/** What went wrong with the store, as metrics count it. */
export type StoreErrorKind = 'timeout' | 'connection' | 'late' | 'cluster' | 'readonly' | 'replication' | 'other';

/** What the store tells the metrics; every method optional. */
export interface StoreObserver {
  error?(kind: StoreErrorKind): void;
  /** A different primary answers than before (Sentinel's promotion, or a Cluster's slot moving to another primary). */
  failover?(): void;
  waitTimeout?(): void;
  /** The replicas connected (the fewest of any primary), each time they are counted, and how many a send needs. */
  replicas?(connected: number, needed: number): void;
}

/** The state store could not be reached or failed; nothing may be sent. */
export class StateStoreUnavailableError extends Error {
  override readonly name: string = 'StateStoreUnavailableError';

  constructor(cause: unknown) {
    super(`state store unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Fewer replicas than required acknowledged a send's claim and charge in time; nothing may be sent. */
export class ReplicationTimeoutError extends StateStoreUnavailableError {
  override readonly name = 'ReplicationTimeoutError';

  constructor(
    readonly acknowledged: number,
    readonly required: number,
  ) {
    super(new Error(`${acknowledged} of the ${required} replicas required acknowledged the write in time`));
  }
}
