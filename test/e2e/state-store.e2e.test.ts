import fc from 'fast-check';
import Redis from 'ioredis';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisStateStore } from '../../src/guard/redis-state-store';
import type { RedisTopology } from '../../src/guard/redis-topology';
import { SqliteStateStore } from '../../src/guard/sqlite-state-store';
import type { ChargeOutcome, ChargeRequest, CounterCharge, PhoneCharges, PhoneOverflow, StateStore } from '../../src/guard/state-store';
import { RedisServer, redisAvailable } from '../support/redis-server';
import { RedisClusterSet, RedisSentinelSet, topologiesAvailable } from '../support/redis-topologies';

/** Sessions as a send records them: each with its expected receipts, or null. */
const sent = (...sessions: [string, number | null][]) => sessions.map(([sessionNo, expected]) => ({ sessionNo, expected }));

// The charge contract, on both real stores: every counter and number or none, and each overflow named.
const stores: [string, () => Promise<{ store: StateStore; stop: () => Promise<void> }>][] = [
  [
    'SQLite',
    async () => {
      const store = new SqliteStateStore(join(mkdtempSync(join(tmpdir(), 'sms-store-')), 'state.db'));
      return { store, stop: () => store.close() };
    },
  ],
];
/** A store on Redis processes started for it, with `minReplicasAcks` replicas waited on. */
const onRedis = (start: () => Promise<{ topology: RedisTopology; stop: () => Promise<void> }>, minReplicasAcks: number) => async () => {
  const redis = await start();
  const store = new RedisStateStore(redis.topology, { minReplicasAcks });
  await store.ready(10_000);
  return {
    store,
    stop: async () => {
      await store.close();
      await redis.stop();
    },
  };
};
if (redisAvailable()) {
  const single = async () => {
    const redis = await RedisServer.start();
    return { topology: { kind: 'single' as const, url: redis.url }, stop: () => redis.stop() };
  };
  stores.push(['Redis', onRedis(single, 0)]);
}
// The same contract where Redis runs highly available, each write waited on by one replica.
if (topologiesAvailable()) {
  stores.push(['Redis Sentinel', onRedis(() => RedisSentinelSet.start(), 1)], ['Redis Cluster', onRedis(() => RedisClusterSet.start(), 1)]);
}

