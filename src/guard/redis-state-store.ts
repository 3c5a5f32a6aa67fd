import type Redis from 'ioredis';
import { Cluster } from 'ioredis';
import { COMMAND_TIMEOUT_MS, connectRedis, type RedisTopology } from './redis-topology';
import {
  documentKey,
  idempotencyKey,
  idempotencyTag,
  legacyIdempotencyKey,
  legacySessionKey,
  limitKey,
  LIMITS_TAG,
  phoneHashes,
  phonesJson,
  expectedOf,
  sessionKey,
  sessionValue,
} from './redis-keys';
import { LATE_MARGIN_MS, withScripts, type ScriptedRedis } from './redis-scripts';
import { ReplicaBarrier } from './replica-barrier';
import {
  ReplicationTimeoutError,
  StateStoreUnavailableError,
  type ChargeOutcome,
  type ChargeRequest,
  type ClaimRequest,
  type IdempotencyClaim,
  type KnownSessions,
  type PhoneOverflow,
  type ReplicatedWrites,
  type SentSession,
  type StateStore,
  type StoreErrorKind,
  type StoreObserver,
  type StoredDocument,
} from './state-store';

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

/** How often persistence and replicas are checked again while connected: a CONFIG SET or a lost replica is seen within this. */
const WATCH_MS = 10_000;
/** A readiness answer is reused this long: a load balancer's probes never become Redis's load. */
const READINESS_REUSE_MS = 1000;

