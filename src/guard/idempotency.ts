import { createHash } from 'node:crypto';
import { failure, success, SendBatchSmsSuccess, type SendBatchSmsError } from '../sms/send-batch-sms.result';
import type { IdempotencyClaim, StateStore } from './state-store';

type Result = SendBatchSmsSuccess | SendBatchSmsError;

/** What a claimed idempotency key answers: go ahead, or the stored result, or why not. */
export type IdempotencyDecision =
  | { kind: 'proceed'; release: () => Promise<void>; complete: (result: Result) => Promise<void> }
  | { kind: 'replay'; result: Result }
  | { kind: 'conflict' }
  | { kind: 'in-progress' };

/** Caller-scoped idempotency keys: one send per key, the same answer on every retry. */
export class Idempotency {
  constructor(
    private readonly store: StateStore,
    readonly ttlSeconds: number,
  ) {}

  /**
   * Claims `key` for this caller and payload. `payload` is the upstream body as sent, so two inputs
   * that normalise to the same batch (`13800138000` and `+8613800138000`) count as the same payload.
   */
  async claim(callerId: string, key: string, payload: string): Promise<IdempotencyDecision> {
    // Length-prefixed, so caller "a:b" with key "c" never meets caller "a" with key "b:c".
    const scoped = `${callerId.length}:${callerId}:${key}`;
    const fingerprint = createHash('sha256').update(payload).digest('base64url');
    const ttlMs = this.ttlSeconds * 1000;
    const claim: IdempotencyClaim = await this.store.claim(scoped, fingerprint, ttlMs, Date.now());
    switch (claim.state) {
      case 'claimed':
        return {
          kind: 'proceed',
          release: () => this.store.release(scoped, fingerprint),
          complete: (result) => this.store.complete(scoped, fingerprint, serialize(result), ttlMs, Date.now()),
        };
      case 'done':
        return { kind: 'replay', result: deserialize(claim.result) };
      default:
        return { kind: claim.state };
    }
  }
}

function serialize(result: Result): string {
  return JSON.stringify({ type: result instanceof SendBatchSmsSuccess ? 'success' : 'error', fields: result });
}

function deserialize(text: string): Result {
  const { type, fields } = JSON.parse(text) as { type: 'success' | 'error'; fields: never };
  return type === 'success' ? success(fields) : failure(fields);
}
