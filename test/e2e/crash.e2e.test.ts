import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LEASE_MARGIN_MS } from '../../src/guard/idempotency';
import { useFakeUspeedo } from '../support/fake-uspeedo';
import { listeningUrl, start, until } from '../support/main-process';
import { RedisServer, redisAvailable } from '../support/redis-server';
import { batch, SEND_BATCH_SMS, serverPool, TEST_KEY_ID, TEST_SECRET } from '../support/server';
import { API_KEY_OPS, API_KEYS, bearer } from '../support/tokens';

// One send per idempotency key, whatever becomes of the process or its store mid-send: the claim has a
// lease of USPEEDO_TIMEOUT_MS + LEASE_MARGIN_MS; inside it a retry hears IDEMPOTENCY_IN_PROGRESS, after
// it OUTCOME_UNKNOWN, for as long as the key is kept. Against the real entry point, killed for real.

const TIMEOUT_MS = 500;
const LEASE_MS = TIMEOUT_MS + LEASE_MARGIN_MS;
const TTL_SECONDS = 9;
const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));

const upstream = useFakeUspeedo();

function startMain(state: Record<string, string>, env: Record<string, string> = {}) {
  return start({
    USPEEDO_BASE_URL: upstream.url,
    USPEEDO_ACCESS_KEY_ID: TEST_KEY_ID,
    USPEEDO_ACCESS_KEY_SECRET: TEST_SECRET,
    USPEEDO_TIMEOUT_MS: String(TIMEOUT_MS),
    IDEMPOTENCY_TTL_SECONDS: String(TTL_SECONDS),
    API_KEYS,
    ...state,
    ...env,
  });
}

async function graphqlUrl(run: ReturnType<typeof start>): Promise<string> {
  return `${await listeningUrl(run)}/graphql`;
}

const variables = { input: { ...batch([{ phone: '13800138000' }]).input, idempotencyKey: 'crash-order-1' } };

async function send(url: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(API_KEY_OPS) },
    body: JSON.stringify({ query: SEND_BATCH_SMS, variables }),
  });
  expect(response.status).toBe(200);
  return (await response.json()).data.sendBatchSms;
}

/**
 * Sends with a key while the fake holds the request, ends the process with `stop`, restarts it on the
 * same state, and retries: IN_PROGRESS inside the lease, OUTCOME_UNKNOWN after it and up to the TTL,
 * one upstream call throughout; past the TTL the key is forgotten.
 */
async function crashAndRetry(
  state: Record<string, string>,
  stop: (run: ReturnType<typeof start>) => Promise<void>,
  env: Record<string, string> = {},
) {
  const first = startMain(state, env);
  let second: ReturnType<typeof start> | undefined;
  try {
    upstream.reply({ delayMs: 3_000 });
    const url = await graphqlUrl(first);
    void send(url).catch(() => {});
    await until(() => upstream.calls.length === 1);
    const claimedBy = Date.now();
    await stop(first);

    second = startMain(state, env);
    const retryUrl = await graphqlUrl(second);
    upstream.reply({});
    const early = await send(retryUrl);
    expect(early).toMatchObject({ __typename: 'SendBatchSmsError', code: 'IDEMPOTENCY_IN_PROGRESS', retryable: true });
    expect(early.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(early.retryAfterSeconds).toBeLessThanOrEqual(Math.ceil((LEASE_MS - (Date.now() - claimedBy)) / 1000) + 1);

    await sleepUntil(claimedBy + LEASE_MS + 300);
    const unknown = await send(retryUrl);
    expect(unknown).toMatchObject({ __typename: 'SendBatchSmsError', code: 'OUTCOME_UNKNOWN', retryable: false, retryAfterSeconds: null });
    expect(unknown.message).toMatch(/may have been sent/);
    expect(unknown.message).toMatch(/duplicate/);
    expect(unknown.message).toMatch(/uSpeedo's console/);

    // Final for the rest of the key's life, which counts from the claim.
    await sleepUntil(claimedBy + TTL_SECONDS * 1000 - 700);
    expect(await send(retryUrl)).toEqual(unknown);
    expect(upstream.calls).toHaveLength(1);

    // After the TTL the key is forgotten, as any key is: the same request is a new send.
    await sleepUntil(claimedBy + TTL_SECONDS * 1000 + 500);
    expect((await send(retryUrl)).__typename).toBe('SendBatchSmsSuccess');
    expect(upstream.calls).toHaveLength(2);
  } finally {
    first.child.kill('SIGKILL');
    second?.child.kill('SIGKILL');
  }
}

const sigkill = async (run: ReturnType<typeof start>) => {
  run.child.kill('SIGKILL');
  await run.exited;
};

describe('a process that dies with a send in flight', () => {
  it('SIGKILL on SQLite: the restarted server answers IN_PROGRESS, then OUTCOME_UNKNOWN, and never sends the key twice', async () => {
    const state = { STATE_DB_PATH: join(mkdtempSync(join(tmpdir(), 'sms-crash-')), 'state.db') };
    await crashAndRetry(state, sigkill);
  }, 40_000);

  it('SIGTERM past SHUTDOWN_GRACE_MS on SQLite: the same', async () => {
    const state = { STATE_DB_PATH: join(mkdtempSync(join(tmpdir(), 'sms-crash-')), 'state.db') };
    await crashAndRetry(
      state,
      async (run) => {
        run.child.kill('SIGTERM');
        expect(await run.exited).toBe(1);
        expect(run.output()).toContain('shutdown grace period over');
      },
      { SHUTDOWN_GRACE_MS: '200' },
    );
  }, 40_000);

  (redisAvailable() ? it : it.skip)(
    'SIGKILL on Redis: the same, with the record in Redis',
    async () => {
      const redis = await RedisServer.start();
      try {
        await crashAndRetry({ REDIS_URL: redis.url }, sigkill);
      } finally {
        await redis.stop();
      }
    },
    40_000,
  );
});

describe('a store that fails after the send', () => {
  const pool = serverPool({ API_KEYS, USPEEDO_TIMEOUT_MS: String(TIMEOUT_MS) });

  it("answers the caller with uSpeedo's result, and later retries with OUTCOME_UNKNOWN, not a second send", async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sms-crash-')), 'state.db');
    const server = await pool.serve({ STATE_DB_PATH: path });
    const other = new Database(path);
    try {
      pool.upstream.reply({ delayMs: 300 });
      const first = server.gql(SEND_BATCH_SMS, variables, bearer(API_KEY_OPS));
      await until(() => pool.upstream.calls.length === 1);
      const claimedBy = Date.now();
      // Another process holds the write lock past the store's 2 s busy timeout: storing the result fails.
      other.exec('BEGIN IMMEDIATE');
      setTimeout(() => other.exec('COMMIT'), 2_500);
      const answer = await first;
      expect(answer.body.data.sendBatchSms.__typename).toBe('SendBatchSmsSuccess');
      expect(server.logs.text).toContain('could not store an idempotent result');

      await sleepUntil(claimedBy + 2_700);
      const during = await server.gql(SEND_BATCH_SMS, variables, bearer(API_KEY_OPS));
      expect(during.body.data.sendBatchSms).toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS', retryable: true });
      await sleepUntil(claimedBy + LEASE_MS + 300);
      const after = await server.gql(SEND_BATCH_SMS, variables, bearer(API_KEY_OPS));
      expect(after.body.data.sendBatchSms).toMatchObject({ code: 'OUTCOME_UNKNOWN', retryable: false });
      expect(pool.upstream.calls).toHaveLength(1);
    } finally {
      other.close();
    }
  }, 30_000);
});
