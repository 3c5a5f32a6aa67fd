import Database from 'better-sqlite3';
import { secureStateFiles, withPrivateUmask } from './state-file-modes';
import {
  StateStoreUnavailableError,
  type ChargeOutcome,
  type ChargeRequest,
  type ClaimRequest,
  type IdempotencyClaim,
  type KnownSessions,
  type PhoneOverflow,
  type SentSession,
  type StateStore,
  type StoredDocument,
} from './state-store';

const SWEEP_INTERVAL_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * Group commit: the calls that reach the store in one turn of the event loop share one IMMEDIATE
 * transaction. BEGIN and COMMIT (the lock and the WAL write) were most of a small call's cost; they
 * are paid once per group. A failing transaction fails every call in it.
 */
class GroupCommit<T, R> {
  private pending: { item: T; resolve: (result: R) => void; reject: (error: StateStoreUnavailableError) => void }[] = [];

  constructor(private readonly transaction: Database.Transaction<(items: readonly T[]) => R[]>) {}

  /** Waits for the next group commit and answers with this item's result. */
  add(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => this.commit());
      this.pending.push({ item, resolve, reject });
    });
  }

  /** Commits everything waiting, at once (the store calls it on close too). */
  commit(): void {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    let results: R[];
    try {
      results = this.transaction.immediate(batch.map((entry) => entry.item));
    } catch (error) {
      for (const entry of batch) entry.reject(new StateStoreUnavailableError(error));
      return;
    }
    batch.forEach((entry, i) => entry.resolve(results[i]));
  }
}

/** A send's sessions, as recorded. */
interface SessionsRecord {
  scope: string;
  sessions: readonly SentSession[];
  expiresAt: number;
}

/** One group of a batch's numbers: `j` their JSON array, `a` the messages to each, `h`/`d` the window indexes. */
interface PhoneParams {
  h: number;
  d: number;
  a: number;
  j: string;
}

// A batch's numbers travel as one JSON array unpacked by json_each, so 1000 recipients are a few
// statements rather than 1000 round trips through the binding. Each number is one integer-keyed row
// holding both of its windows: a text key per number and window (2000 string keys for 1000
// recipients) cost six times as much to build, compare and write.
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, count INTEGER NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS phone_counters (
    phone INTEGER PRIMARY KEY, hour INTEGER NOT NULL, hour_count INTEGER NOT NULL, day INTEGER NOT NULL, day_count INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS sessions (
    scope TEXT NOT NULL, session_no TEXT NOT NULL, expires_at INTEGER NOT NULL, expected INTEGER, PRIMARY KEY (scope, session_no)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, result TEXT, expires_at INTEGER NOT NULL,
    claimed_at INTEGER NOT NULL DEFAULT 0, lease_until INTEGER NOT NULL DEFAULT 0, request_id TEXT
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS documents (key TEXT PRIMARY KEY, value TEXT NOT NULL, version INTEGER NOT NULL, expires_at INTEGER);
`;

// Adds `a` to both windows of each number in `j`; a window whose index moved on starts again.
const ADD_PHONES = `
  INSERT INTO phone_counters (phone, hour, hour_count, day, day_count)
  SELECT value, @h, @a, @d, @a FROM json_each(@j) WHERE true
  ON CONFLICT (phone) DO UPDATE SET
    hour_count = CASE WHEN hour = excluded.hour THEN hour_count + excluded.hour_count ELSE excluded.hour_count END,
    hour = excluded.hour,
    day_count = CASE WHEN day = excluded.day THEN day_count + excluded.day_count ELSE excluded.day_count END,
    day = excluded.day`;

// Columns added to a file an older version created, by table: how the file's schema grows, so kept. A pending record from before leases
// existed gets lease_until 0: its outcome is unknown at once, which is the truth (its claimant is
// gone). A session recorded before expected receipts has none (null: not known).
const ADDED_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  idempotency: ['claimed_at INTEGER NOT NULL DEFAULT 0', 'lease_until INTEGER NOT NULL DEFAULT 0', 'request_id TEXT'],
  sessions: ['expected INTEGER'],
};

/** Record of an idempotency key, as the claim reads it. */
interface IdempotencyRow {
  fingerprint: string;
  result: string | null;
  claimed_at: number;
  lease_until: number;
  request_id: string | null;
}

// Digit strings as a JSON array of numbers, without passing through a JavaScript number: json_each
// reads each as a 64-bit integer, exact to 19 digits.
const digitsJson = (phones: readonly string[]) => `[${phones.join(',')}]`;

/** Thrown inside the charge's transaction to roll it back, carrying what overflowed. */
class OverLimit extends Error {
  constructor(readonly outcome: ChargeOutcome & { ok: false }) {
    super('over limit');
  }
}

/** Thrown inside the quick charge's savepoint to roll it back: the exact charge must decide. */
class MaybeOverLimit extends Error {
  constructor() {
    super('maybe over limit');
  }
}

/**
 * Opens (and creates) the database file, in WAL mode, with the schema and the columns an older
 * version's file lacks. It holds phone numbers and stored results: the files SQLite creates (the
 * database, its WAL and shared memory) are created under a private umask.
 */
function openDatabase(path: string): Database.Database {
  const db = withPrivateUmask(() => {
    const opened = new Database(path);
    opened.pragma('journal_mode = WAL');
    return opened;
  });
  db.pragma('synchronous = NORMAL');
  // Another process holding the write lock longer than this is an outage: SERVICE_UNAVAILABLE.
  db.pragma('busy_timeout = 2000');
  db.exec(SCHEMA);
  for (const [table, added] of Object.entries(ADDED_COLUMNS)) {
    const columns = new Set(
      db
        .prepare<[string], { name: string }>('SELECT name FROM pragma_table_info(?)')
        .all(table)
        .map((c) => c.name),
    );
    for (const column of added) {
      if (!columns.has(column.split(' ', 1)[0])) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column}`);
    }
  }
  return db;
}

