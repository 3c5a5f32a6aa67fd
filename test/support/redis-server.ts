import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';
import { requiredTool } from './required-tool';

/** Where Debian's package puts it; PATH is searched too. */
const REDIS_SERVER = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim() || null;

export const REDIS_MISSING_MESSAGE =
  'Redis tests SKIPPED: redis-server was not found. Install it (Debian/Ubuntu: sudo apt-get install -y redis-server) to run them; under CI=true they are required.';

/**
 * Whether the Redis tests can run. Without redis-server they are skipped with a plain message, except
 * under CI=true, where a missing server is a failure rather than a silent pass.
 */
export const redisAvailable = (): boolean => requiredTool(REDIS_SERVER !== null, REDIS_MISSING_MESSAGE);

/** A real redis-server on a free loopback port, with an append-only file in a folder of its own (or `volatile`); `stop` ends it. */
export class RedisServer {
  private constructor(
    private child: ChildProcess,
    readonly port: number,
    /** Where its append-only file lives: start another on it to restart this one with its data. */
    readonly dir: string,
    /** The options it was started with beyond port, folder and persistence. */
    readonly args: string[],
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** `args`: more of redis-server's options (`--replicaof`, `--cluster-enabled`, …). */
  static async start(
    port?: number,
    { volatile = false, dir = mkdtempSync(join(tmpdir(), 'sms-redis-')), args = [] as string[] } = {},
  ): Promise<RedisServer> {
    if (port === undefined) {
      // A port free a moment ago may be taken by the time redis-server binds it: try fresh ones.
      for (let attempt = 1; ; attempt++) {
        try {
          return await RedisServer.start(await freePort(), { volatile, dir, args });
        } catch (error) {
          if (attempt >= 3) throw error;
        }
      }
    }
    const chosen = port;
    const persistence = volatile ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', 'everysec'];
    const options = ['--port', String(chosen), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...persistence, ...args];
    const child = spawn(REDIS_SERVER!, options, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 10_000);
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      // After the output it wrote: its reason (an address in use) is in it.
      child.on('close', () => reject(new Error(`redis-server exited:\n${output}`)));
    });
    child.stdout.resume();
    return new RedisServer(child, chosen, dir, args);
  }

  /** Freezes the server (SIGSTOP): connections stay open, commands queue unanswered. */
  pause(): void {
    this.child.kill('SIGSTOP');
  }

  /** Lets a paused server run again (SIGCONT): it then runs what queued meanwhile. */
  resume(): void {
    this.child.kill('SIGCONT');
  }

  /** The same server started again on its port and folder (so with its data), with `args` or its old ones. */
  restart(args = this.args): Promise<RedisServer> {
    return RedisServer.start(this.port, { dir: this.dir, args });
  }

  /** Whether it is still running. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Stops the server and waits for it to exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.resume();
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}
