import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  StateStoreUnavailableError,
  type ChargeOutcome,
  type CounterCharge,
  type IdempotencyClaim,
  type StateStore,
  groupCharges,
} from './state-store';

const SWEEP_INTERVAL_MS = 60_000;

// Keys travel as one JSON array unpacked by json_each, so a batch of 1000 recipients is a few
// statements rather than 2000 round trips through the binding. Charges that share an amount, a window
// end and a limit (a per-number limit's 1000 counters) go in one statement with those as plain
// parameters: extracting them per row from JSON cost more than the upsert itself.
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, count INTEGER NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, result TEXT, expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
`;

/** Thrown inside the charge's savepoint to roll it back. */
class OverLimit extends Error {}

/** Limits and idempotency records in one SQLite file: survives restarts, shared by processes on one host. */
export class SqliteStateStore implements StateStore {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private readonly sweeper: NodeJS.Timeout;
  private readonly chargeTx: Database.Transaction<(charges: readonly CounterCharge[], now: number) => ChargeOutcome>;
  private readonly claimTx: Database.Transaction<(key: string, fingerprint: string, expiresAt: number, now: number) => IdempotencyClaim>;
  private readonly statements;

  /** Opens (and creates) the database file; `:memory:` keeps everything in this process. */
  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    // Another process holding the write lock longer than this is an outage: SERVICE_UNAVAILABLE.
    this.db.pragma('busy_timeout = 2000');
    this.db.exec(SCHEMA);

    const db = this.db;
    this.statements = {
      counts: db.prepare<[string, number], { key: string; count: number }>(
        'SELECT key, count FROM counters WHERE key IN (SELECT value FROM json_each(?)) AND expires_at > ?',
      ),
      // Adds `amount` to each key's counter (a counter past its window starts again) and returns the new counts.
      add: db
        .prepare<[number, number, string, number], number>(`
          INSERT INTO counters (key, count, expires_at)
          SELECT value, ?, ? FROM json_each(?) WHERE true
          ON CONFLICT (key) DO UPDATE SET
            count = CASE WHEN counters.expires_at > ? THEN counters.count + excluded.count ELSE excluded.count END,
            expires_at = excluded.expires_at
          RETURNING count`)
        .pluck(),
      subtract: db.prepare<[string]>(
        'UPDATE counters SET count = max(0, count - (j.value ->> 1)) FROM json_each(?) AS j WHERE counters.key = j.value ->> 0',
      ),
      record: db.prepare<[string, number], { fingerprint: string; result: string | null }>(
        'SELECT fingerprint, result FROM idempotency WHERE key = ? AND expires_at > ?',
      ),
      put: db.prepare<[string, string, string | null, number]>(
        'INSERT OR REPLACE INTO idempotency (key, fingerprint, result, expires_at) VALUES (?, ?, ?, ?)',
      ),
      finish: db.prepare<[string, number, string, string]>(
        'UPDATE idempotency SET result = ?, expires_at = ? WHERE key = ? AND fingerprint = ?',
      ),
      forget: db.prepare<[string, string]>('DELETE FROM idempotency WHERE key = ? AND fingerprint = ? AND result IS NULL'),
      sweepCounters: db.prepare<[number]>('DELETE FROM counters WHERE expires_at <= ?'),
      sweepRecords: db.prepare<[number]>('DELETE FROM idempotency WHERE expires_at <= ?'),
      ping: db.prepare('SELECT 1'),
    };

    const s = this.statements;
    // IMMEDIATE takes the write lock first, so two processes on one file cannot both read a count
    // that only one of them may raise.
    // Charges optimistically inside a savepoint, which an overflow rolls back; only then are the
    // counts read to name each limit the batch would break (the rare path).
    const addAll = db.transaction((charges: readonly CounterCharge[], now: number) => {
      for (const group of groupCharges(charges)) {
        for (const count of s.add.all(group.amount, group.expiresAt, JSON.stringify(group.keys), now)) {
          if (count > group.limit) throw new OverLimit();
        }
      }
    });
    this.chargeTx = db.transaction((charges: readonly CounterCharge[], now: number): ChargeOutcome => {
      try {
        addAll(charges, now);
        return { ok: true };
      } catch (error) {
        if (!(error instanceof OverLimit)) throw error;
      }
      const counts = new Map<string, number>();
      for (const row of s.counts.all(JSON.stringify(charges.map((c) => c.key)), now)) counts.set(row.key, row.count);
      const exceeded: number[] = [];
      charges.forEach((c, i) => {
        if ((counts.get(c.key) ?? 0) + c.amount > c.limit) exceeded.push(i);
      });
      return { ok: false, exceeded };
    });
    this.claimTx = db.transaction((key: string, fingerprint: string, expiresAt: number, now: number): IdempotencyClaim => {
      const record = s.record.get(key, now);
      if (!record) {
        s.put.run(key, fingerprint, null, expiresAt);
        return { state: 'claimed' };
      }
      if (record.fingerprint !== fingerprint) return { state: 'conflict' };
      return record.result === null ? { state: 'in-progress' } : { state: 'done', result: record.result };
    });

    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS).unref();
  }

  private run<T>(work: () => T): Promise<T> {
    try {
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(new StateStoreUnavailableError(error));
    }
  }

  private sweep(): void {
    const now = Date.now();
    try {
      this.statements.sweepCounters.run(now);
      this.statements.sweepRecords.run(now);
    } catch {
      // A busy or failing file is reported by the next request that needs it.
    }
  }

  charge(charges: readonly CounterCharge[], now: number): Promise<ChargeOutcome> {
    if (charges.length === 0) return Promise.resolve({ ok: true });
    return this.run(() => this.chargeTx.immediate(charges, now));
  }

  refund(charges: readonly CounterCharge[]): Promise<void> {
    if (charges.length === 0) return Promise.resolve();
    return this.run(() => {
      this.statements.subtract.run(JSON.stringify(charges.map((c) => [c.key, c.amount])));
    });
  }

  claim(key: string, fingerprint: string, ttlMs: number, now: number): Promise<IdempotencyClaim> {
    return this.run(() => this.claimTx.immediate(key, fingerprint, now + ttlMs, now));
  }

  complete(key: string, fingerprint: string, result: string, ttlMs: number, now: number): Promise<void> {
    return this.run(() => {
      this.statements.finish.run(result, now + ttlMs, key, fingerprint);
    });
  }

  release(key: string, fingerprint: string): Promise<void> {
    return this.run(() => {
      this.statements.forget.run(key, fingerprint);
    });
  }

  ping(): Promise<void> {
    return this.run(() => {
      this.statements.ping.get();
    });
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    if (this.db.open) this.db.close();
  }
}
