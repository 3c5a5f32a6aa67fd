import Redis from 'ioredis';
import {
  StateStoreUnavailableError,
  type ChargeOutcome,
  type CounterCharge,
  type IdempotencyClaim,
  type StateStore,
  groupCharges,
} from './state-store';

/** Every key this server writes starts with this, so it can share a Redis with other applications. */
export const REDIS_KEY_PREFIX = 'uspeedo-sms:';

// The same check-then-charge as the SQLite transaction, run inside Redis so it is atomic across
// instances. KEYS come group by group; ARGV holds (key count, amount, limit, expiresAt) per group, so
// 1000 recipients cost a handful of arguments beside their keys. Returns the 0-based indexes (in
// KEYS) that would overflow.
const CHARGE = `
local exceeded = {}
local first = 1
for g = 1, #ARGV, 4 do
  local last, amount, limit = first + tonumber(ARGV[g]) - 1, tonumber(ARGV[g + 1]), tonumber(ARGV[g + 2])
  local counts = redis.call('MGET', unpack(KEYS, first, last))
  for i = first, last do
    if tonumber(counts[i - first + 1] or '0') + amount > limit then exceeded[#exceeded + 1] = i - 1 end
  end
  first = last + 1
end
if #exceeded > 0 then return exceeded end
first = 1
for g = 1, #ARGV, 4 do
  local last = first + tonumber(ARGV[g]) - 1
  for i = first, last do
    redis.call('INCRBY', KEYS[i], ARGV[g + 1])
    redis.call('PEXPIREAT', KEYS[i], ARGV[g + 3])
  end
  first = last + 1
end
return exceeded
`;

const REFUND = `
for i = 1, #KEYS do
  local current = tonumber(redis.call('GET', KEYS[i]) or '0')
  if current > 0 then redis.call('DECRBY', KEYS[i], math.min(current, tonumber(ARGV[i]))) end
end
return 0
`;

// A record is a hash: f = fingerprint, r = stored result (absent while in flight).
const CLAIM = `
local record = redis.call('HMGET', KEYS[1], 'f', 'r')
if not record[1] then
  redis.call('HSET', KEYS[1], 'f', ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {'claimed'}
end
if record[1] ~= ARGV[1] then return {'conflict'} end
if not record[2] then return {'in-progress'} end
return {'done', record[2]}
`;

const COMPLETE = `
if redis.call('HGET', KEYS[1], 'f') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'r', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 0
`;

const RELEASE = `
if redis.call('HGET', KEYS[1], 'f') == ARGV[1] and redis.call('HEXISTS', KEYS[1], 'r') == 0 then
  redis.call('DEL', KEYS[1])
end
return 0
`;

interface ScriptedRedis extends Redis {
  smsCharge(keys: number, ...args: (string | number)[]): Promise<number[]>;
  smsRefund(keys: number, ...args: (string | number)[]): Promise<number>;
  smsClaim(key: string, fingerprint: string, ttlMs: number): Promise<[string, string?]>;
  smsComplete(key: string, fingerprint: string, result: string, ttlMs: number): Promise<number>;
  smsRelease(key: string, fingerprint: string): Promise<number>;
}

/** Limits and idempotency records in Redis, shared by every instance that points at it. */
export class RedisStateStore implements StateStore {
  readonly kind = 'redis';
  private readonly redis: ScriptedRedis;

  /** Connects in the background; until Redis answers, every call fails with `StateStoreUnavailableError`. */
  constructor(url: string, onError: (error: Error) => void = () => {}) {
    this.redis = new Redis(url, {
      // Fail at once while disconnected instead of queueing: a queued charge could land after the
      // caller was told nothing was sent.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      commandTimeout: 2000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
      keyPrefix: REDIS_KEY_PREFIX,
    }) as ScriptedRedis;
    this.redis.on('error', onError);
    this.redis.defineCommand('smsCharge', { lua: CHARGE });
    this.redis.defineCommand('smsRefund', { lua: REFUND });
    this.redis.defineCommand('smsClaim', { lua: CLAIM, numberOfKeys: 1 });
    this.redis.defineCommand('smsComplete', { lua: COMPLETE, numberOfKeys: 1 });
    this.redis.defineCommand('smsRelease', { lua: RELEASE, numberOfKeys: 1 });
  }

  /** Resolves once connected, or after `timeoutMs` whether or not it connected. */
  async ready(timeoutMs: number): Promise<boolean> {
    if (this.redis.status === 'ready') return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(false), timeoutMs);
      const onReady = () => done(true);
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        resolve(ok);
      };
      this.redis.once('ready', onReady);
    });
  }

  private async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw new StateStoreUnavailableError(error);
    }
  }

  async charge(charges: readonly CounterCharge[]): Promise<ChargeOutcome> {
    if (charges.length === 0) return { ok: true };
    const groups = groupCharges(charges);
    const keys = groups.flatMap((g) => g.keys);
    const args = groups.flatMap((g) => [g.keys.length, g.amount, g.limit, g.expiresAt]);
    const exceeded = await this.run(() => this.redis.smsCharge(keys.length, ...keys, ...args));
    if (exceeded.length === 0) return { ok: true };
    const indexes = groups.flatMap((g) => g.indexes);
    return { ok: false, exceeded: exceeded.map((i) => indexes[i]!).sort((a, b) => a - b) };
  }

  async refund(charges: readonly CounterCharge[]): Promise<void> {
    if (charges.length === 0) return;
    await this.run(() => this.redis.smsRefund(charges.length, ...charges.map((c) => c.key), ...charges.map((c) => c.amount)));
  }

  async claim(key: string, fingerprint: string, ttlMs: number): Promise<IdempotencyClaim> {
    const [state, result] = await this.run(() => this.redis.smsClaim(`idem:${key}`, fingerprint, ttlMs));
    if (state === 'done') return { state, result: result ?? '' };
    return { state: state as 'claimed' | 'in-progress' | 'conflict' };
  }

  async complete(key: string, fingerprint: string, result: string, ttlMs: number): Promise<void> {
    await this.run(() => this.redis.smsComplete(`idem:${key}`, fingerprint, result, ttlMs));
  }

  async release(key: string, fingerprint: string): Promise<void> {
    await this.run(() => this.redis.smsRelease(`idem:${key}`, fingerprint));
  }

  async ping(): Promise<void> {
    await this.run(() => this.redis.ping());
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