describe.each(stores)('%s state store: charge', (_name, open) => {
  let store: StateStore;
  let stop: () => Promise<void>;
  // Taken once the store is up: a Sentinel or Cluster takes seconds to start, past a test's short windows.
  let now = Date.now();
  const counter = (key: string, amount: number, limit: number, expiresAt = now + 60_000): CounterCharge => ({
    key,
    amount,
    limit,
    expiresAt,
  });
  const only = (...counters: CounterCharge[]): ChargeRequest => ({ counters, phones: null });
  // Numbers with hour and day windows; each test takes its own window indexes so tests do not share counts.
  const numbers = (
    index: number,
    hourLimit: number,
    dayLimit: number,
    byAmount: PhoneCharges['byAmount'],
    expiresAt = now + 60_000,
  ): PhoneCharges => ({
    byAmount,
    hour: { index, expiresAt, limit: hourLimit },
    day: { index, expiresAt, limit: dayLimit },
  });
  const refused = (exceeded: number[], phones: PhoneOverflow[]) => ({ ok: false, exceeded, phones });
  const sorted = (outcome: ChargeOutcome) =>
    outcome.ok
      ? outcome
      : { ...outcome, phones: [...outcome.phones].sort((a, b) => a.phone.localeCompare(b.phone) || a.window.localeCompare(b.window)) };
  beforeAll(async () => {
    ({ store, stop } = await open());
    now = Date.now();
  }, 60_000);
  afterAll(() => stop());

  it('charges every counter and every number of a batch, and counts on from there', async () => {
    const phones = Array.from({ length: 500 }, (_, i) => String(8613800100000 + i));
    const batch = { counters: [counter('caller', 500, 1000, now + 5_000)], phones: numbers(1, 2, 5, [{ amount: 1, phones }]) };
    expect(await store.charge(batch, now)).toEqual({ ok: true });
    expect(await store.charge(batch, now)).toEqual({ ok: true });
    // A third message to any of them overflows its hour counter of 2, and names exactly those.
    const third = numbers(1, 2, 5, [{ amount: 1, phones: [phones[7], '8613999999999', phones[9]] }]);
    expect(sorted(await store.charge({ counters: [], phones: third }, now))).toEqual(
      refused(
        [],
        [
          { phone: phones[7], window: 'hour' },
          { phone: phones[9], window: 'hour' },
        ],
      ),
    );
    // The caller's counter holds 1000 of 1000: one more overflows it.
    expect(await store.charge(only(counter('caller', 1, 1000, now + 5_000)), now)).toEqual(refused([0], []));
  });

  it('names both windows of a number, counts a number sent several messages by its amount, and checks no limit of 0', async () => {
    const p = '8615500000001';
    const q = '8615500000002';
    expect(
      await store.charge(
        {
          counters: [],
          phones: numbers(2, 3, 4, [
            { amount: 3, phones: [p] },
            { amount: 1, phones: [q] },
          ]),
        },
        now,
      ),
    ).toEqual({ ok: true });
    expect(sorted(await store.charge({ counters: [], phones: numbers(2, 3, 4, [{ amount: 2, phones: [p, q] }]) }, now))).toEqual(
      refused(
        [],
        [
          { phone: p, window: 'day' },
          { phone: p, window: 'hour' },
        ],
      ),
    );
    // With both limits off the numbers are counted but never refused.
    expect(await store.charge({ counters: [], phones: numbers(2, 0, 0, [{ amount: 50, phones: [p, q] }]) }, now)).toEqual({ ok: true });
  });

  it('on an overflow charges nothing at all, not even the counters and numbers that had room', async () => {
    const full = '8613700000001';
    const roomy = '8613700000002';
    expect(
      await store.charge({ counters: [counter('full', 1, 1)], phones: numbers(3, 1, 1, [{ amount: 1, phones: [full] }]) }, now),
    ).toEqual({ ok: true });
    const outcome = await store.charge(
      {
        counters: [counter('roomy-a', 5, 5), counter('full', 1, 1), counter('roomy-b', 5, 5)],
        phones: numbers(3, 1, 1, [{ amount: 1, phones: [roomy, full] }]),
      },
      now,
    );
    expect(sorted(outcome)).toEqual(
      refused(
        [1],
        [
          { phone: full, window: 'day' },
          { phone: full, window: 'hour' },
        ],
      ),
    );
    // Had roomy-a, roomy-b or the roomy number kept their charge, another would overflow them.
    expect(
      await store.charge(
        { counters: [counter('roomy-a', 5, 5), counter('roomy-b', 5, 5)], phones: numbers(3, 1, 1, [{ amount: 1, phones: [roomy] }]) },
        now,
      ),
    ).toEqual({ ok: true });
  });

  it('charges concurrent batches in arrival order, each all or nothing (SQLite commits them as one group)', async () => {
    const p = '8613400000001';
    const batch = (amount: number) => ({
      counters: [counter('concurrent', amount, 5)],
      phones: numbers(6, 2, 2, [{ amount: 1, phones: [p] }]),
    });
    // Sent in one turn of the event loop: the second overflows the counter and takes nothing, so the
    // third (which fits what the second would have taken) still passes; the fourth overflows the number.
    const outcomes = await Promise.all([
      store.charge(batch(2), now),
      store.charge(batch(4), now),
      store.charge(batch(3), now),
      store.charge(batch(0), now),
    ]);
    expect(outcomes.map(sorted)).toEqual([
      { ok: true },
      refused([0], []),
      { ok: true },
      refused(
        [],
        [
          { phone: p, window: 'day' },
          { phone: p, window: 'hour' },
        ],
      ),
    ]);
  });

  it('gives back a refunded charge, counters and numbers alike', async () => {
    const p = '8613600000001';
    const batch = { counters: [counter('refund', 2, 2)], phones: numbers(4, 1, 1, [{ amount: 1, phones: [p] }]) };
    expect(await store.charge(batch, now)).toEqual({ ok: true });
    expect(sorted(await store.charge(batch, now))).toEqual(
      refused(
        [0],
        [
          { phone: p, window: 'day' },
          { phone: p, window: 'hour' },
        ],
      ),
    );
    await store.refund(batch);
    expect(await store.charge(batch, now)).toEqual({ ok: true });
  });

  it("starts a counter again once its window has ended, and a number's hour again within its day", async () => {
    const start = Date.now();
    expect(await store.charge(only(counter('window', 2, 2, start + 300)), start)).toEqual({ ok: true });
    expect(await store.charge(only(counter('window', 1, 2, start + 300)), start)).toEqual(refused([0], []));
    await new Promise((resolve) => setTimeout(resolve, 400));
    const later = Date.now();
    expect(await store.charge(only(counter('window', 2, 2, later + 60_000)), later)).toEqual({ ok: true });

    const p = '8613500000001';
    const at = (hour: number) => ({
      counters: [],
      phones: {
        byAmount: [{ amount: 1, phones: [p] }],
        hour: { index: hour, expiresAt: later + 60_000, limit: 1 },
        day: { index: 5, expiresAt: later + 60_000, limit: 2 },
      },
    });
    expect(await store.charge(at(100), later)).toEqual({ ok: true });
    expect(sorted(await store.charge(at(100), later))).toEqual(refused([], [{ phone: p, window: 'hour' }]));
    // The next hour of the same day: the hour counts from zero, the day goes on to its limit of 2.
    expect(await store.charge(at(101), later)).toEqual({ ok: true });
    expect(sorted(await store.charge(at(102), later))).toEqual(refused([], [{ phone: p, window: 'day' }]));
  });

  it('peeks: answers what a charge would, charging nothing, however often it is asked', async () => {
    const p = '8613600000001';
    const q = '8613600000002';
    const batch = (amount: number): ChargeRequest => ({
      counters: [{ key: 'peek-caller', amount, limit: 3, expiresAt: now + 60_000 }],
      phones: numbers(40, 2, 5, [{ amount: 1, phones: [p, q] }]),
    });
    for (let i = 0; i < 5; i++) expect(await store.peek(batch(1), now)).toEqual({ ok: true });
    expect(await store.charge(batch(1), now)).toEqual({ ok: true });
    expect(await store.charge(batch(1), now)).toEqual({ ok: true });
    // Both numbers are at their hour limit of 2, the caller at 2 of 3: a third names the numbers only.
    const third = sorted(await store.peek(batch(1), now));
    expect(third).toEqual({
      ok: false,
      exceeded: [],
      phones: [
        { phone: p, window: 'hour' },
        { phone: q, window: 'hour' },
      ],
    });
    expect(sorted(await store.peek(batch(2), now))).toEqual({ ...third, exceeded: [0] });
    expect(sorted(await store.charge(batch(1), now))).toEqual(third);
    // Nothing was taken by the peeks: the caller's last unit is still there.
    expect(await store.charge({ counters: batch(1).counters, phones: null }, now)).toEqual({ ok: true });
  });

  it('peeks: names a number no batch has counted yet when this batch alone is over its limit, and a counter at its limit', async () => {
    const fresh = '8613600000003';
    expect(sorted(await store.peek({ counters: [], phones: numbers(41, 2, 0, [{ amount: 3, phones: [fresh] }]) }, now))).toEqual({
      ok: false,
      exceeded: [],
      phones: [{ phone: fresh, window: 'hour' }],
    });
    const full = { key: 'peek-full', amount: 1, limit: 1, expiresAt: now + 60_000 };
    expect(await store.peek({ counters: [full], phones: null }, now)).toEqual({ ok: true });
    expect(await store.charge({ counters: [full], phones: null }, now)).toEqual({ ok: true });
    expect(await store.peek({ counters: [full], phones: null }, now)).toEqual({ ok: false, exceeded: [0], phones: [] });
  });
});