/** Every statement the store runs, prepared once. */
function prepareStatements(db: Database.Database) {
  return {
    // Adds `amount` to a counter (one past its window starts again) and returns the new count.
    add: db
      .prepare<[string, number, number, number], number>(
        `
        INSERT INTO counters (key, count, expires_at) VALUES (?, ?, ?)
        ON CONFLICT (key) DO UPDATE SET
          count = CASE WHEN counters.expires_at > ? THEN counters.count + excluded.count ELSE excluded.count END,
          expires_at = excluded.expires_at
        RETURNING count`,
      )
      .pluck(),
    subtract: db.prepare<[number, string]>('UPDATE counters SET count = max(0, count - ?) WHERE key = ?'),
    // A counter's count in its window: 0 once the window has ended.
    count: db
      .prepare<[number, string], number>('SELECT CASE WHEN expires_at > ? THEN count ELSE 0 END FROM counters WHERE key = ?')
      .pluck(),
    // The numbers in `j` that `a` more messages would take over a limit (0 is off), in the windows `h` and `d`.
    peekPhones: db
      .prepare<[PhoneParams & { hl: number; dl: number }], [bigint, number, number]>(
        `
        SELECT phone,
          @hl > 0 AND CASE WHEN hour = @h THEN hour_count ELSE 0 END + @a > @hl,
          @dl > 0 AND CASE WHEN day = @d THEN day_count ELSE 0 END + @a > @dl
        FROM phone_counters WHERE phone IN (SELECT value FROM json_each(@j))`,
      )
      .raw()
      .safeIntegers(),
    // No RETURNING: handing 1000 rows back to JavaScript cost more than the upsert itself.
    addPhones: db.prepare<[PhoneParams]>(ADD_PHONES),
    // The same, except that a number the charge would take over a limit (`hl`, `dl`; 0 is off) is
    // left as it is: fewer changes than numbers means an overflow, and a full count of changes means
    // none, without reading 1000 rows back.
    addPhonesWithin: db.prepare<[PhoneParams & { hl: number; dl: number }]>(`${ADD_PHONES}
      WHERE (@hl = 0 OR CASE WHEN hour = excluded.hour THEN hour_count + excluded.hour_count ELSE excluded.hour_count END <= @hl)
        AND (@dl = 0 OR CASE WHEN day = excluded.day THEN day_count + excluded.day_count ELSE excluded.day_count END <= @dl)`),
    // After the charge: the numbers in `j` whose counter is over a limit (0 is off). Almost always none.
    // 64-bit integers back as BigInt: a 17-digit number is not exact as a JavaScript number.
    overPhones: db
      .prepare<[{ j: string; hl: number; dl: number }], [bigint, number, number]>(
        `
        SELECT phone, @hl > 0 AND hour_count > @hl, @dl > 0 AND day_count > @dl FROM phone_counters
        WHERE phone IN (SELECT value FROM json_each(@j)) AND ((@hl > 0 AND hour_count > @hl) OR (@dl > 0 AND day_count > @dl))`,
      )
      .raw()
      .safeIntegers(),
    subtractPhones: db.prepare<[PhoneParams]>(`
      UPDATE phone_counters SET
        hour_count = CASE WHEN hour = @h THEN max(0, hour_count - @a) ELSE hour_count END,
        day_count = CASE WHEN day = @d THEN max(0, day_count - @a) ELSE day_count END
      WHERE phone IN (SELECT value FROM json_each(@j))`),
    record: db.prepare<[string, number], IdempotencyRow>(
      'SELECT fingerprint, result, claimed_at, lease_until, request_id FROM idempotency WHERE key = ? AND expires_at > ?',
    ),
    put: db.prepare<[string, string, number, number, number, string]>(
      'INSERT OR REPLACE INTO idempotency (key, fingerprint, result, expires_at, claimed_at, lease_until, request_id) VALUES (?, ?, NULL, ?, ?, ?, ?)',
    ),
    // A key is kept for its TTL from the claim, not from the answer (nor for the rest of a longer lease).
    finish: db.prepare<[string, number, string, string, number]>(
      'UPDATE idempotency SET result = ?, expires_at = claimed_at + ? WHERE key = ? AND fingerprint = ? AND result IS NULL AND lease_until > ?',
    ),
    forget: db.prepare<[string, string]>('DELETE FROM idempotency WHERE key = ? AND fingerprint = ? AND result IS NULL'),
    sweepCounters: db.prepare<[number]>('DELETE FROM counters WHERE expires_at <= ?'),
    // A number's day window ends no earlier than its hour window.
    sweepPhones: db.prepare<[number]>('DELETE FROM phone_counters WHERE day < ?'),
    sweepRecords: db.prepare<[number]>('DELETE FROM idempotency WHERE expires_at <= ?'),
    sweepSessions: db.prepare<[number]>('DELETE FROM sessions WHERE expires_at <= ?'),
    // A batch's sessions as one JSON array of [sessionNo, expected] pairs, like the numbers of a charge.
    recordSessions: db.prepare<[{ s: string; j: string; e: number }]>(`
      INSERT INTO sessions (scope, session_no, expires_at, expected)
      SELECT @s, json_extract(value, '$[0]'), @e, json_extract(value, '$[1]') FROM json_each(@j) WHERE true
      ON CONFLICT (scope, session_no) DO UPDATE SET
        expires_at = max(expires_at, excluded.expires_at), expected = coalesce(excluded.expected, expected)`),
    knownSessions: db
      .prepare<[{ s: string; j: string; n: number }], [string, number | null]>(
        'SELECT session_no, expected FROM sessions WHERE scope = @s AND expires_at > @n AND session_no IN (SELECT value FROM json_each(@j))',
      )
      .raw(),
    // A document counts only while it has not expired.
    document: db.prepare<[string, number], { value: string; version: number }>(
      'SELECT value, version FROM documents WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)',
    ),
    putDocument: db.prepare<[string, string, number, number | null]>(
      'INSERT OR REPLACE INTO documents (key, value, version, expires_at) VALUES (?, ?, ?, ?)',
    ),
    expireDocument: db.prepare<[number | null, string]>('UPDATE documents SET expires_at = ? WHERE key = ?'),
    deleteDocument: db.prepare<[string]>('DELETE FROM documents WHERE key = ?'),
    sweepDocuments: db.prepare<[number]>('DELETE FROM documents WHERE expires_at <= ?'),
    ping: db.prepare('SELECT 1'),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

/**
 * The transaction a group commit of charges runs. `quick: false` charges every batch the exact way,
 * which the quick one is tested against.
 */
function chargeTransaction(db: Database.Database, s: Statements, quick: boolean) {
  // One batch's charge, in a savepoint of the group's transaction. It charges optimistically; an
  // overflow throws, which rolls the savepoint back. A counter's new count is over its limit exactly
  // when its old count plus the amount was, so the counts after the charge name each limit the batch
  // would break without a second read.
  const chargeExact = db.transaction((request: ChargeRequest, now: number) => {
    const exceeded: number[] = [];
    request.counters.forEach((c, i) => {
      if (s.add.get(c.key, c.amount, c.expiresAt, now)! > c.limit) exceeded.push(i);
    });
    const phones: PhoneOverflow[] = [];
    const p = request.phones;
    if (p) {
      for (const group of p.byAmount) {
        const j = digitsJson(group.phones);
        s.addPhones.run({ h: p.hour.index, d: p.day.index, a: group.amount, j });
        if (p.hour.limit === 0 && p.day.limit === 0) continue;
        for (const [phone, hour, day] of s.overPhones.all({ j, hl: p.hour.limit, dl: p.day.limit })) {
          if (hour) phones.push({ phone: String(phone), window: 'hour' });
          if (day) phones.push({ phone: String(phone), window: 'day' });
        }
      }
    }
    if (exceeded.length > 0 || phones.length > 0) throw new OverLimit({ ok: false, exceeded, phones });
  });
  // The common case, a charge with room, without reading the numbers back (what that cost:
  // bench/README.md, round two): each number is raised only if it stays within its limits, and the
  // count of changes says whether all were. At the first sign of an overflow it gives up, its
  // savepoint is rolled back, and chargeExact decides and names what overflowed.
  const chargeQuick = db.transaction((request: ChargeRequest, now: number) => {
    for (const c of request.counters) if (s.add.get(c.key, c.amount, c.expiresAt, now)! > c.limit) throw new MaybeOverLimit();
    const p = request.phones;
    if (!p) return;
    const hl = p.hour.limit;
    const dl = p.day.limit;
    for (const { amount: a, phones } of p.byAmount) {
      // A number new to the table is inserted whatever the WHERE says: an amount over a limit overflows anyway.
      if ((hl > 0 && a > hl) || (dl > 0 && a > dl)) throw new MaybeOverLimit();
      const { changes } = s.addPhonesWithin.run({ h: p.hour.index, d: p.day.index, a, j: digitsJson(phones), hl, dl });
      if (changes !== phones.length) throw new MaybeOverLimit();
    }
  });
  const chargeOne = !quick
    ? chargeExact
    : (request: ChargeRequest, now: number) => {
        try {
          chargeQuick(request, now);
        } catch (error) {
          if (!(error instanceof MaybeOverLimit)) throw error;
          chargeExact(request, now);
        }
      };
  // The charges of one group commit, each in its own savepoint and in arrival order, so each is
  // still all or nothing and two of them cannot both take room only one fits. IMMEDIATE takes the
  // write lock first, so another process on the same file cannot raise a count in between.
  return db.transaction((batch: readonly { request: ChargeRequest; now: number }[]) =>
    batch.map(({ request, now }): ChargeOutcome => {
      try {
        chargeOne(request, now);
        return { ok: true };
      } catch (error) {
        if (error instanceof OverLimit) return error.outcome;
        throw error;
      }
    }),
  );
}

/** Gives back a charge: every counter and number it raised, lowered by as much. */
function refundTransaction(db: Database.Database, s: Statements) {
  return db.transaction((request: ChargeRequest) => {
    for (const c of request.counters) s.subtract.run(c.amount, c.key);
    const p = request.phones;
    for (const group of p?.byAmount ?? []) {
      s.subtractPhones.run({ h: p!.hour.index, d: p!.day.index, a: group.amount, j: digitsJson(group.phones) });
    }
  });
}

/** Claims a key, or reads what it holds, in one transaction. */
function claimTransaction(db: Database.Database, s: Statements) {
  return db.transaction(({ key, fingerprint, now, ttlMs, leaseMs, requestId }: ClaimRequest): IdempotencyClaim => {
    const record = s.record.get(key, now);
    if (!record) {
      s.put.run(key, fingerprint, now + Math.max(ttlMs, leaseMs), now, now + leaseMs, requestId);
      return { state: 'claimed' };
    }
    if (record.fingerprint !== fingerprint) return { state: 'conflict' };
    if (record.result !== null) return { state: 'done', result: record.result };
    return record.lease_until > now
      ? { state: 'in-progress', leaseEndsAt: record.lease_until }
      : { state: 'unknown', claimedAt: record.claimed_at, requestId: record.request_id };
  });
}

/** Limits and idempotency records in one SQLite file: survives restarts, shared by processes on one host. */
export class SqliteStateStore implements StateStore {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private readonly sweeper: NodeJS.Timeout;
  private readonly charges: GroupCommit<{ request: ChargeRequest; now: number }, ChargeOutcome>;
  private readonly sessions: GroupCommit<SessionsRecord, void>;
  /** The day whose stale per-number rows were last deleted. */
  private sweptPhonesDay = -1;
  private readonly refundTx: Database.Transaction<(request: ChargeRequest) => void>;
  private readonly claimTx: Database.Transaction<(request: ClaimRequest) => IdempotencyClaim>;
  private readonly statements: Statements;
  private readonly putDocumentTx: Database.Transaction<
    (key: string, value: string, version: number, expiresAt: number | null, now: number) => number | null
  >;
  /** The state paths whose modes were looser and were mended on opening, for the start-up log. */
  readonly modeNotes: readonly string[];

  /**
   * Opens (and creates) the database file; `:memory:` keeps everything in this process.
   * `quickCharges: false` charges every batch the exact way, which the quick one is tested against.
   */
  constructor(path: string, { quickCharges = true }: { quickCharges?: boolean } = {}) {
    // Readable by its owner only, the folder too: modes an older version left looser are mended (and said).
    this.modeNotes = path === ':memory:' ? [] : secureStateFiles(path);
    const db = (this.db = openDatabase(path));
    const s = (this.statements = prepareStatements(db));
    this.charges = new GroupCommit(chargeTransaction(db, s, quickCharges));
    // One transaction for the sessions of many sends, as for charges (a transaction each: bench/README.md, round two).
    this.sessions = new GroupCommit(
      db.transaction((batch: readonly SessionsRecord[]) =>
        batch.map(({ scope, sessions, expiresAt }) => {
          s.recordSessions.run({ s: scope, j: JSON.stringify(sessions.map((x) => [x.sessionNo, x.expected])), e: expiresAt });
        }),
      ),
    );
    this.refundTx = refundTransaction(db, s);
    this.claimTx = claimTransaction(db, s);
    this.putDocumentTx = db.transaction((key: string, value: string, version: number, expiresAt: number | null, now: number) => {
      const current = s.document.get(key, now)?.version ?? 0;
      if (current !== version) return null;
      s.putDocument.run(key, value, current + 1, expiresAt);
      return current + 1;
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
    const today = Math.floor(now / DAY_MS);
    try {
      this.statements.sweepCounters.run(now);
      // A scan of every number (day is not indexed: an index would be rewritten by every charge), so
      // once a day, when yesterday's rows have all gone stale.
      if (today > this.sweptPhonesDay) {
        this.statements.sweepPhones.run(today);
        this.sweptPhonesDay = today;
      }
      this.statements.sweepRecords.run(now);
      this.statements.sweepSessions.run(now);
      this.statements.sweepDocuments.run(now);
    } catch {
      // A busy or failing file is reported by the next request that needs it.
    }
  }

  charge(request: ChargeRequest, now: number): Promise<ChargeOutcome> {
    return this.charges.add({ request, now });
  }

  peek(request: ChargeRequest, now: number): Promise<ChargeOutcome> {
    return this.run(() => {
      const s = this.statements;
      const exceeded: number[] = [];
      request.counters.forEach((c, i) => {
        if ((s.count.get(now, c.key) ?? 0) + c.amount > c.limit) exceeded.push(i);
      });
      const phones: PhoneOverflow[] = [];
      const p = request.phones;
      const hl = p?.hour.limit ?? 0;
      const dl = p?.day.limit ?? 0;
      for (const { amount: a, phones: group } of hl > 0 || dl > 0 ? p!.byAmount : []) {
        const rows = s.peekPhones.all({ h: p!.hour.index, d: p!.day.index, a, j: digitsJson(group), hl, dl });
        const counted = new Map(rows.map(([phone, hour, day]) => [String(phone), [hour, day]]));
        for (const phone of group) {
          // A number not counted yet is over only when this batch alone is.
          const [hour, day] = counted.get(phone) ?? [hl > 0 && a > hl ? 1 : 0, dl > 0 && a > dl ? 1 : 0];
          if (hour) phones.push({ phone, window: 'hour' });
          if (day) phones.push({ phone, window: 'day' });
        }
      }
      return exceeded.length === 0 && phones.length === 0 ? { ok: true } : { ok: false, exceeded, phones };
    });
  }

  refund(request: ChargeRequest): Promise<void> {
    return this.run(() => this.refundTx.immediate(request));
  }

  claim(request: ClaimRequest): Promise<IdempotencyClaim> {
    return this.run(() => this.claimTx.immediate(request));
  }

  complete(key: string, fingerprint: string, result: string, now: number, ttlMs: number): Promise<boolean> {
    return this.run(() => this.statements.finish.run(result, ttlMs, key, fingerprint, now).changes === 1);
  }

  recordSessions(scope: string, sessions: readonly SentSession[], expiresAt: number): Promise<void> {
    return this.sessions.add({ scope, sessions, expiresAt });
  }

  knownSessions(scope: string, sessionNos: readonly string[], now: number): Promise<KnownSessions> {
    return this.run(() => new Map(this.statements.knownSessions.all({ s: scope, j: JSON.stringify(sessionNos), n: now })));
  }

  release(key: string, fingerprint: string): Promise<void> {
    return this.run(() => {
      this.statements.forget.run(key, fingerprint);
    });
  }

  getDocument(key: string, now: number): Promise<StoredDocument | null> {
    return this.run(() => this.statements.document.get(key, now) ?? null);
  }

  putDocument(key: string, value: string, version: number, expiresAt: number | null, now: number): Promise<number | null> {
    return this.run(() => this.putDocumentTx.immediate(key, value, version, expiresAt, now));
  }

  expireDocuments(keys: readonly string[], expiresAt: number | null): Promise<void> {
    return this.run(() =>
      this.db.transaction(() => {
        for (const key of keys) this.statements.expireDocument.run(expiresAt, key);
      })(),
    );
  }

  deleteDocuments(keys: readonly string[]): Promise<void> {
    return this.run(() =>
      this.db.transaction(() => {
        for (const key of keys) this.statements.deleteDocument.run(key);
      })(),
    );
  }

  /** One file has no replicas: a committed write is all there is. */
  async replicate(): Promise<void> {}

  async readiness(): Promise<string | null> {
    try {
      await this.run(() => {
        this.statements.ping.get();
      });
      return null;
    } catch {
      return 'state store (sqlite) unreachable';
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    if (this.db.open) {
      this.charges.commit();
      this.sessions.commit();
      this.db.close();
    }
  }
}