/** Replicas `INFO replication` lists as online. */
function onlineReplicas(info: string): number {
  return info.split('\n').filter((line) => /^slave\d+:.*\bstate=online\b/.test(line)).length;
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

/** A charge as CHARGE and PEEK take it: the keys, and the arguments before the deadline. */
function chargeArguments({ counters, phones }: ChargeRequest): [string[], (string | number)[]] {
  const keys = counters.map((c) => limitKey(c.key));
  const args: (string | number)[] = [counters.length];
  for (const c of counters) args.push(c.amount, c.limit, c.expiresAt);
  if (phones) {
    keys.push(...phoneHashes(phones));
    args.push(phonesJson(phones), phones.hour.limit, phones.hour.expiresAt, phones.day.limit, phones.day.expiresAt);
  }
  return [keys, args];
}

/** CHARGE's and PEEK's answer: the counters (0-based) and numbers that would overflow. */
function chargeOutcome([exceeded, over]: [number[], (string | number)[]]): ChargeOutcome {
  if (exceeded.length === 0 && over.length === 0) return { ok: true };
  const phones: PhoneOverflow[] = [];
  for (let i = 0; i < over.length; i += 2) phones.push({ phone: String(over[i]), window: Number(over[i + 1]) === 1 ? 'hour' : 'day' });
  return { ok: false, exceeded, phones };
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
  /** Persistence and replicas checked again every WATCH_MS. */
  private readonly watch: NodeJS.Timeout;
  /** The last readiness answer, and when it was asked. */
  private lastReadiness: { at: number; answer: Promise<string | null> } | null = null;

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
    this.redis = withScripts(connectRedis(topology));
    this.redis.on('error', onError);
    this.redis.on('ready', () => void this.onReady());
    this.keepConnecting(this.redis);
    if (this.redis instanceof Cluster) this.redis.on('refresh', () => this.notePrimaries());
    this.waiter = minReplicasAcks > 0 ? connectRedis(topology) : null;
    this.waiter?.on('error', () => {});
    if (this.waiter) this.keepConnecting(this.waiter);
    this.barrier = this.waiter ? new ReplicaBarrier(this.waiter, minReplicasAcks, waitTimeoutMs) : null;
    this.watch = setInterval(() => void this.recheck(), WATCH_MS).unref();
  }

  // Not only at connection: AOF can be switched off with CONFIG SET, and a replica can go (or be
  // promoted, leaving none) while the connection to the primary stays.
  private async recheck(): Promise<void> {
    if (this.closed || this.redis.status !== 'ready') return;
    if (this.requireAof) await this.checkPersistence(false);
    if (this.replicas > 0) await this.replicasConnected().catch(() => {});
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
    if (this.requireAof) void this.checkPersistence(true);
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
  // since, is checked before it holds a claim; then every WATCH_MS while connected.
  private async checkPersistence(connecting: boolean): Promise<void> {
    // Until the answer comes, a new connection's Redis is not trusted with a claim.
    if (connecting) this.volatile = new Error("the Redis primary's persistence is being checked");
    try {
      const settings = await this.persistence();
      if (settings && settings.appendonly !== 'yes') {
        if (this.volatile && !connecting) return;
        this.volatile = new Error(
          'the Redis primary keeps no append-only file (appendonly no), and REDIS_ALLOW_VOLATILE is not set: sends are refused until it does',
        );
        this.onError(this.volatile);
      } else {
        this.volatile = null;
      }
    } catch {
      // Not answering: every command fails anyway. Asked again shortly, in case the connection stays.
      if (!connecting) return;
      setTimeout(() => {
        if (!this.closed && this.redis.status === 'ready') void this.checkPersistence(true);
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
    const [keys, args] = chargeArguments(request);
    args.push(this.deadline());
    const answer = await this.run(() => this.redis.smsCharge(keys.length, ...keys, ...args));
    if (answer === 'late') this.late('charge');
    return chargeOutcome(answer);
  }

  async peek(request: ChargeRequest): Promise<ChargeOutcome> {
    const [keys, args] = chargeArguments(request);
    return chargeOutcome(await this.run(() => this.redis.smsPeek(keys.length, ...keys, ...args)));
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

  async getDocument(key: string): Promise<StoredDocument | null> {
    const [value, version] = await this.run(() => this.redis.hmget(documentKey(key), 'v', 'n'));
    return value === null || version === null ? null : { value, version: Number(version) };
  }

  async putDocument(key: string, value: string, version: number, expiresAt: number | null): Promise<number | null> {
    this.refuseIfVolatile();
    const answer = await this.run(() =>
      this.redis.smsPutDocument(documentKey(key), value, version, expiresAt === null ? '' : String(expiresAt)),
    );
    return answer < 0 ? null : answer;
  }

  async expireDocuments(keys: readonly string[], expiresAt: number | null): Promise<void> {
    if (keys.length === 0) return;
    await this.run(() => this.redis.smsExpireDocuments(keys.length, ...keys.map(documentKey), expiresAt === null ? '' : String(expiresAt)));
  }

  async deleteDocuments(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.run(() => this.redis.del(...keys.map(documentKey)));
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

  async recordSessions(scope: string, sessions: readonly SentSession[], expiresAt: number): Promise<void> {
    if (sessions.length === 0) return;
    // Most sends are one session: one SET, where MULTI, SET and EXEC were three commands for ioredis
    // to encode and read back.
    if (sessions.length === 1) {
      const [{ sessionNo, expected }] = sessions;
      await this.run(() => this.redis.set(sessionKey(scope, sessionNo), sessionValue(expected), 'PXAT', expiresAt));
      return;
    }
    const transaction = this.redis.multi();
    for (const { sessionNo, expected } of sessions) {
      transaction.set(sessionKey(scope, sessionNo), sessionValue(expected), 'PXAT', expiresAt);
    }
    await this.run(() => transaction.exec());
  }

  async knownSessions(scope: string, sessionNos: readonly string[]): Promise<KnownSessions> {
    const known: KnownSessions = new Map();
    if (sessionNos.length === 0) return known;
    const keys = sessionNos.map((sessionNo) => sessionKey(scope, sessionNo));
    // Outside a Cluster, also where versions before hash tags kept them (after the new keys).
    if (!this.cluster) keys.push(...sessionNos.map((sessionNo) => legacySessionKey(scope, sessionNo)));
    const found = await this.run(() => this.redis.mget(keys));
    const n = sessionNos.length;
    sessionNos.forEach((sessionNo, i) => {
      const value = found[i] ?? found[n + i] ?? null;
      if (value !== null) known.set(sessionNo, expectedOf(value));
    });
    return known;
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

  /**
   * The replicas connected to the primary, online (with a Cluster: the fewest of any primary), as
   * `INFO replication` lists them; reported to the observer. Throws when a primary does not answer.
   */
  async replicasConnected(): Promise<number> {
    const primaries = this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis];
    const counts = await this.run(() => Promise.all(primaries.map(async (node) => onlineReplicas(await node.info('replication')))));
    const fewest = counts.length > 0 ? Math.min(...counts) : 0;
    this.observer.replicas?.(fewest, this.replicas);
    return fewest;
  }

  /** Checked at most once a second: probes in between share the last answer. */
  readiness(): Promise<string | null> {
    const now = performance.now();
    if (this.lastReadiness && now - this.lastReadiness.at < READINESS_REUSE_MS) return this.lastReadiness.answer;
    const answer = this.checkReadiness();
    this.lastReadiness = { at: now, answer };
    return answer;
  }

  private async checkReadiness(): Promise<string | null> {
    const unreachable = `state store (${this.kind}) unreachable`;
    try {
      await this.ping();
    } catch {
      return unreachable;
    }
    if (this.volatile) return this.volatile.message;
    if (this.replicas === 0) return null;
    let connected: number;
    try {
      connected = await this.replicasConnected();
    } catch {
      return unreachable;
    }
    return connected < this.replicas
      ? `fewer Redis replicas connected (${connected}) than REDIS_MIN_REPLICAS_ACKS (${this.replicas}): sends are refused until one is`
      : null;
  }

  /** Resolves when the store answers (with a Cluster: every primary, and every slot served). */
  private async ping(): Promise<void> {
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
    clearInterval(this.watch);
    this.redis.disconnect();
    this.waiter?.disconnect();
  }
}