describe.each(stores)('%s state store: per-number counters past 15 digits', (_name, open) => {
  it('keeps two 17-digit numbers that differ only in the last digit apart', async () => {
    const { store, stop } = await open();
    try {
      const now = Date.now();
      // Both parse as valid German numbers; as JavaScript numbers they are the same double.
      const [a, b] = ['49301234567890121', '49301234567890123'];
      expect(Number(a)).toBe(Number(b));
      const phones = (phone: string) => ({
        byAmount: [{ amount: 1, phones: [phone] }],
        hour: { index: 9, expiresAt: now + 60_000, limit: 5 },
        day: { index: 9, expiresAt: now + 60_000, limit: 0 },
      });
      for (let i = 0; i < 5; i++) expect(await store.charge({ counters: [], phones: phones(a) }, now)).toEqual({ ok: true });
      expect(await store.charge({ counters: [], phones: phones(a) }, now)).toEqual({
        ok: false,
        exceeded: [],
        phones: [{ phone: a, window: 'hour' }],
      });
      expect(await store.charge({ counters: [], phones: phones(b) }, now)).toEqual({ ok: true });
    } finally {
      await stop();
    }
  });
});

describe.each(stores)('%s state store: idempotency records', (_name, open) => {
  let store: StateStore;
  let stop: () => Promise<void>;
  beforeAll(async () => ({ store, stop } = await open()), 60_000);
  afterAll(() => stop());
  const claim = (key: string, now: number, over: Partial<{ fingerprint: string; ttlMs: number; leaseMs: number }> = {}) =>
    store.claim({ key, fingerprint: 'f1', now, ttlMs: 60_000, leaseMs: 1_000, requestId: 'req-1', ...over });

  it('is in progress inside the lease, then unknown for good: a late result is not stored', async () => {
    const t = Date.now();
    expect(await claim('k1', t)).toEqual({ state: 'claimed' });
    expect(await claim('k1', t + 400)).toEqual({ state: 'in-progress', leaseEndsAt: t + 1_000 });
    expect(await claim('k1', t + 1_000)).toEqual({ state: 'unknown', claimedAt: t, requestId: 'req-1' });
    // Too late to store a result: the key's answer stays unknown.
    expect(await store.complete('k1', 'f1', '{"late":true}', t + 1_001, 60_000)).toBe(false);
    expect(await claim('k1', t + 59_000)).toEqual({ state: 'unknown', claimedAt: t, requestId: 'req-1' });
    expect(await claim('k1', t + 1_000, { fingerprint: 'f2' })).toEqual({ state: 'conflict' });
  });

  it('stores a result inside the lease and keeps it for the TTL counted from the claim, not from the result', async () => {
    const t = Date.now();
    expect(await claim('k2', t, { ttlMs: 1_500, leaseMs: 1_000 })).toEqual({ state: 'claimed' });
    expect(await store.complete('k2', 'f1', 'stored', t + 900, 1_500)).toBe(true);
    expect(await store.complete('k2', 'f1', 'again', t + 950, 1_500)).toBe(false);
    expect(await claim('k2', t + 1_200)).toEqual({ state: 'done', result: 'stored' });
    // Redis expires the key on its own clock: wait the TTL out for real.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, t + 1_600 - Date.now())));
    expect(await claim('k2', Date.now())).toEqual({ state: 'claimed' });
  });

  it('keeps a record at least as long as its lease, whatever the TTL', async () => {
    const t = Date.now();
    expect(await claim('k3', t, { ttlMs: 100, leaseMs: 1_000 })).toEqual({ state: 'claimed' });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, t + 300 - Date.now())));
    expect(await claim('k3', t + 300)).toEqual({ state: 'in-progress', leaseEndsAt: t + 1_000 });
  });

  it('forgets a stored result at the TTL from the claim even when the lease is longer', async () => {
    const t = Date.now();
    expect(await claim('k5', t, { ttlMs: 300, leaseMs: 5_000 })).toEqual({ state: 'claimed' });
    expect(await store.complete('k5', 'f1', 'r', t + 50, 300)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, t + 400 - Date.now())));
    expect(await claim('k5', Date.now())).toEqual({ state: 'claimed' });
  });

  it('frees a key whose request sent nothing, and never one that holds a result', async () => {
    const t = Date.now();
    expect(await claim('k4', t)).toEqual({ state: 'claimed' });
    await store.release('k4', 'f1');
    expect(await claim('k4', t + 10)).toEqual({ state: 'claimed' });
    expect(await store.complete('k4', 'f1', 'r', t + 20, 60_000)).toBe(true);
    await store.release('k4', 'f1');
    expect(await claim('k4', t + 30)).toEqual({ state: 'done', result: 'r' });
  });
});

