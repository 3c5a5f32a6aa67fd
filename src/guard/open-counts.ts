/**
 * How many of something each key holds open at once (a caller's sockets, its subscriptions), within a
 * ceiling, in this process. One taken is one given back.
 */
export class OpenCounts {
  private readonly counts = new Map<string, number>();

  /** How many `key` holds now. */
  held(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** Takes one for `key` when it holds fewer than `max`: true; else false, and nothing is taken. */
  take(key: string, max: number): boolean {
    const held = this.held(key);
    if (held >= max) return false;
    this.counts.set(key, held + 1);
    return true;
  }

  /** Gives one of `key`'s back; a key holding none is forgotten. */
  giveBack(key: string): void {
    const held = this.held(key) - 1;
    if (held > 0) this.counts.set(key, held);
    else this.counts.delete(key);
  }
}
