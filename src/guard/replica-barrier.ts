import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';

/**
 * WAITs, shared: a send's writes are on a replica once a marker written after them is. One round (a
 * marker SET and WAIT on a connection of their own, so WAIT never holds up other commands) is in flight
 * per hash tag; sends that wrote meanwhile share the next round, so WAIT's latency does not cap sends
 * a second.
 */
export class ReplicaBarrier {
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
