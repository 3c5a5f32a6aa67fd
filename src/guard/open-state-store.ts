import type { RedisTopology } from './redis-topology';
import { RedisStateStore } from './redis-state-store';
import { SqliteStateStore } from './sqlite-state-store';
import type { StateStore, StoreObserver } from './state-store';

/** Where the state lives, as configured (`Config['state']`). */
export interface StateSettings {
  redis: RedisTopology | null;
  sqlitePath: string;
  redisMinReplicasAcks: number;
  redisWaitTimeoutMs: number;
  redisAllowVolatile: boolean;
  redisWaitForReplicas: boolean;
}

/** What the store's opening says, at the levels pino has. */
export interface StoreLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/**
 * Opens the state store: Redis when configured (shared by every instance), else the SQLite file, with
 * the persistence policy. A hardened server (`hardened`) refuses to start on a Redis without an
 * append-only file unless `redisAllowVolatile`, and keeps refusing sends while one answers; any server
 * refuses to start when fewer replicas are connected than a send waits for, unless
 * `redisWaitForReplicas`. A Redis that is down at start does not stop the server: sends answer
 * SERVICE_UNAVAILABLE until it is back, and it is checked when it is. `observer`'s counts go to the
 * metrics; the changes worth a line go to `log`.
 */
export async function openStateStore(
  settings: StateSettings,
  hardened: boolean,
  log: StoreLog,
  observer: StoreObserver,
): Promise<StateStore> {
  const { redis, sqlitePath } = settings;
  if (!redis) {
    const store = new SqliteStateStore(sqlitePath);
    for (const note of store.modeNotes) log.warn({ state: note }, 'state file mode was looser than its owner only: mended');
    return store;
  }
  let lastError = '';
  let replicasShort = false;
  const requireAof = hardened && !settings.redisAllowVolatile;
  const store = new RedisStateStore(redis, {
    minReplicasAcks: settings.redisMinReplicasAcks,
    requireAof,
    waitTimeoutMs: settings.redisWaitTimeoutMs,
    onError: (error) => {
      if (error.message === lastError) return;
      lastError = error.message;
      log.error({ err: { message: error.message } }, 'Redis state store error');
    },
    observer: {
      ...observer,
      failover: () => {
        observer.failover?.();
        log.warn({ redis: 'failover' }, 'a different Redis primary answers now');
      },
      replicas: (connected, needed) => {
        observer.replicas?.(connected, needed);
        const short = connected < needed;
        if (short === replicasShort) return;
        replicasShort = short;
        if (short) {
          log.error(
            { redis: 'replicas', connected, needed },
            `fewer Redis replicas connected (${connected}) than REDIS_MIN_REPLICAS_ACKS (${needed}): every send is refused until one connects`,
          );
        } else {
          log.info({ redis: 'replicas', connected, needed }, 'Redis replicas connected: sends may wait for them again');
        }
      },
    },
  });
  if (!(await store.ready(3000))) {
    log.error(
      {},
      'Redis state store not reachable at start: sends will answer SERVICE_UNAVAILABLE until it is, and its persistence is checked when it is',
    );
    return store;
  }
  const persistence = await store.persistence().catch(() => undefined);
  if (persistence === null) {
    log.warn(
      { redis: 'config-refused' },
      "Redis refused CONFIG GET: its persistence cannot be checked. Make sure it keeps an append-only file (docs/scaling.md, 'Running several instances'): without one a restart forgets idempotency keys and counters",
    );
  } else if (persistence && persistence.appendonly !== 'yes') {
    const what =
      'The Redis primary keeps no append-only file (appendonly no): a restart forgets idempotency keys, so a retry sends again, and counters.';
    if (requireAof) {
      await store.close();
      throw new Error(`${what} Turn AOF on (appendonly yes; see docs/scaling.md) or set REDIS_ALLOW_VOLATILE=true to accept that.`);
    }
    log.warn({ redis: 'volatile', appendonly: persistence.appendonly }, what);
  } else if (persistence) {
    log.info({ redis: 'persistent', appendfsync: persistence.appendfsync }, 'Redis keeps an append-only file');
  }
  const needed = settings.redisMinReplicasAcks;
  const connected = needed > 0 ? await store.replicasConnected().catch(() => undefined) : undefined;
  if (connected !== undefined && connected < needed && !settings.redisWaitForReplicas) {
    await store.close();
    throw new Error(
      `REDIS_MIN_REPLICAS_ACKS is ${needed} but the Redis primary has ${connected} replica${connected === 1 ? '' : 's'} connected, so every send would be refused. ` +
        'Connect the replicas, lower REDIS_MIN_REPLICAS_ACKS, or set REDIS_WAIT_FOR_REPLICAS=true to start anyway (unready until they connect).',
    );
  }
  return store;
}
