import Redis from 'ioredis';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RedisTopology } from '../../src/guard/redis-topology';
import { freePort } from './ports';
import { RedisServer, redisAvailable } from './redis-server';
import { requiredTool } from './required-tool';

const found = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim() || null;
const REDIS_SENTINEL = found('redis-sentinel');
const REDIS_CLI = found('redis-cli');

/** The master's name the sentinels monitor. */
export const SENTINEL_MASTER = 'sms';

/**
 * Whether Sentinel and Cluster tests can run: redis-server, redis-sentinel and redis-cli are needed.
 * Skipped with a message without them, except under CI=true.
 */
export const topologiesAvailable = (): boolean =>
  redisAvailable() &&
  requiredTool(
    REDIS_SENTINEL !== null && REDIS_CLI !== null,
    'Redis Sentinel and Cluster tests SKIPPED: redis-sentinel or redis-cli was not found. Install them (Debian/Ubuntu: sudo apt-get install -y redis-sentinel redis-tools); under CI=true they are required.',
  );

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(100);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${lastError instanceof Error ? ` (${lastError.message})` : ''}`);
}

/** A short-lived connection for one question. */
async function ask<T>(port: number, question: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return await question(client);
  } finally {
    client.disconnect();
  }
}

const replicasOnline = (port: number, count: number) =>
  ask(port, async (client) => ((await client.info('replication')).match(/state=online/g) ?? []).length >= count);

/** A real redis-sentinel, configured to fail over within about two seconds. */
class Sentinel {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(primaryPort: number): Promise<Sentinel> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'sms-sentinel-'));
    const file = join(dir, 'sentinel.conf');
    writeFileSync(
      file,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${SENTINEL_MASTER} 127.0.0.1 ${primaryPort} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_MASTER} 1000`,
        `sentinel failover-timeout ${SENTINEL_MASTER} 10000`,
        `sentinel parallel-syncs ${SENTINEL_MASTER} 1`,
        '',
      ].join('\n'),
    );
    const child = spawn(REDIS_SENTINEL!, [file], { stdio: ['ignore', 'ignore', 'ignore'] });
    const sentinel = new Sentinel(child, port);
    await until('sentinel listening', () => ask(port, (client) => client.ping()));
    return sentinel;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}

/** A primary, one replica and three sentinels, all real processes on loopback. */
export class RedisSentinelSet {
  private constructor(
    /** Every data node, primary first as started; after a failover the roles differ. */
    readonly servers: RedisServer[],
    private readonly sentinels: Sentinel[],
  ) {}

  /** Starts a stopped node again as a replica of the current primary, and waits until it is in sync. */
  async rejoin(old: RedisServer): Promise<RedisServer> {
    const primary = await this.primary();
    const node = await old.restart(['--replicaof', '127.0.0.1', String(primary.port)]);
    this.servers[this.servers.indexOf(old)] = node;
    await until('rejoined replica in sync', () => replicasOnline(primary.port, 1));
    return node;
  }

  static async start(): Promise<RedisSentinelSet> {
    const primary = await RedisServer.start();
    const replica = await RedisServer.start(undefined, { args: ['--replicaof', '127.0.0.1', String(primary.port)] });
    const sentinels = await Promise.all([0, 1, 2].map(() => Sentinel.start(primary.port)));
    const set = new RedisSentinelSet([primary, replica], sentinels);
    await until('replica in sync', () => replicasOnline(primary.port, 1));
    // A failover needs every sentinel to know the replica and a quorum of the others.
    await until(
      'sentinels ready',
      async () => {
        for (const sentinel of sentinels) {
          const ready = await ask(sentinel.port, async (client) => {
            const fields = (await client.call('SENTINEL', 'MASTER', SENTINEL_MASTER)) as string[];
            const field = (name: string) => Number(fields[fields.indexOf(name) + 1]);
            return field('num-slaves') >= 1 && field('num-other-sentinels') >= 2;
          });
          if (!ready) return false;
        }
        return true;
      },
      30_000,
    );
    return set;
  }

  /** The server's own variables for this set. */
  get env(): Record<string, string> {
    return { REDIS_SENTINELS: this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(','), REDIS_SENTINEL_MASTER: SENTINEL_MASTER };
  }

  get topology(): RedisTopology {
    return {
      kind: 'sentinel',
      sentinels: this.sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
      master: SENTINEL_MASTER,
      auth: { tls: false },
    };
  }

