import { rateLimitedAnswer } from '../../src/sms/shared/rate-limited';
import { RateLimiter, type RateLimitValues, type Recipient } from '../../src/guard/rate-limits';
import { SqliteStateStore } from '../../src/guard/sqlite-state-store';
import { NO_LIMITS } from '../support/limits';

// The limiter's plan (pure) and its refusals, on a real in-memory SQLite store.
const limits = (over: Partial<RateLimitValues> = {}): RateLimitValues => ({
  ...NO_LIMITS,
  callerPerMinute: 10,
  callerPerDay: 100,
  phonePerHour: 2,
  phonePerDay: 3,
  globalPerDay: 1000,
  ...over,
});
const recipient = (e164: string, task = 0, target = 0): Recipient => ({ e164, task, target });
const NOW = Date.UTC(2026, 10, 26, 10, 30, 15);

describe('RateLimiter.plan', () => {
  const limiter = new RateLimiter(new SqliteStateStore(':memory:'), limits());

  it('charges each caller and global counter by the batch size, keyed by limit, subject and window', () => {
    const plan = limiter.plan('api-key:ops', [recipient('+8613800138000'), recipient('+8613900139000', 0, 1)], NOW);
    expect(plan.counters.map(({ name, key, amount, limit, expiresAt }) => ({ name, key, amount, limit, expiresAt }))).toEqual([
      {
        name: 'caller-minute',
        key: `rl:caller-minute:api-key:ops:${Math.floor(NOW / 60_000)}`,
        amount: 2,
        limit: 10,
        expiresAt: Date.UTC(2026, 10, 26, 10, 31),
      },
      {
        name: 'caller-day',
        key: `rl:caller-day:api-key:ops:${Math.floor(NOW / 86_400_000)}`,
        amount: 2,
        limit: 100,
        expiresAt: Date.UTC(2026, 10, 27),
      },
      {
        name: 'global-day',
        key: `rl:global-day:*:${Math.floor(NOW / 86_400_000)}`,
        amount: 2,
        limit: 1000,
        expiresAt: Date.UTC(2026, 10, 27),
      },
    ]);
    expect(plan.phones).toEqual({
      byAmount: [{ amount: 1, phones: ['8613800138000', '8613900139000'] }],
      hour: { index: Math.floor(NOW / 3_600_000), expiresAt: Date.UTC(2026, 10, 26, 11), limit: 2 },
      day: { index: Math.floor(NOW / 86_400_000), expiresAt: Date.UTC(2026, 10, 27), limit: 3 },
    });
  });

  it('groups a number sent several messages across tasks by how many it gets', () => {
    const plan = limiter.plan(
      'c',
      [recipient('+8613800138000', 0), recipient('+8613900139000', 0, 1), recipient('+8613800138000', 1)],
      NOW,
    );
    expect(plan.phones?.byAmount).toEqual([
      { amount: 2, phones: ['8613800138000'] },
      { amount: 1, phones: ['8613900139000'] },
    ]);
  });

  it('plans nothing for a limit of 0, and no per-number charges when both are off', () => {
    const off = new RateLimiter(
      new SqliteStateStore(':memory:'),
      limits({ callerPerMinute: 0, globalPerDay: 0, phonePerHour: 0, phonePerDay: 0 }),
    );
    const plan = off.plan('c', [recipient('+8613800138000')], NOW);
    expect(plan.counters.map((c) => c.name)).toEqual(['caller-day']);
    expect(plan.phones).toBeNull();
  });
});

describe('RateLimiter.charge', () => {
  it('refuses with a retryable refusal naming the limit and when to retry, and charges nothing', async () => {
    const limiter = new RateLimiter(new SqliteStateStore(':memory:'), limits({ callerPerMinute: 3, phonePerHour: 0, phonePerDay: 0 }));
    const batch = [recipient('+8613800138000'), recipient('+8613900139000', 0, 1)];
    expect((await limiter.charge('c', batch, NOW)).ok).toBe(true);
    const refused = await limiter.charge('c', batch, NOW);
    expect(refused).toEqual({
      ok: false,
      refusal: {
        limits: [{ name: 'caller-minute', limit: 3, retryAfterSeconds: 45, alone: false, perNumber: false }],
        recipients: [],
        numbers: 0,
        retryable: true,
        retryAfterSeconds: 45,
      },
    });
    if (refused.ok) return;
    expect(rateLimitedAnswer(refused.refusal, batch)).toEqual({
      message: "Rate limit reached: this caller's limit of 3 recipients per minute. Nothing was sent; retry after 45 s.",
      retryable: true,
      retryAfterSeconds: 45,
      fieldErrors: [],
    });
    // Nothing was taken by the refusal: one more recipient still fits.
    expect((await limiter.charge('c', [recipient('+8613700137000')], NOW)).ok).toBe(true);
  });

  it('says a batch larger than a limit by itself can never pass: not retryable, no wait', async () => {
    const limiter = new RateLimiter(new SqliteStateStore(':memory:'), limits({ callerPerMinute: 1 }));
    const batch = [recipient('+8613800138000'), recipient('+8613900139000', 0, 1)];
    const refused = await limiter.charge('c', batch, NOW);
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.refusal).toMatchObject({ retryable: false, retryAfterSeconds: null });
    expect(rateLimitedAnswer(refused.refusal, batch).message).toMatch(
      /alone is larger than this caller's limit of 1 recipients per minute: split it/,
    );
  });

  it('names every recipient whose number is over a per-number limit, by its place, as plain data; the SMS layer puts it at its path', async () => {
    const limiter = new RateLimiter(new SqliteStateStore(':memory:'), limits({ phonePerHour: 1 }));
    expect((await limiter.charge('c', [recipient('+8613800138000')], NOW)).ok).toBe(true);
    const batch = [recipient('+8613900139000', 0, 0), recipient('+8613800138000', 0, 1)];
    const refused = await limiter.charge('c', batch, NOW);
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.refusal.limits.map((l) => [l.name, l.perNumber])).toEqual([['phone-hour', true]]);
    expect(refused.refusal.recipients).toEqual([{ index: 1, name: 'phone-hour', limit: 1 }]);
    expect(rateLimitedAnswer(refused.refusal, batch).fieldErrors).toEqual([
      {
        path: ['taskContent', '0', 'target', '1', 'phone'],
        message: 'this number has reached the limit of 1 messages per number per hour',
      },
    ]);
    expect(refused.refusal.retryAfterSeconds).toBe(1785);
  });
});
