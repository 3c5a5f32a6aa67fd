import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
function time(label: string, n: number, f: () => unknown) {
  for (let i = 0; i < 50; i++) f();
  const c0 = process.cpuUsage(); const t0 = performance.now();
  for (let i = 0; i < n; i++) f();
  const c = process.cpuUsage(c0); const t = performance.now() - t0;
  console.log(label.padEnd(40), 'cpu µs/op', ((c.user + c.system) / n).toFixed(0), 'wall µs/op', (t * 1000 / n).toFixed(0));
}
const phones = Array.from({ length: 1000 }, (_, i) => 8613800100000 + i);
for (const path of ['/tmp/scratch/s.db', ':memory:']) {
  rmSync(path, { force: true }); rmSync(path + '-wal', { force: true });
  const db = new Database(path); db.pragma('journal_mode = WAL'); db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE counters (key TEXT PRIMARY KEY, count INTEGER NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE phones (phone INTEGER PRIMARY KEY, hour INTEGER NOT NULL, hour_count INTEGER NOT NULL, day INTEGER NOT NULL, day_count INTEGER NOT NULL);
  CREATE TABLE phones2 (win INTEGER NOT NULL, phone INTEGER NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (win, phone)) WITHOUT ROWID;`);
  const add = db.prepare(`INSERT INTO counters (key, count, expires_at) SELECT value, ?, ? FROM json_each(?) WHERE true
            ON CONFLICT (key) DO UPDATE SET count = CASE WHEN counters.expires_at > ? THEN counters.count + excluded.count ELSE excluded.count END, expires_at = excluded.expires_at RETURNING count`).pluck();
  const now = Date.now(); const hi = Math.floor(now / 3600000), di = Math.floor(now / 86400000);
  const tx1 = db.transaction(() => {
    for (const [name, exp] of [['phone-hour', (hi + 1) * 3600000], ['phone-day', (di + 1) * 86400000]] as const) {
      const keys = phones.map((p) => `rl:${name}:+${p}:${name === 'phone-hour' ? hi : di}`);
      for (const c of add.all(1, exp, JSON.stringify(keys), now)) if ((c as number) > 1e9) throw new Error();
    }
  });
  time(`${path} current (2000 text keys)`, 300, () => tx1.immediate());
  const addR = db.prepare(`INSERT INTO counters (key, count, expires_at) SELECT value, ?, ? FROM json_each(?) WHERE true
            ON CONFLICT (key) DO UPDATE SET count = CASE WHEN counters.expires_at > ? THEN counters.count + excluded.count ELSE excluded.count END, expires_at = excluded.expires_at`);
  const overR = db.prepare(`SELECT count(*) FROM counters WHERE key IN (SELECT value FROM json_each(?)) AND count > ?`).pluck();
  const tx1b = db.transaction(() => {
    for (const [name, exp] of [['phone-hour', (hi + 1) * 3600000], ['phone-day', (di + 1) * 86400000]] as const) {
      const keys = JSON.stringify(phones.map((p) => `rl:${name}:+${p}:${name === 'phone-hour' ? hi : di}`));
      addR.run(1, exp, keys, now); if ((overR.get(keys, 1e9) as number) > 0) throw new Error();
    }
  });
  time(`${path} text keys, run + check`, 300, () => tx1b.immediate());
  const tx1c = db.transaction(() => {
    for (const [name, exp] of [['phone-hour', (hi + 1) * 3600000], ['phone-day', (di + 1) * 86400000]] as const) {
      const keys = JSON.stringify(phones.map((p) => `rl:${name}:+${p}:${name === 'phone-hour' ? hi : di}`));
    }
  });
  time(`${path} text keys, JS only`, 300, () => tx1c.immediate());
  const addP = db.prepare(`INSERT INTO phones (phone, hour, hour_count, day, day_count) SELECT value, @h, @a, @d, @a FROM json_each(@j) WHERE true
     ON CONFLICT (phone) DO UPDATE SET hour_count = CASE WHEN hour = excluded.hour THEN hour_count + excluded.hour_count ELSE excluded.hour_count END, hour = excluded.hour,
       day_count = CASE WHEN day = excluded.day THEN day_count + excluded.day_count ELSE excluded.day_count END, day = excluded.day
     RETURNING hour_count, day_count`).raw();
  const tx2 = db.transaction(() => {
    for (const c of addP.all({h: hi, a: 1, d: di, j: JSON.stringify(phones)}) as number[][]) if (c[0]! > 1e9 || c[1]! > 1e9) throw new Error();
  });
  time(`${path} one int row per phone`, 300, () => tx2.immediate());
  const addQ = db.prepare(`INSERT INTO phones (phone, hour, hour_count, day, day_count) SELECT value, @h, @a, @d, @a FROM json_each(@j) WHERE true
     ON CONFLICT (phone) DO UPDATE SET hour_count = CASE WHEN hour = excluded.hour THEN hour_count + excluded.hour_count ELSE excluded.hour_count END, hour = excluded.hour,
       day_count = CASE WHEN day = excluded.day THEN day_count + excluded.day_count ELSE excluded.day_count END, day = excluded.day`);
  const over = db.prepare(`SELECT count(*) FROM phones WHERE phone IN (SELECT value FROM json_each(@h)) AND (hour_count > @a OR day_count > @h)`).pluck();
  const tx3 = db.transaction(() => { const j = JSON.stringify(phones); addQ.run({h: hi, a: 1, d: di, j}); if ((over.get({j, a: 1e9, h: 1e9}) as number) > 0) throw new Error(); });
  time(`${path} int row, run + count check`, 300, () => tx3.immediate());
  const addW = db.prepare(`INSERT INTO phones2 (win, phone, count) SELECT @h, value, @a FROM json_each(@d) WHERE true ON CONFLICT (win, phone) DO UPDATE SET count = count + excluded.count`);
  const tx4 = db.transaction(() => { const j = JSON.stringify(phones); addW.run({h: hi * 2, a: 1, d: j}); addW.run({h: di * 2 + 1, a: 1, d: j}); });
  time(`${path} (win, phone) int rows x2, no check`, 300, () => tx4.immediate());
  time(`${path} JSON.stringify(1000 ints)`, 3000, () => JSON.stringify(phones));
  db.close();
}