describe.each(stores)('%s state store: sent sessions', (_name, open) => {
  it("knows a scope's own sessions until they expire, and no other scope's", async () => {
    const { store, stop } = await open();
    try {
      const now = Date.now();
      await store.recordSessions('api-key:ops', sent(['s-1', 3], ['s-2', null]), now + 400);
      await store.recordSessions('api-key:web', sent(['s-3', 0]), now + 60_000);
      expect(await store.knownSessions('api-key:ops', ['s-2', 's-3', 's-9', 's-1'], now)).toEqual(
        new Map([
          ['s-2', null],
          ['s-1', 3],
        ]),
      );
      expect(await store.knownSessions('api-key:web', ['s-1', 's-3'], now)).toEqual(new Map([['s-3', 0]]));
      // Redis expires on its own clock: wait the retention out for real.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await store.knownSessions('api-key:ops', ['s-1', 's-2'], Date.now())).toEqual(new Map());
    } finally {
      await stop();
    }
  });

  it('records the sends of one moment together, each under its own scope (SQLite commits them as one group)', async () => {
    const { store, stop } = await open();
    try {
      const now = Date.now();
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store.recordSessions(`api-key:c${i % 5}`, sent([`s-${i}`, i], [`t-${i}`, null]), now + 60_000),
        ),
      );
      for (let c = 0; c < 5; c++) {
        const mine = Array.from({ length: 10 }, (_, k) => c + 5 * k).flatMap((i) => [`s-${i}`, `t-${i}`]);
        const known = await store.knownSessions(`api-key:c${c}`, [...mine, 's-999', `s-${(c + 1) % 5}`], now);
        expect(new Set(known.keys())).toEqual(new Set(mine));
        expect(known.get(`s-${c}`)).toBe(c);
        expect(known.get(`t-${c}`)).toBeNull();
      }
    } finally {
      await stop();
    }
  });
});

