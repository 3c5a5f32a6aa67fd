import Redis, { Cluster, type RedisOptions } from 'ioredis';
import { SCRIPTS_WITH_KEY_COUNT } from './redis-scripts';

/** A Redis node's address. */
export interface RedisNode {
  host: string;
  port: number;
}

/** Credentials and TLS for Sentinel's and Cluster's nodes (a single node's are in its URL). */
interface RedisAuth {
  username?: string;
  password?: string;
  /** `rediss://` entries: every connection uses TLS. */
  tls: boolean;
}

/** How this server reaches its Redis: one node, a primary found through Sentinel, or a Cluster. */
export type RedisTopology =
  | { kind: 'single'; url: string }
  | { kind: 'sentinel'; sentinels: RedisNode[]; master: string; auth: RedisAuth; sentinelPassword?: string }
  | { kind: 'cluster'; nodes: RedisNode[]; auth: RedisAuth };

/** How long a command may take before the caller is told the store is unavailable. */
export const COMMAND_TIMEOUT_MS = 2000;

/** Every key this server writes starts with this, so it can share a Redis with other applications. */
const KEY_PREFIX = 'uspeedo-sms:';

// The same for every topology: fail at once while disconnected instead of queueing (a queued charge
// could land after the caller was told nothing was sent), and never resend a command on its own.
const connection: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  connectTimeout: 2000,
  commandTimeout: COMMAND_TIMEOUT_MS,
  // The commands of one turn of the event loop go out in one write: on a loopback connection each
  // write also runs Redis's side of TCP in this process (what that cost: bench/README.md, round two).
  enableAutoPipelining: true,
  keyPrefix: KEY_PREFIX,
};

const retry = (attempt: number) => Math.min(attempt * 200, 2000);

const authOptions = ({ username, password, tls }: RedisAuth): RedisOptions => ({
  ...(username ? { username } : {}),
  ...(password ? { password } : {}),
  ...(tls ? { tls: {} } : {}),
});

/** A client for the topology, connecting in the background. */
export function connectRedis(topology: RedisTopology): Redis | Cluster {
  switch (topology.kind) {
    case 'single':
      return new Redis(topology.url, { ...connection, retryStrategy: retry });
    case 'sentinel':
      return new Redis({
        ...connection,
        ...authOptions(topology.auth),
        sentinels: topology.sentinels,
        name: topology.master,
        role: 'master',
        ...(topology.sentinelPassword ? { sentinelPassword: topology.sentinelPassword } : {}),
        ...(topology.auth.tls ? { enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
        // No failoverDetector: when its +switch-master arrives while the client is connecting, ioredis 6
        // ends the connection for good (seen in the failover tests). A killed primary closes the
        // connection and a demoted one closes its clients, so the client asks Sentinel again either way.
        reconnectOnError: (error) => error.message.startsWith('READONLY'),
        retryStrategy: retry,
        sentinelRetryStrategy: retry,
      });
    case 'cluster': {
      const { keyPrefix, enableAutoPipelining, ...node } = connection;
      return new Cluster(topology.nodes, {
        // A Cluster connects to each primary on its first command, and without a queue refuses every
        // command sent while that connection opens: at start and on the first request after a failover.
        // Queued commands are bounded by the node's commandTimeout, and by the store's own timer while
        // the Cluster has no node for their slot.
        enableOfflineQueue: true,
        keyPrefix,
        enableAutoPipelining,
        // Auto-pipelining routes a command by its first argument; these scripts' first is their number
        // of keys, so it would put them in another primary's pipeline. Sent alone, they go by their keys.
        autoPipeliningIgnoredCommands: [...SCRIPTS_WITH_KEY_COUNT],
        redisOptions: { ...node, ...authOptions(topology.auth) },
        // Writes and reads both on the primaries: a replica's copy may lag behind a claim.
        scaleReads: 'master',
        // A command whose connection dropped may have run: never sent again (a refund twice would give
        // back twice). MOVED and TRYAGAIN, which say it did not run, are still followed.
        retryDelayOnFailover: 0,
        retryDelayOnClusterDown: 0,
        clusterRetryStrategy: retry,
        slotsRefreshTimeout: 2000,
      });
    }
  }
}
