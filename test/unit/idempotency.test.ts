import { Idempotency } from '../../src/guard/idempotency';
import { SqliteStateStore } from '../../src/guard/sqlite-state-store';

// Idempotency's decisions over a real in-memory SQLite store.
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Idempotency', () => {
  const idempotency = (leaseMs = 5_000, ttlSeconds = 60) => new Idempotency(new SqliteStateStore(':memory:'), ttlSeconds, leaseMs);

  it('proceeds once, then replays the stored payload to the same caller and batch', async () => {
    const keys = idempotency();
    const first = await keys.claim('api-key:ops', 'k', '{"batch":1}', 'req-1');
    expect(first.kind).toBe('proceed');
    if (first.kind !== 'proceed') return;
    expect(await first.complete('{"result":1}')).toBe(true);
    expect(await keys.claim('api-key:ops', 'k', '{"batch":1}', 'req-2')).toEqual({ kind: 'replay', payload: '{"result":1}' });
  });

  it('scopes keys by caller, length-prefixed so no two callers can meet on one key', async () => {
    const keys = idempotency();
    expect((await keys.claim('a:b', 'c', 'p', 'r')).kind).toBe('proceed');
    expect((await keys.claim('a', 'b:c', 'p', 'r')).kind).toBe('proceed');
  });

  it('answers conflict for another batch under the same key', async () => {
    const keys = idempotency();
    await keys.claim('c', 'k', 'one', 'r');
    expect(await keys.claim('c', 'k', 'two', 'r')).toEqual({ kind: 'conflict' });
  });

  it('answers in-progress with the seconds left in the lease, then outcome-unknown for good', async () => {
    const keys = idempotency(300);
    await keys.claim('c', 'k', 'p', 'req-first');
    expect(await keys.claim('c', 'k', 'p', 'req-2')).toEqual({ kind: 'in-progress', retryAfterSeconds: 1 });
    await sleep(350);
    const unknown = await keys.claim('c', 'k', 'p', 'req-3');
    expect(unknown).toMatchObject({ kind: 'outcome-unknown', requestId: 'req-first' });
    expect(unknown.kind === 'outcome-unknown' && unknown.claimedAt).toBeInstanceOf(Date);
  });

  it('rounds the time left up: a lease of 7.5 s answers 8', async () => {
    const keys = idempotency(7_500);
    await keys.claim('c', 'k', 'p', 'r');
    expect(await keys.claim('c', 'k', 'p', 'r')).toEqual({ kind: 'in-progress', retryAfterSeconds: 8 });
  });

  it('frees a key whose request sent nothing, so the next claim proceeds', async () => {
    const keys = idempotency();
    const first = await keys.claim('c', 'k', 'p', 'r');
    if (first.kind !== 'proceed') throw new Error('expected proceed');
    await first.release();
    expect((await keys.claim('c', 'k', 'p', 'r')).kind).toBe('proceed');
  });

  it('does not store a result that comes after the lease', async () => {
    const keys = idempotency(100);
    const first = await keys.claim('c', 'k', 'p', 'r');
    if (first.kind !== 'proceed') throw new Error('expected proceed');
    await sleep(150);
    expect(await first.complete('late')).toBe(false);
    expect((await keys.claim('c', 'k', 'p', 'r')).kind).toBe('outcome-unknown');
  });
});