describe.each(stores)('%s state store: documents', (_name, open) => {
  let store: StateStore;
  let stop: () => Promise<void>;
  beforeAll(async () => ({ store, stop } = await open()), 60_000);
  afterAll(() => stop());

  it('writes a document only at the version it names, so of two writers from one version only the first wins', async () => {
    const now = Date.now();
    expect(await store.getDocument('t:{d1}:a', now)).toBeNull();
    expect(await store.putDocument('t:{d1}:a', 'one', 1, null, now)).toBeNull();
    expect(await store.putDocument('t:{d1}:a', 'one', 0, null, now)).toBe(1);
    expect(await store.putDocument('t:{d1}:a', 'again', 0, null, now)).toBeNull();
    const [first, second] = await Promise.all([
      store.putDocument('t:{d1}:a', 'two', 1, null, now),
      store.putDocument('t:{d1}:a', 'rival', 1, null, now),
    ]);
    expect([first, second].sort()).toEqual([2, null]);
    expect(await store.getDocument('t:{d1}:a', now)).toEqual({ value: first === 2 ? 'two' : 'rival', version: 2 });
  });

  it('forgets a document once it expires, and keeps one whose expiry was lifted', async () => {
    const now = Date.now();
    await store.putDocument('t:{d2}:a', 'short', 0, now + 300, now);
    await store.putDocument('t:{d2}:b', 'kept', 0, now + 300, now);
    await store.expireDocuments(['t:{d2}:b'], null);
    // Redis expires on its own clock: wait for real.
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(await store.getDocument('t:{d2}:a', Date.now())).toBeNull();
    // An expired document is none: a write at version 0 starts it again.
    expect(await store.putDocument('t:{d2}:a', 'new', 0, null, Date.now())).toBe(1);
    expect(await store.getDocument('t:{d2}:b', Date.now())).toEqual({ value: 'kept', version: 1 });
    await store.deleteDocuments(['t:{d2}:a', 't:{d2}:b']);
    expect(await store.getDocument('t:{d2}:b', Date.now())).toBeNull();
  });
});

describe('SQLite state store: group commits', () => {
  it('writes the sessions still waiting for their group commit when it closes', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sms-store-')), 'state.db');
    const store = new SqliteStateStore(path);
    const now = Date.now();
    const recorded = store.recordSessions('api-key:ops', sent(['s-1', 2]), now + 60_000);
    await store.close();
    await recorded;
    const reopened = new SqliteStateStore(path);
    try {
      expect(await reopened.knownSessions('api-key:ops', ['s-1'], now)).toEqual(new Map([['s-1', 2]]));
    } finally {
      await reopened.close();
    }
  });
});

