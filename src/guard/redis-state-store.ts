import Redis from 'ioredis';
import {
  StateStoreUnavailableError,
  type ChargeOutcome,
  type ChargeRequest,
  type ClaimRequest,
  type IdempotencyClaim,
  type PhoneCharges,
  type PhoneOverflow,
  type StateStore,
} from './state-store';

/** Every key this server writes starts with this, so it can share a Redis with other applications. */
const REDIS_KEY_PREFIX = 'uspeedo-sms:';
/** How long a command may take before the caller is told the store is unavailable. */
const COMMAND_TIMEOUT_MS = 2000;
/** A script must start this much before the command's timeout, or it does nothing (clock offset and delivery). */
const LATE_MARGIN_MS = 250;

// The first lines of every script that charges or claims: a script that runs after its deadline (the
// last ARGV, in Redis's own clock) does nothing and says 'late'. Redis runs a command queued while it
// was paused when it resumes; by then its caller was told the store was unavailable and nothing was
// sent, which the command must not make false. (replicate_commands: before Redis 7, a script that
// reads TIME may write only after it.)
const UNLESS_LATE = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local clock = redis.call('TIME')
if tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000) > tonumber(ARGV[#ARGV]) then return 'late' end
`;

// The same check-then-charge as the SQLite transaction, run inside Redis so it is atomic across
// instances. KEYS: the caller and global counters, then (with per-number limits) the hour window's and
// the day window's hash of per-number counts (field: the number's E.164 digits). ARGV: the counter
// count n, (amount, limit, expiresAt) per counter, then the numbers as one JSON array of
// [amount, [number, …]] groups and each window's limit and end, and last the deadline. Two hashes and
// one JSON argument cost a handful of arguments for 1000 recipients instead of 2000 keys. Returns
// {counter indexes (0-based), {number, window (1 hour, 2 day), …}} of what would overflow, nothing
// charged unless both are empty; or 'late', nothing charged.
const CHARGE = `${UNLESS_LATE}
local n = tonumber(ARGV[1])
local exceeded, over = {}, {}
for i = 1, n do
  if tonumber(redis.call('GET', KEYS[i]) or '0') + tonumber(ARGV[3 * i - 1]) > tonumber(ARGV[3 * i]) then
    exceeded[#exceeded + 1] = i - 1
  end
end
local a = 3 * n + 2
local groups = {}
if #KEYS > n then groups = cjson.decode(ARGV[a]) end
for w = 1, #KEYS - n do
  local limit = tonumber(ARGV[a + 2 * w - 1])
  if limit > 0 then
    for _, group in ipairs(groups) do
      local amount, phones = group[1], group[2]
      local counts = redis.call('HMGET', KEYS[n + w], unpack(phones))
      for i = 1, #phones do
        if tonumber(counts[i] or '0') + amount > limit then
          over[#over + 1] = phones[i]
          over[#over + 1] = w
        end
      end
    end
  end
end
if #exceeded > 0 or #over > 0 then return {exceeded, over} end
for i = 1, n do
  redis.call('INCRBY', KEYS[i], ARGV[3 * i - 1])
  redis.call('PEXPIREAT', KEYS[i], ARGV[3 * i + 1])
end
for w = 1, #KEYS - n do
  for _, group in ipairs(groups) do
    for _, phone in ipairs(group[2]) do redis.call('HINCRBY', KEYS[n + w], phone, group[1]) end
  end
  redis.call('PEXPIREAT', KEYS[n + w], ARGV[a + 2 * w])
end
return {exceeded, over}
`;

// KEYS as for CHARGE; ARGV: n, each counter's amount, then the numbers' JSON.
const REFUND = `
local n = tonumber(ARGV[1])
for i = 1, n do
  local current = tonumber(redis.call('GET', KEYS[i]) or '0')
  if current > 0 then redis.call('DECRBY', KEYS[i], math.min(current, tonumber(ARGV[i + 1]))) end
end
if #KEYS > n then
  for _, group in ipairs(cjson.decode(ARGV[n + 2])) do
    for w = 1, #KEYS - n do
      local counts = redis.call('HMGET', KEYS[n + w], unpack(group[2]))
      for i, phone in ipairs(group[2]) do
        local current = tonumber(counts[i] or '0')
        if current > 0 then redis.call('HINCRBY', KEYS[n + w], phone, -math.min(current, group[1])) end
      end
    end
  end
end
return 0
`;

// A record is a hash: f = fingerprint, r = stored result (absent while in flight), c = when it was
// claimed, l = when the claim's lease ends, q = the claiming request's id (ms since the epoch, from the
// instances' clocks, as SQLite's are). ARGV: fingerprint, now, kept for (ms), lease end, request id, deadline;
// times travel as integer strings, which Lua's doubles would print in exponent form.
const CLAIM = `${UNLESS_LATE}
local record = redis.call('HMGET', KEYS[1], 'f', 'r', 'c', 'l', 'q')
local now = tonumber(ARGV[2])
if not record[1] then
  redis.call('HSET', KEYS[1], 'f', ARGV[1], 'c', ARGV[2], 'l', ARGV[4], 'q', ARGV[5])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {'claimed'}
end
if record[1] ~= ARGV[1] then return {'conflict'} end
if record[2] then return {'done', record[2]} end
local lease = tonumber(record[4] or '0')
if lease > now then return {'in-progress', record[4]} end
return {'unknown', record[3] or '0', record[5] or ''}
`;

// Stores the result only inside the lease, kept until the TTL after the claim. ARGV: fingerprint,
// result, now, TTL (ms).
const COMPLETE = `
local record = redis.call('HMGET', KEYS[1], 'f', 'r', 'l', 'c')
if record[1] == ARGV[1] and not record[2] and tonumber(record[3] or '0') > tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], 'r', ARGV[2])
  redis.call('PEXPIREAT', KEYS[1], string.format('%.0f', tonumber(record[4]) + tonumber(ARGV[4])))
  return 1
end
return 0
`;

const RELEASE = `
if redis.call('HGET', KEYS[1], 'f') == ARGV[1] and redis.call('HEXISTS', KEYS[1], 'r') == 0 then
  redis.call('DEL', KEYS[1])
end
return 0
`;

// One key per session a caller sent, expiring with the retention; the scope is length-prefixed so no
// two callers' keys can meet.
const sessionKey = (scope: string, sessionNo: string) => `sess:${scope.length}:${scope}:${sessionNo}`;

// Each window's hash of per-number counts; it expires, whole, when its window ends.
const phoneHashes = (phones: PhoneCharges) => [`rl:phone-hour:${phones.hour.index}`, `rl:phone-day:${phones.day.index}`];
// Numbers as strings: Lua's numbers are doubles, and would print a 15-digit number in exponent form.
const phonesJson = (phones: PhoneCharges) => JSON.stringify(phones.byAmount.map((g) => [g.amount, g.phones]));

interface ScriptedRedis extends Redis {
  smsCharge(keys: number, ...args: (string | number)[]): Promise<[number[], (string | number)[]] | 'late'>;
  smsRefund(keys: number, ...args: (string | number)[]): Promise<number>;
  smsClaim(
    key: string,
    fingerprint: string,
    now: number,
    keepMs: number,
    leaseEnd: number,
    requestId: string,
    deadline: number,
  ): Promise<[string, string?, string?] | 'late'>;
  smsComplete(key: string, fingerprint: string, result: string, now: number, ttlMs: number): Promise<number>;
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
      // The commands of one turn of the event loop go out in one write. On a loopback connection each
      // write also runs Redis's side of TCP in this process: one write per command was most of the
      // Redis guard's CPU at 1 target.
      enableAutoPipelining: true,
      connectTimeout: 2000,
      commandTimeout: COMMAND_TIMEOUT_MS,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
      keyPrefix: REDIS_KEY_PREFIX,
    }) as ScriptedRedis;
    this.redis.on('error', onError);
    this.redis.on('ready', () => void this.measureClock());
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

  /** Redis's clock minus this process's, in ms, as last measured: scripts' deadlines are in Redis's clock. */
  private clockOffsetMs = 0;

  private async measureClock(): Promise<void> {
    try {
      const sent = Date.now();
      const [seconds, micros] = await this.redis.time();
      const received = Date.now();
      this.clockOffsetMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - (sent + received) / 2;
    } catch {
      // Measured again on the next connection; until then the last offset stands.
    }
  }

  /** The latest moment, in Redis's clock, a command sent now may start and still be awaited. */
  private deadline(): number {
    return Math.floor(Date.now() + this.clockOffsetMs + COMMAND_TIMEOUT_MS - LATE_MARGIN_MS);
  }

  private async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw new StateStoreUnavailableError(error);
    }
  }

  async charge(request: ChargeRequest): Promise<ChargeOutcome> {
    const { counters, phones } = request;
    const keys = counters.map((c) => c.key);
    const args: (string | number)[] = [counters.length];
    for (const c of counters) args.push(c.amount, c.limit, c.expiresAt);
    if (phones) {
      keys.push(...phoneHashes(phones));
      args.push(phonesJson(phones), phones.hour.limit, phones.hour.expiresAt, phones.day.limit, phones.day.expiresAt);
    }
    args.push(this.deadline());
    const answer = await this.run(() => this.redis.smsCharge(keys.length, ...keys, ...args));
    if (answer === 'late') throw new StateStoreUnavailableError(new Error('the charge reached Redis after its deadline and did nothing'));
    const [exceeded, over] = answer;
    if (exceeded.length === 0 && over.length === 0) return { ok: true };
    const overflows: PhoneOverflow[] = [];
    for (let i = 0; i < over.length; i += 2) overflows.push({ phone: String(over[i]), window: Number(over[i + 1]) === 1 ? 'hour' : 'day' });
    return { ok: false, exceeded, phones: overflows };
  }

  async refund(request: ChargeRequest): Promise<void> {
    const { counters, phones } = request;
    const keys = [...counters.map((c) => c.key), ...(phones ? phoneHashes(phones) : [])];
    const args: (string | number)[] = [counters.length, ...counters.map((c) => c.amount), ...(phones ? [phonesJson(phones)] : [])];
    await this.run(() => this.redis.smsRefund(keys.length, ...keys, ...args));
  }

  async claim({ key, fingerprint, now, ttlMs, leaseMs, requestId }: ClaimRequest): Promise<IdempotencyClaim> {
    const answer = await this.run(() =>
      this.redis.smsClaim(`idem:${key}`, fingerprint, now, Math.max(ttlMs, leaseMs), now + leaseMs, requestId, this.deadline()),
    );
    if (answer === 'late') throw new StateStoreUnavailableError(new Error('the claim reached Redis after its deadline and did nothing'));
    const [state, a, b] = answer;
    switch (state) {
      case 'done':
        return { state, result: a ?? '' };
      case 'in-progress':
        return { state, leaseEndsAt: Number(a) };
      case 'unknown':
        return { state, claimedAt: Number(a), requestId: b || null };
      default:
        return { state: state as 'claimed' | 'conflict' };
    }
  }

  /**
   * Stores a result inside its lease. When Redis's answer never came, the record is read back, so the
   * answer says what happened: a script that ran but whose reply was lost did store it.
   */
  async complete(key: string, fingerprint: string, result: string, now: number, ttlMs: number): Promise<boolean> {
    try {
      return (await this.run(() => this.redis.smsComplete(`idem:${key}`, fingerprint, result, now, ttlMs))) === 1;
    } catch (error) {
      let record: (string | null)[];
      try {
        record = await this.redis.hmget(`idem:${key}`, 'f', 'r');
      } catch {
        throw error;
      }
      return record[0] === fingerprint && record[1] === result;
    }
  }

  async recordSessions(scope: string, sessionNos: readonly string[], expiresAt: number): Promise<void> {
    if (sessionNos.length === 0) return;
    // Most sends are one session: one SET, where MULTI, SET and EXEC were three commands for ioredis
    // to encode and read back.
    if (sessionNos.length === 1) {
      await this.run(() => this.redis.set(sessionKey(scope, sessionNos[0]), '1', 'PXAT', expiresAt));
      return;
    }
    const transaction = this.redis.multi();
    for (const sessionNo of sessionNos) transaction.set(sessionKey(scope, sessionNo), '1', 'PXAT', expiresAt);
    await this.run(() => transaction.exec());
  }

  async knownSessions(scope: string, sessionNos: readonly string[]): Promise<Set<string>> {
    if (sessionNos.length === 0) return new Set();
    const found = await this.run(() => this.redis.mget(sessionNos.map((sessionNo) => sessionKey(scope, sessionNo))));
    return new Set(sessionNos.filter((_, i) => found[i] !== null));
  }

  async release(key: string, fingerprint: string): Promise<void> {
    await this.run(() => this.redis.smsRelease(`idem:${key}`, fingerprint));
  }

  /**
   * Redis's persistence settings (`appendonly`, `appendfsync`), or null when Redis refuses CONFIG (as
   * some managed services do).
   */
  async persistence(): Promise<{ appendonly: string; appendfsync: string } | null> {
    try {
      const pairs = await this.redis.config('GET', 'append*');
      const settings = new Map<string, string>();
      for (let i = 0; i + 1 < pairs.length; i += 2) settings.set(pairs[i], pairs[i + 1]);
      return { appendonly: settings.get('appendonly') ?? 'no', appendfsync: settings.get('appendfsync') ?? 'everysec' };
    } catch (error) {
      if (this.redis.status !== 'ready') throw new StateStoreUnavailableError(error);
      return null;
    }
  }

  async ping(): Promise<void> {
    await this.run(() => this.redis.ping());
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
