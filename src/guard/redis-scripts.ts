// The store's Lua scripts: each runs atomically inside Redis, so a charge or a claim is one round trip
// and the same for every instance. The store calls them by the names in SCRIPTS.
import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';

/** A script must start this much before the command's timeout, or it does nothing (clock offset and delivery). */
export const LATE_MARGIN_MS = 250;

// The first lines of every script that charges or claims: a script that runs after its deadline (the
// last ARGV, in Redis's own clock) does nothing and says 'late'. Redis runs a command queued while it
// was paused when it resumes; by then its caller was told the store was unavailable and nothing was
// sent, which the command must not make false. (replicate_commands: before Redis 7, a script that
// reads TIME may write only after it.)
const UNLESS_LATE = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local clock = redis.call('TIME')
if tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000) > tonumber(ARGV[#ARGV]) then return 'late' end
`;

// The check CHARGE and PEEK share: what would overflow, into `exceeded` and `over`.
const CHECK = `
local n = tonumber(ARGV[1])
local exceeded, over = {}, {}
for i = 1, n do
  if tonumber(redis.call('GET', KEYS[i]) or '0') + tonumber(ARGV[3 * i - 1]) > tonumber(ARGV[3 * i]) then
    exceeded[#exceeded + 1] = i - 1
  end
end
local a = 3 * n + 2
local groups = {}
if #KEYS > n then groups = cjson.decode(ARGV[a]) end
for w = 1, #KEYS - n do
  local limit = tonumber(ARGV[a + 2 * w - 1])
  if limit > 0 then
    for _, group in ipairs(groups) do
      local amount, phones = group[1], group[2]
      local counts = redis.call('HMGET', KEYS[n + w], unpack(phones))
      for i = 1, #phones do
        if tonumber(counts[i] or '0') + amount > limit then
          over[#over + 1] = phones[i]
          over[#over + 1] = w
        end
      end
    end
  end
end
`;

// Checks every counter and number first and charges only when all have room (SQLite charges first and
// rolls back), inside Redis so it is atomic across instances. KEYS: the caller and global counters,
// then (with per-number limits) the hour window's and the day window's hash of per-number counts
// (field: the number's E.164 digits). ARGV: the counter count n, (amount, limit, expiresAt) per
// counter, then the numbers as one JSON array of [amount, [number, …]] groups and each window's limit
// and end, and last the deadline. Two hashes and one JSON argument cost a handful of arguments for
// 1000 recipients instead of 2000 keys. Returns {counter indexes (0-based), {number, window (1 hour,
// 2 day), …}} of what would overflow, nothing charged unless both are empty; or 'late', nothing charged.
const CHARGE = `${UNLESS_LATE}${CHECK}if #exceeded > 0 or #over > 0 then return {exceeded, over} end
for i = 1, n do
  redis.call('INCRBY', KEYS[i], ARGV[3 * i - 1])
  redis.call('PEXPIREAT', KEYS[i], ARGV[3 * i + 1])
end
for w = 1, #KEYS - n do
  for _, group in ipairs(groups) do
    for _, phone in ipairs(group[2]) do redis.call('HINCRBY', KEYS[n + w], phone, group[1]) end
  end
  redis.call('PEXPIREAT', KEYS[n + w], ARGV[a + 2 * w])
end
return {exceeded, over}
`;

// KEYS and ARGV as for CHARGE (but no deadline): what CHARGE would answer, charging nothing.
const PEEK = `${CHECK}return {exceeded, over}
`;

// KEYS as for CHARGE; ARGV: n, each counter's amount, then the numbers' JSON.
const REFUND = `
local n = tonumber(ARGV[1])
for i = 1, n do
  local current = tonumber(redis.call('GET', KEYS[i]) or '0')
  if current > 0 then redis.call('DECRBY', KEYS[i], math.min(current, tonumber(ARGV[i + 1]))) end
end
if #KEYS > n then
  for _, group in ipairs(cjson.decode(ARGV[n + 2])) do
    for w = 1, #KEYS - n do
      local counts = redis.call('HMGET', KEYS[n + w], unpack(group[2]))
      for i, phone in ipairs(group[2]) do
        local current = tonumber(counts[i] or '0')
        if current > 0 then redis.call('HINCRBY', KEYS[n + w], phone, -math.min(current, group[1])) end
      end
    end
  end
end
return 0
`;

// A record is a hash: f = fingerprint, r = stored result (absent while in flight), c = when it was
// claimed, l = when the claim's lease ends, q = the claiming request's id (ms since the epoch, from the
// instances' clocks, as SQLite's are). KEYS: the record, then (outside a Cluster) where versions before
// hash tags kept it, which is read, never claimed. ARGV: fingerprint, now, kept for (ms), lease end,
// request id, deadline; times travel as integer strings, which Lua's doubles would print in exponent form.
const CLAIM = `${UNLESS_LATE}
local record = redis.call('HMGET', KEYS[1], 'f', 'r', 'c', 'l', 'q')
if not record[1] and KEYS[2] then
  local old = redis.call('HMGET', KEYS[2], 'f', 'r', 'c', 'l', 'q')
  if old[1] then record = old end
end
local now = tonumber(ARGV[2])
if not record[1] then
  redis.call('HSET', KEYS[1], 'f', ARGV[1], 'c', ARGV[2], 'l', ARGV[4], 'q', ARGV[5])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {'claimed'}
end
if record[1] ~= ARGV[1] then return {'conflict'} end
if record[2] then return {'done', record[2]} end
local lease = tonumber(record[4] or '0')
if lease > now then return {'in-progress', record[4]} end
return {'unknown', record[3] or '0', record[5] or ''}
`;

// Stores the result only inside the lease, kept until the TTL after the claim. ARGV: fingerprint,
// result, now, TTL (ms).
const COMPLETE = `
local record = redis.call('HMGET', KEYS[1], 'f', 'r', 'l', 'c')
if record[1] == ARGV[1] and not record[2] and tonumber(record[3] or '0') > tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], 'r', ARGV[2])
  redis.call('PEXPIREAT', KEYS[1], string.format('%.0f', tonumber(record[4]) + tonumber(ARGV[4])))
  return 1
end
return 0
`;

const RELEASE = `
if redis.call('HGET', KEYS[1], 'f') == ARGV[1] and redis.call('HEXISTS', KEYS[1], 'r') == 0 then
  redis.call('DEL', KEYS[1])
end
return 0
`;

// Writes a document only at the version named (0: none); its new version, or -1. ARGV: value, version,
// when it expires (ms since the epoch; empty: never).
const PUT_DOCUMENT = `
local version = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
if version ~= tonumber(ARGV[2]) then return -1 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'n', version + 1)
if ARGV[3] == '' then redis.call('PERSIST', KEYS[1]) else redis.call('PEXPIREAT', KEYS[1], ARGV[3]) end
return version + 1
`;

// Sets when each document expires. ARGV: when (ms since the epoch; empty: never).
const EXPIRE_DOCUMENTS = `
for i = 1, #KEYS do
  if ARGV[1] == '' then redis.call('PERSIST', KEYS[i]) else redis.call('PEXPIREAT', KEYS[i], ARGV[1]) end
end
return 0
`;

/** Every script, by the command name the store calls it by; `numberOfKeys` where it is fixed. */
const SCRIPTS = {
  smsCharge: { lua: CHARGE },
  smsPeek: { lua: PEEK },
  smsRefund: { lua: REFUND },
  smsClaim: { lua: CLAIM },
  smsComplete: { lua: COMPLETE, numberOfKeys: 1 },
  smsRelease: { lua: RELEASE, numberOfKeys: 1 },
  smsPutDocument: { lua: PUT_DOCUMENT, numberOfKeys: 1 },
  smsExpireDocuments: { lua: EXPIRE_DOCUMENTS },
} as const;

/**
 * The scripts called with their number of keys first (the others declare it). Auto-pipelining routes
 * a command by its first argument, so a Cluster must send these alone (redis-topology.ts).
 */
export const SCRIPTS_WITH_KEY_COUNT: readonly string[] = Object.entries(SCRIPTS)
  .filter(([, script]) => !('numberOfKeys' in script))
  .map(([name]) => name);

/** The scripts as the client's commands. */
interface ScriptedCommands {
  smsCharge(keys: number, ...args: (string | number)[]): Promise<[number[], (string | number)[]] | 'late'>;
  smsPeek(keys: number, ...args: (string | number)[]): Promise<[number[], (string | number)[]]>;
  smsRefund(keys: number, ...args: (string | number)[]): Promise<number>;
  smsClaim(keys: number, ...args: (string | number)[]): Promise<[string, string?, string?] | 'late'>;
  smsComplete(key: string, fingerprint: string, result: string, now: number, ttlMs: number): Promise<number>;
  smsRelease(key: string, fingerprint: string): Promise<number>;
  smsPutDocument(key: string, value: string, version: number, expiresAt: string): Promise<number>;
  smsExpireDocuments(keys: number, ...args: string[]): Promise<number>;
}
export type ScriptedRedis = (Redis | Cluster) & ScriptedCommands;

/** Defines every script on a client, as the commands `ScriptedRedis` names. */
export function withScripts(client: Redis | Cluster): ScriptedRedis {
  for (const [name, script] of Object.entries(SCRIPTS)) client.defineCommand(name, script);
  return client as ScriptedRedis;
}