// The quick charge (no read-back of the numbers when every one stays within its limits) must answer
// and count exactly as the exact charge it stands in front of, overflow or not.
describe('SQLite state store: the quick charge agrees with the exact one', () => {
  const phone = fc.constantFrom('8613800000001', '8613800000002', '8613800000003', '85255311111', '4915123456789012');
  const group = fc.record({ amount: fc.integer({ min: 1, max: 3 }), phones: fc.uniqueArray(phone, { minLength: 1, maxLength: 4 }) });
  const charge = fc.record({
    counters: fc.array(
      fc.record({ key: fc.constantFrom('a', 'b'), amount: fc.integer({ min: 0, max: 3 }), limit: fc.integer({ min: 0, max: 8 }) }),
      { maxLength: 2 },
    ),
    // Distinct numbers across a batch's groups, as the rate limiter plans them.
    groups: fc.option(fc.array(group, { minLength: 1, maxLength: 2 }), { nil: null }),
    hourIndex: fc.integer({ min: 0, max: 1 }),
    dayIndex: fc.integer({ min: 0, max: 1 }),
    hourLimit: fc.integer({ min: 0, max: 4 }),
    dayLimit: fc.integer({ min: 0, max: 6 }),
    refund: fc.boolean(),
  });

  it('on generated sequences of charges and refunds', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(charge, { minLength: 1, maxLength: 12 }), async (sequence) => {
        const quick = new SqliteStateStore(':memory:');
        const exact = new SqliteStateStore(':memory:', { quickCharges: false });
        try {
          const now = 1_000;
          for (const c of sequence) {
            const seen = new Set<string>();
            const byAmount = (c.groups ?? [])
              .map((g) => ({ amount: g.amount, phones: g.phones.filter((p) => !seen.has(p) && seen.add(p)) }))
              .filter((g) => g.phones.length > 0);
            const request: ChargeRequest = {
              counters: c.counters.map((k) => ({ key: k.key, amount: k.amount, limit: k.limit, expiresAt: now + 60_000 })),
              phones:
                byAmount.length > 0
                  ? {
                      byAmount,
                      hour: { index: c.hourIndex, expiresAt: now + 60_000, limit: c.hourLimit },
                      day: { index: c.dayIndex, expiresAt: now + 60_000, limit: c.dayLimit },
                    }
                  : null,
            };
            const [a, b] = await Promise.all([quick.charge(request, now), exact.charge(request, now)]);
            expect(a).toEqual(b);
            if (a.ok && c.refund) await Promise.all([quick.refund(request), exact.refund(request)]);
          }
        } finally {
          await quick.close();
          await exact.close();
        }
      }),
      { numRuns: 400, seed: 15 },
    );
  });
});

(redisAvailable() ? describe : describe.skip)('Redis state store: keys written before hash tags', () => {
  it('still answers from an old idempotency record (never claiming it again) and knows old sessions', async () => {
    const redis = await RedisServer.start();
    const store = new RedisStateStore({ kind: 'single', url: redis.url });
    const client = new Redis(redis.url);
    try {
      await store.ready(5_000);
      const now = Date.now();
      // As the version before Sentinel and Cluster support wrote them.
      await client.hset('uspeedo-sms:idem:3:ops:old-key', {
        f: 'fp',
        r: 'stored result',
        c: String(now),
        l: String(now + 60_000),
        q: 'r-1',
      });
      await client.hset('uspeedo-sms:idem:3:ops:old-flight', { f: 'fp', c: String(now), l: String(now + 60_000), q: 'r-2' });
      await client.set('uspeedo-sms:sess:3:ops:S-OLD', '1', 'PX', 60_000);
      const claim = (key: string, fingerprint = 'fp') =>
        store.claim({ key, fingerprint, now, ttlMs: 60_000, leaseMs: 10_000, requestId: 'r-9' });
      expect(await claim('3:ops:old-key')).toEqual({ state: 'done', result: 'stored result' });
      expect(await claim('3:ops:old-key', 'other')).toEqual({ state: 'conflict' });
      expect(await claim('3:ops:old-flight')).toEqual({ state: 'in-progress', leaseEndsAt: now + 60_000 });
      expect(await claim('3:ops:new-key')).toEqual({ state: 'claimed' });
      await store.recordSessions('ops', sent(['S-NEW', 1]), now + 60_000);
      // A session written before expected receipts ('1') is known, its receipts not.
      expect(await store.knownSessions('ops', ['S-OLD', 'S-NEW', 'S-NONE'])).toEqual(
        new Map([
          ['S-OLD', null],
          ['S-NEW', 1],
        ]),
      );
    } finally {
      client.disconnect();
      await store.close();
      await redis.stop();
    }
  });
});
