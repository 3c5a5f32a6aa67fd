import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisStateStore } from '../../src/guard/redis-state-store';
import { SqliteStateStore } from '../../src/guard/sqlite-state-store';
import type { CounterCharge, StateStore } from '../../src/guard/state-store';
import { RedisServer, redisAvailable } from '../support/redis-server';

// The charge contract, on both real stores: every counter or none, and each overflow named.
const stores: [string, () => Promise<{ store: StateStore; stop: () => Promise<void> }>][] = [
  ['SQLite', async () => {
    const store = new SqliteStateStore(join(mkdtempSync(join(tmpdir(), 'sms-store-')), 'state.db'));
    return { store, stop: () => store.close() };
  }],
];
if (redisAvailable()) {
  stores.push(['Redis', async () => {
    const redis = await RedisServer.start();
    const store = new RedisStateStore(redis.url);
    await store.ready(5_000);
    return { store, stop: async () => { await store.close(); await redis.stop(); } };
  }]);
}

describe.each(stores)('%s state store: charge', (_name, open) => {
  let store: StateStore;
  let stop: () => Promise<void>;
  const now = Date.now();
  const counter = (key: string, amount: number, limit: number, expiresAt = now + 60_000): CounterCharge => ({ key, amount, limit, expiresAt });
  beforeAll(async () => ({ store, stop } = await open()));
  afterAll(() => stop());

  it('charges every counter of a batch, many sharing a window, and counts on from there', async () => {
    const phones = Array.from({ length: 500 }, (_, i) => counter(`p:${i}`, 1, 2));
    expect(await store.charge([...phones, counter('caller', 500, 1000, now + 5_000)], now)).toEqual({ ok: true });
    expect(await store.charge([...phones, counter('caller', 500, 1000, now + 5_000)], now)).toEqual({ ok: true });
    // A third message to any of them overflows its counter of 2, and names exactly those.
    expect(await store.charge([counter('p:7', 1, 2), counter('fresh', 1, 2), counter('p:9', 1, 2)], now)).toEqual({ ok: false, exceeded: [0, 2] });
  });

  it('on an overflow charges nothing at all, not even the counters that had room', async () => {
    expect(await store.charge([counter('full', 1, 1)], now)).toEqual({ ok: true });
    const outcome = await store.charge([counter('roomy-a', 5, 5), counter('full', 1, 1), counter('roomy-b', 5, 5)], now);
    expect(outcome).toEqual({ ok: false, exceeded: [1] });
    // Had roomy-a or roomy-b kept their 5, another 5 would overflow them.
    expect(await store.charge([counter('roomy-a', 5, 5), counter('roomy-b', 5, 5)], now)).toEqual({ ok: true });
  });

  it('starts a counter again once its window has ended', async () => {
    const start = Date.now();
    expect(await store.charge([counter('window', 2, 2, start + 300)], start)).toEqual({ ok: true });
    expect(await store.charge([counter('window', 1, 2, start + 300)], start)).toEqual({ ok: false, exceeded: [0] });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const later = Date.now();
    expect(await store.charge([counter('window', 2, 2, later + 60_000)], later)).toEqual({ ok: true });
  });
});
