import { createHash } from 'node:crypto';
import type { StateStore } from './state-store';

/** What a claimed idempotency key answers: go ahead, or the stored payload, or why not. Plain data. */
export type IdempotencyDecision =
  | {
      kind: 'proceed';
      /** The key as stored (scoped to its caller), for `StateStore.replicate`. */
      key: string;
      release: () => Promise<void>;
      complete: (payload: string) => Promise<boolean>;
    }
  | { kind: 'replay'; payload: string }
  | { kind: 'conflict' }
  /** Another request holds the key; its lease ends in `retryAfterSeconds` at the latest. */
  | { kind: 'in-progress'; retryAfterSeconds: number }
  /** The request that claimed the key may have sent and never stored its outcome: final for the key's TTL. */
  | { kind: 'outcome-unknown'; claimedAt: Date | null; requestId: string | null };

/**
 * How long past the upstream timeout a claimant may take to store its result: the charge before the
 * send and the store write after it (each bounded at 2 s by the stores) fit in it.
 */
export const LEASE_MARGIN_MS = 5_000;

/** Caller-scoped idempotency keys: one send per key, the same answer on every retry, across crashes too. */
export class Idempotency {
  /**
   * @param ttlSeconds how long a key is kept, from its claim.
   * @param leaseMs how long a claimant has to store its outcome before the key's outcome is unknown.
   */
  constructor(
    private readonly store: StateStore,
    readonly ttlSeconds: number,
    readonly leaseMs: number,
  ) {}

  /**
   * Claims `key` for this caller and payload. Only the payload's hash is kept: a claim with the same
   * key and another payload is a conflict. (The send gives its batch with every number in one form,
   * so a number written two ways is the same batch.)
   */
  async claim(callerId: string, key: string, payload: string, requestId: string): Promise<IdempotencyDecision> {
    // Length-prefixed, so caller "a:b" with key "c" never meets caller "a" with key "b:c".
    const scoped = `${callerId.length}:${callerId}:${key}`;
    const fingerprint = createHash('sha256').update(payload).digest('base64url');
    const now = Date.now();
    const claim = await this.store.claim({
      key: scoped,
      fingerprint,
      now,
      ttlMs: this.ttlSeconds * 1000,
      leaseMs: this.leaseMs,
      requestId,
    });
    switch (claim.state) {
      case 'claimed':
        return {
          kind: 'proceed',
          key: scoped,
          release: () => this.store.release(scoped, fingerprint),
          complete: (result) => this.store.complete(scoped, fingerprint, result, Date.now(), this.ttlSeconds * 1000),
        };
      case 'done':
        return { kind: 'replay', payload: claim.result };
      case 'in-progress':
        return { kind: 'in-progress', retryAfterSeconds: Math.max(1, Math.ceil((claim.leaseEndsAt - now) / 1000)) };
      case 'unknown':
        return { kind: 'outcome-unknown', claimedAt: claim.claimedAt > 0 ? new Date(claim.claimedAt) : null, requestId: claim.requestId };
      default:
        return { kind: claim.state };
    }
  }
}