  /** The data node the sentinels name as primary. */
  async primary(): Promise<RedisServer> {
    for (const sentinel of this.sentinels) {
      try {
        const [, port] = (await ask(sentinel.port, (client) =>
          client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER),
        )) as string[];
        const server = this.servers.find((s) => s.port === Number(port));
        if (server) return server;
      } catch {
        // Another sentinel answers.
      }
    }
    throw new Error('no sentinel names a primary');
  }

  /** The running nodes that are not the primary. */
  async replicas(): Promise<RedisServer[]> {
    const primary = await this.primary();
    return this.servers.filter((s) => s !== primary && s.running);
  }

  /** The node holding a key matching `pattern`: the primary, where Sentinel keeps one. */
  primaryHolding(): Promise<RedisServer> {
    return this.primary();
  }

  /** Waits until the sentinels name a primary other than `old`, and it accepts writes; the ms it took. */
  async promotedFrom(old: RedisServer): Promise<number> {
    const started = Date.now();
    const promoted = await until('a replica promoted', async () => {
      const now = await this.primary();
      return now !== old && now;
    });
    await until('the promoted primary writable', () =>
      ask(promoted.port, async (client) => (await client.info('replication')).includes('role:master')),
    );
    return Date.now() - started;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.sentinels.map((s) => s.stop()), ...this.servers.map((s) => s.stop())]);
  }
}

/** Three primaries with one replica each, as `redis-cli --cluster create … --cluster-replicas 1` makes them. */
export class RedisClusterSet {
  private constructor(readonly servers: RedisServer[]) {}

  /** Starts a stopped node again with its nodes.conf: it rejoins as a replica of whoever took its slots. */
  async rejoin(old: RedisServer): Promise<RedisServer> {
    const node = await old.restart();
    this.servers[this.servers.indexOf(old)] = node;
    await until(
      'the node in sync as a replica',
      () => ask(node.port, async (client) => /master_link_status:up/.test(await client.info('replication'))),
      30_000,
    );
    return node;
  }

  /** The running nodes that are replicas. */
  async replicas(): Promise<RedisServer[]> {
    const primaries = await this.primaries();
    return this.servers.filter((s) => s.running && !primaries.includes(s));
  }

  static async start(): Promise<RedisClusterSet> {
    // A port free a moment ago may be taken by the time redis-server binds it (six nodes start at once,
    // each with two ports, beside tests holding hundreds of client sockets): such a node is started
    // again on fresh ports.
    const startNode = async (attempt = 1): Promise<RedisServer> => {
      const busPort = await freePort();
      try {
        return await RedisServer.start(undefined, {
          args: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            'nodes.conf',
            '--cluster-node-timeout',
            '1000',
            '--cluster-port',
            String(busPort),
          ],
        });
      } catch (error) {
        if (attempt >= 3) throw error;
        return startNode(attempt + 1);
      }
    };
    // Six at once; if one cannot start, the others are stopped, or their processes would keep Jest alive.
    const started = await Promise.allSettled(Array.from({ length: 6 }, () => startNode()));
    const servers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) {
      await Promise.all(servers.map((server) => server.stop()));
      throw failed.reason;
    }
    const created = spawnSync(
      REDIS_CLI!,
      ['--cluster', 'create', ...servers.map((s) => `127.0.0.1:${s.port}`), '--cluster-replicas', '1', '--cluster-yes'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed:\n${created.stdout}\n${created.stderr}`);
    const set = new RedisClusterSet(servers);
    await until('cluster ok on every node', async () => {
      for (const server of servers) {
        if (!(await ask(server.port, async (client) => (await client.cluster('INFO')).includes('cluster_state:ok')))) return false;
      }
      return true;
    });
    for (const primary of await set.primaries()) await until('replica in sync', () => replicasOnline(primary.port, 1));
    return set;
  }

  get env(): Record<string, string> {
    return { REDIS_CLUSTER_NODES: this.servers.map((s) => `127.0.0.1:${s.port}`).join(',') };
  }

  get topology(): RedisTopology {
    return { kind: 'cluster', nodes: this.servers.map((s) => ({ host: '127.0.0.1', port: s.port })), auth: { tls: false } };
  }

  /** The running nodes that are primaries, as a running node sees them. */
  async primaries(): Promise<RedisServer[]> {
    const running = this.servers.filter((s) => s.running);
    for (const node of running) {
      try {
        const slots = (await ask(node.port, (client) => client.cluster('SLOTS'))) as unknown as [number, number, [string, number]][];
        const ports = new Set(slots.map(([, , [, port]]) => Number(port)));
        return running.filter((s) => ports.has(s.port));
      } catch {
        // Another node answers.
      }
    }
    throw new Error('no cluster node answers');
  }

  /** The primary holding a key this server wrote that matches `pattern` (with its prefix). */
  async primaryHolding(pattern: string): Promise<RedisServer> {
    for (const primary of await this.primaries()) {
      const keys = await ask(primary.port, (client) => client.keys(pattern));
      if (keys.length > 0) return primary;
    }
    throw new Error(`no primary holds ${pattern}`);
  }

  /** Waits until a replica of `old` took its slots and every node says the cluster is ok; the ms it took. */
  async promotedFrom(old: RedisServer): Promise<number> {
    const started = Date.now();
    await until('slots served again', async () => {
      const primaries = await this.primaries();
      if (primaries.includes(old) || primaries.length < 3) return false;
      for (const server of this.servers.filter((s) => s.running)) {
        if (!(await ask(server.port, async (client) => (await client.cluster('INFO')).includes('cluster_state:ok')))) return false;
      }
      return true;
    });
    return Date.now() - started;
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()));
  }
}
