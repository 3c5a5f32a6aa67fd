import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import { Cluster } from 'ioredis';
import { COMMAND_TIMEOUT_MS, connectRedis, type RedisTopology } from './redis-topology';
import {
  ReplicationTimeoutError,
  StateStoreUnavailableError,
  type ChargeOutcome,
  type ChargeRequest,
  type ClaimRequest,
  type IdempotencyClaim,
  type PhoneCharges,
  type PhoneOverflow,
  type ReplicatedWrites,
  type StateStore,
  type StoreErrorKind,
  type StoreObserver,
} from './state-store';

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

// Checks every counter and number first and charges only when all have room (SQLite charges first and
// rolls back), inside Redis so it is atomic across instances. KEYS: the caller and global counters, then (with per-number limits) the hour window's and
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
// instances' clocks, as SQLite's are). KEYS: the record, then (outside a Cluster) where versions before
// hash tags kept it, which is read, never claimed. ARGV: fingerprint, now, kept for (ms), lease end,
// request id, deadline; times travel as integer strings, which Lua's doubles would print in exponent form.
const CLAIM = `${UNLESS_LATE}
local record = redis.call('HMGET', KEYS[1], 'f', 'r', 'c', 'l', 'q')
if not record[1] and KEYS[2] then
  local old = redis.call('HMGET', KEYS[2], 'f', 'r', 'c', 'l', 'q')
  if old[1] then record = old end
end
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

// The key layout (README, "Running several instances"). A Cluster runs a script only on keys of one
// hash slot, so every limit counter and per-number hash carries the tag {limits}: one batch charges its
// caller's, the global and its numbers' counters atomically, on one primary. Idempotency records spread
// over 256 tags by a hash of the key; a caller's sessions share one tag, so one MGET finds them.
const LIMITS_TAG = '{limits}';
const limitKey = (key: string) => `${LIMITS_TAG}:${key}`;
// Each window's hash of per-number counts; it expires, whole, when its window ends.
const phoneHashes = (phones: PhoneCharges) => [
  limitKey(`rl:phone-hour:${phones.hour.index}`),
  limitKey(`rl:phone-day:${phones.day.index}`),
];
// Numbers as strings: Lua's numbers are doubles, and would print a 15-digit number in exponent form.
const phonesJson = (phones: PhoneCharges) => JSON.stringify(phones.byAmount.map((g) => [g.amount, g.phones]));

const idempotencyTag = (key: string) => `{i${createHash('sha256').update(key).digest('hex').slice(0, 2)}}`;
const idempotencyKey = (key: string) => `idem:${idempotencyTag(key)}:${key}`;
/** Where versions before hash tags kept a record; still read outside a Cluster until its TTL ends. */
const legacyIdempotencyKey = (key: string) => `idem:${key}`;

// One key per session a caller sent, expiring with the retention; the scope is length-prefixed so no
// two callers' keys can meet.
const sessionKey = (scope: string, sessionNo: string) => `sess:{${scope.length}:${scope}}:${sessionNo}`;
const legacySessionKey = (scope: string, sessionNo: string) => `sess:${scope.length}:${scope}:${sessionNo}`;

interface ScriptedCommands {
  smsCharge(keys: number, ...args: (string | number)[]): Promise<[number[], (string | number)[]] | 'late'>;
  smsRefund(keys: number, ...args: (string | number)[]): Promise<number>;
  smsClaim(keys: number, ...args: (string | number)[]): Promise<[string, string?, string?] | 'late'>;
  smsComplete(key: string, fingerprint: string, result: string, now: number, ttlMs: number): Promise<number>;
  smsRelease(key: string, fingerprint: string): Promise<number>;
}
type ScriptedRedis = (Redis | Cluster) & ScriptedCommands;

/** How the store behaves around replicas. */
export interface RedisStoreOptions {
  /** Replicas that must hold a send's claim and charge before uSpeedo is called (`WAIT`); 0 never waits. */
  minReplicasAcks?: number;
  /** How long to wait for them. */
  waitTimeoutMs?: number;
  /** Every connection error, as ioredis reports it (retries included). */
  onError?: (error: Error) => void;
  observer?: StoreObserver;
  /**
   * Refuse to charge or claim on a Redis without an append-only file, checked at every connection (a
   * hardened server without REDIS_ALLOW_VOLATILE): its restart would forget the keys.
   */
  requireAof?: boolean;
}

/** Redis's persistence settings, as `CONFIG GET append*` gives them. */
export interface RedisPersistence {
  appendonly: string;
  appendfsync: string;
}

/** What ioredis's error says went wrong, for the metrics. */
function errorKind(error: unknown): StoreErrorKind {
  const message = error instanceof Error ? error.message : String(error);
  if (/timed out/i.test(message)) return 'timeout';
  if (/^READONLY/.test(message)) return 'readonly';
  if (/^(CLUSTERDOWN|MOVED|ASK|TRYAGAIN)\b|Cluster isn't ready|Too many Cluster redirections/.test(message)) return 'cluster';
  if (/closed|writeable|ECONN|EPIPE|ETIMEDOUT|EHOSTUNREACH|offline queue|enableOfflineQueue|max retries/i.test(message)) {
    return 'connection';
  }
  return 'other';
}

/** A Cluster queues a command while no node serves its slot, with no timeout of its own: this is it. */
function withinCommandTimeout<T>(command: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('Command timed out (no Cluster node serves its slot)')), COMMAND_TIMEOUT_MS);
  });
  return Promise.race([command, timeout]).finally(() => clearTimeout(timer));
}

/**
 * WAITs, shared: a send's writes are on a replica once a marker written after them is. One round (a
 * marker SET and WAIT on a connection of their own, so WAIT never holds up other commands) is in flight
 * per hash tag; sends that wrote meanwhile share the next round, so WAIT's latency does not cap sends
 * a second.
 */
class ReplicaBarrier {
  private readonly running = new Map<string, Promise<number>>();
  private readonly queued = new Map<string, Promise<number>>();

  constructor(
    private readonly waiter: Redis | Cluster,
    private readonly replicas: number,
    private readonly timeoutMs: number,
  ) {}

  /** The replicas that acknowledged everything written, before this call, to the primary of `tag`'s slot. */
  acknowledged(tag: string): Promise<number> {
    const queued = this.queued.get(tag);
    if (queued) return queued;
    const inFlight = this.running.get(tag);
    if (!inFlight) return this.start(tag);
    // The round in flight may have written its marker before this send's writes: the next one has not.
    const next = inFlight.then(
      () => this.start(tag),
      () => this.start(tag),
    );
    this.queued.set(tag, next);
    return next;
  }

  private start(tag: string): Promise<number> {
    this.queued.delete(tag);
    const round = this.round(tag).finally(() => {
      if (this.running.get(tag) === round) this.running.delete(tag);
    });
    this.running.set(tag, round);
    return round;
  }

  // A pipeline goes to one primary in a Cluster: the one that holds the marker's slot, and the tag's.
  private async round(tag: string, redirected = false): Promise<number> {
    const marker = `wait:${tag}`;
    const answers = await this.waiter.pipeline().set(marker, '1', 'PX', 60_000).wait(this.replicas, this.timeoutMs).exec();
    if (!answers) throw new Error('WAIT was not run');
    for (const [error] of answers) {
      if (!error) continue;
      // The slot moved (a failover): ioredis follows MOVED for a command alone, not for a pipeline whose
      // keyless WAIT failed otherwise. One marker alone learns the new primary; then the round again.
      if (!redirected && /^(MOVED|ASK) /.test(error.message)) {
        await this.waiter.set(marker, '1', 'PX', 60_000);
        return this.round(tag, true);
      }
      throw error;
    }
    return Number(answers[1][1]);
  }
}

/** Limits and idempotency records in Redis (one node, Sentinel or Cluster), shared by every instance that points at it. */
export class RedisStateStore implements StateStore {
  readonly kind: string;
  private readonly redis: ScriptedRedis;
  private readonly waiter: Redis | Cluster | null;
  private readonly barrier: ReplicaBarrier | null;
  private readonly cluster: boolean;
  private readonly observer: StoreObserver;
  private readonly replicas: number;
  private readonly requireAof: boolean;
  private readonly onError: (error: Error) => void;
  /** Why claims and charges are refused, while the Redis answering keeps no append-only file. */
  private volatile: Error | null = null;

  /** Connects in the background; until Redis answers, every call fails with `StateStoreUnavailableError`. */
  constructor(
    topology: RedisTopology,
    { minReplicasAcks = 0, waitTimeoutMs = 500, onError = () => {}, observer = {}, requireAof = false }: RedisStoreOptions = {},
  ) {
    this.kind = topology.kind === 'single' ? 'redis' : `redis-${topology.kind}`;
    this.cluster = topology.kind === 'cluster';
    this.observer = observer;
    this.replicas = minReplicasAcks;
    this.requireAof = requireAof;
    this.onError = onError;
    this.redis = connectRedis(topology) as ScriptedRedis;
    this.redis.on('error', onError);
    this.redis.on('ready', () => void this.onReady());
    this.keepConnecting(this.redis);
    if (this.redis instanceof Cluster) this.redis.on('refresh', () => this.notePrimaries());
    this.redis.defineCommand('smsCharge', { lua: CHARGE });
    this.redis.defineCommand('smsRefund', { lua: REFUND });
    this.redis.defineCommand('smsClaim', { lua: CLAIM });
    this.redis.defineCommand('smsComplete', { lua: COMPLETE, numberOfKeys: 1 });
    this.redis.defineCommand('smsRelease', { lua: RELEASE, numberOfKeys: 1 });
    this.waiter = minReplicasAcks > 0 ? connectRedis(topology) : null;
    this.waiter?.on('error', () => {});
    if (this.waiter) this.keepConnecting(this.waiter);
    this.barrier = this.waiter ? new ReplicaBarrier(this.waiter, minReplicasAcks, waitTimeoutMs) : null;
  }

  private closed = false;

  // ioredis gives a connection up ('end') only when told to, or on a bug: the server must come back by
  // itself, so a connection that ends before close() starts again.
  private keepConnecting(client: Redis | Cluster): void {
    client.on('end', () => {
      if (this.closed) return;
      setTimeout(() => {
        if (!this.closed && client.status === 'end') client.connect().catch(() => {});
      }, 500).unref();
    });
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
  /** The primaries last seen, to count failovers. */
  private primaries: string | null = null;

  private async onReady(): Promise<void> {
    this.notePrimaries();
    if (this.requireAof) void this.checkPersistence();
    try {
      const sent = Date.now();
      const [seconds, micros] = await (this.redis instanceof Cluster ? this.redis.nodes('master')[0] : this.redis).time();
      const received = Date.now();
      this.clockOffsetMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - (sent + received) / 2;
    } catch {
      // Measured again on the next connection; until then the last offset stands.
    }
  }

  // At every connection, not only at start: a Redis unreachable at start, or restarted or replaced
  // since, is checked before it holds a claim.
  private async checkPersistence(): Promise<void> {
    // Until the answer comes, this connection's Redis is not trusted with a claim.
    this.volatile = new Error("the Redis primary's persistence is being checked");
    try {
      const settings = await this.persistence();
      if (settings && settings.appendonly !== 'yes') {
        this.volatile = new Error(
          'the Redis primary keeps no append-only file (appendonly no), and REDIS_ALLOW_VOLATILE is not set: sends are refused until it does',
        );
        this.onError(this.volatile);
      } else {
        this.volatile = null;
      }
    } catch {
      // Not answering: every command fails anyway. Asked again shortly, in case the connection stays.
      setTimeout(() => {
        if (!this.closed && this.redis.status === 'ready') void this.checkPersistence();
      }, 1000).unref();
    }
  }

  private refuseIfVolatile(): void {
    if (this.volatile) throw new StateStoreUnavailableError(this.volatile);
  }

  private notePrimaries(): void {
    const addresses =
      this.redis instanceof Cluster
        ? this.redis.nodes('master').map((node) => `${node.options.host}:${node.options.port}`)
        : [`${this.redis.stream?.remoteAddress}:${this.redis.stream?.remotePort}`];
    const seen = addresses.sort().join(',');
    if (this.primaries !== null && seen !== this.primaries) this.observer.failover?.();
    this.primaries = seen;
  }

  /** The latest moment, in Redis's clock, a command sent now may start and still be awaited. */
  private deadline(): number {
    return Math.floor(Date.now() + this.clockOffsetMs + COMMAND_TIMEOUT_MS - LATE_MARGIN_MS);
  }

  private async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await (this.cluster ? withinCommandTimeout(work()) : work());
    } catch (error) {
      this.observer.error?.(errorKind(error));
      throw new StateStoreUnavailableError(error);
    }
  }

  private late(what: string): never {
    this.observer.error?.('late');
    throw new StateStoreUnavailableError(new Error(`the ${what} reached Redis after its deadline and did nothing`));
  }

  async charge(request: ChargeRequest): Promise<ChargeOutcome> {
    this.refuseIfVolatile();
    const { counters, phones } = request;
    const keys = counters.map((c) => limitKey(c.key));
    const args: (string | number)[] = [counters.length];
    for (const c of counters) args.push(c.amount, c.limit, c.expiresAt);
    if (phones) {
      keys.push(...phoneHashes(phones));
      args.push(phonesJson(phones), phones.hour.limit, phones.hour.expiresAt, phones.day.limit, phones.day.expiresAt);
    }
    args.push(this.deadline());
    const answer = await this.run(() => this.redis.smsCharge(keys.length, ...keys, ...args));
    if (answer === 'late') this.late('charge');
    const [exceeded, over] = answer;
    if (exceeded.length === 0 && over.length === 0) return { ok: true };
    const overflows: PhoneOverflow[] = [];
    for (let i = 0; i < over.length; i += 2) overflows.push({ phone: String(over[i]), window: Number(over[i + 1]) === 1 ? 'hour' : 'day' });
    return { ok: false, exceeded, phones: overflows };
  }

  async refund(request: ChargeRequest): Promise<void> {
    const { counters, phones } = request;
    const keys = [...counters.map((c) => limitKey(c.key)), ...(phones ? phoneHashes(phones) : [])];
    const args: (string | number)[] = [counters.length, ...counters.map((c) => c.amount), ...(phones ? [phonesJson(phones)] : [])];
    await this.run(() => this.redis.smsRefund(keys.length, ...keys, ...args));
  }

  async claim({ key, fingerprint, now, ttlMs, leaseMs, requestId }: ClaimRequest): Promise<IdempotencyClaim> {
    this.refuseIfVolatile();
    const keys = this.cluster ? [idempotencyKey(key)] : [idempotencyKey(key), legacyIdempotencyKey(key)];
    const args = [fingerprint, now, Math.max(ttlMs, leaseMs), now + leaseMs, requestId, this.deadline()];
    const answer = await this.run(() => this.redis.smsClaim(keys.length, ...keys, ...args));
    if (answer === 'late') this.late('claim');
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
    const record = idempotencyKey(key);
    try {
      return (await this.run(() => this.redis.smsComplete(record, fingerprint, result, now, ttlMs))) === 1;
    } catch (error) {
      let stored: (string | null)[];
      try {
        stored = await this.redis.hmget(record, 'f', 'r');
      } catch {
        throw error;
      }
      return stored[0] === fingerprint && stored[1] === result;
    }
  }

  async release(key: string, fingerprint: string): Promise<void> {
    await this.run(() => this.redis.smsRelease(idempotencyKey(key), fingerprint));
  }

  async replicate({ idempotencyKey: key, limits }: ReplicatedWrites): Promise<void> {
    if (!this.barrier || (!key && !limits)) return;
    // Outside a Cluster one primary holds everything, and one replication stream carries it in order.
    const tags = new Set<string>();
    if (!this.cluster || limits) tags.add(LIMITS_TAG);
    if (this.cluster && key) tags.add(idempotencyTag(key));
    const barrier = this.barrier;
    const acknowledged = await this.run(() => Promise.all([...tags].map((tag) => barrier.acknowledged(tag))));
    const least = Math.min(...acknowledged);
    if (least < this.replicas) {
      this.observer.waitTimeout?.();
      this.observer.error?.('replication');
      throw new ReplicationTimeoutError(least, this.replicas);
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
    const keys = sessionNos.map((sessionNo) => sessionKey(scope, sessionNo));
    // Outside a Cluster, also where versions before hash tags kept them (after the new keys).
    if (!this.cluster) keys.push(...sessionNos.map((sessionNo) => legacySessionKey(scope, sessionNo)));
    const found = await this.run(() => this.redis.mget(keys));
    const n = sessionNos.length;
    return new Set(sessionNos.filter((_, i) => found[i] !== null || (found[n + i] ?? null) !== null));
  }

  /**
   * Redis's persistence settings (`appendonly`, `appendfsync`), or null when Redis refuses CONFIG (as
   * some managed services do). With a Cluster, the first primary found without AOF, else the first.
   */
  async persistence(): Promise<RedisPersistence | null> {
    const nodes = this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis];
    const found: RedisPersistence[] = [];
    for (const node of nodes) {
      try {
        const pairs = await node.config('GET', 'append*');
        const settings = new Map<string, string>();
        for (let i = 0; i + 1 < pairs.length; i += 2) settings.set(pairs[i], pairs[i + 1]);
        found.push({ appendonly: settings.get('appendonly') ?? 'no', appendfsync: settings.get('appendfsync') ?? 'everysec' });
      } catch (error) {
        if (node.status !== 'ready') throw new StateStoreUnavailableError(error);
        return null;
      }
    }
    return found.find((settings) => settings.appendonly !== 'yes') ?? found[0] ?? null;
  }

  async ping(): Promise<void> {
    this.refuseIfVolatile();
    await this.run(async () => {
      if (!(this.redis instanceof Cluster)) {
        await this.redis.ping();
        return;
      }
      const cluster = this.redis;
      if (cluster.status !== 'ready') throw new Error(`Cluster isn't ready (${cluster.status})`);
      // Every slot's primary, as this client would route to it: a primary that just died drops out of
      // the connections at once, while the Cluster still says ok until its node timeout passes.
      const live = new Map(cluster.nodes('master').map((node) => [`${node.options.host}:${node.options.port}`, node]));
      const owners = new Set<string>();
      for (let slot = 0; slot < 16384; slot++) owners.add(cluster.slots[slot]?.[0] ?? 'none');
      const primaries = [...owners].map((owner) => live.get(owner));
      if (primaries.some((node) => !node)) {
        // Asks the Cluster who serves the slots now, so the next check sees a promotion.
        cluster.refreshSlotsCache();
        throw new Error('CLUSTERDOWN: a slot has no reachable primary');
      }
      await Promise.all(primaries.map((node) => node!.ping()));
      const info = await primaries[0]!.cluster('INFO');
      if (!/cluster_state:ok/.test(info)) throw new Error('CLUSTERDOWN: the cluster reports a slot without a primary');
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.redis.disconnect();
    this.waiter?.disconnect();
  }
}
