import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedPortUrl } from '../support/fake-uspeedo';
import { batch, SEND_BATCH_SMS, serverPool, type TestServer } from '../support/server';
import { API_KEY_OPS, API_KEY_WEB, API_KEYS, bearer } from '../support/tokens';

const pool = serverPool({ API_KEYS });
const { serve } = pool;

const input = (idempotencyKey: string, phone = '13800138000') => ({ input: { ...batch([{ phone }]).input, idempotencyKey } });

async function send(server: TestServer, variables: Record<string, unknown>, key = API_KEY_OPS) {
  const { status, body } = await server.gql(SEND_BATCH_SMS, variables, bearer(key));
  expect(status).toBe(200);
  return body.data.sendBatchSms;
}

describe('idempotencyKey', () => {
  it('answers a repeat with the stored result, identical, without calling uSpeedo or charging quota', async () => {
    const server = await serve({ RATE_LIMIT_CALLER_PER_MINUTE: '1' });
    pool.upstream.reply({ body: { RetCode: 0, Message: 'ok', SessionNo: ['s-1'], FailedTargetPhones: [] } });
    const first = await send(server, input('order-42'));
    expect(first.__typename).toBe('SendBatchSmsSuccess');
    for (let i = 0; i < 3; i++) expect(await send(server, input('order-42'))).toEqual(first);
    expect(pool.upstream.calls).toHaveLength(1);
  });

  it('stores an error whose outcome is unknown too, so a retry cannot send twice', async () => {
    const server = await serve({ USPEEDO_TIMEOUT_MS: '100' });
    pool.upstream.reply({ delayMs: 300 });
    const first = await send(server, input('order-43'));
    expect(first).toMatchObject({ code: 'UPSTREAM_TIMEOUT', retryable: false });
    expect(await send(server, input('order-43'))).toEqual(first);
    expect(pool.upstream.calls).toHaveLength(1);
  });

  it('refuses the same key with another batch: IDEMPOTENCY_CONFLICT, nothing sent', async () => {
    const server = await serve();
    await send(server, input('order-44'));
    const other = await send(server, input('order-44', '13900139000'));
    expect(other).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT', retryable: false });
    expect(pool.upstream.calls).toHaveLength(1);
  });

  it('takes a number written another way as the same batch, as the limits count it: a replay, not a conflict', async () => {
    const server = await serve();
    pool.upstream.reply({ body: { RetCode: 0, Message: 'ok', SessionNo: ['s-9'], FailedTargetPhones: [] } });
    const first = await send(server, input('order-49', '13800138000'));
    expect(first.__typename).toBe('SendBatchSmsSuccess');
    for (const phone of ['+8613800138000', '(86)13800138000', '+86 138 0013 8000']) {
      expect(await send(server, input('order-49', phone))).toEqual(first);
    }
    expect(pool.upstream.calls).toHaveLength(1);
    // Another number is another batch.
    expect(await send(server, input('order-49', '13800138001'))).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    expect(pool.upstream.calls).toHaveLength(1);
  });

  it('answers IDEMPOTENCY_IN_PROGRESS while the first request is in flight, then the result', async () => {
    const server = await serve();
    pool.upstream.reply({ delayMs: 300 });
    const first = send(server, input('order-45'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The lease: the 2 s upstream timeout plus the margin, less the 100 ms gone.
    expect(await send(server, input('order-45'))).toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS', retryable: true, retryAfterSeconds: 7 });
    const result = await first;
    expect(result.__typename).toBe('SendBatchSmsSuccess');
    expect(await send(server, input('order-45'))).toEqual(result);
    expect(pool.upstream.calls).toHaveLength(1);
  });

  it('scopes keys to the caller', async () => {
    const server = await serve();
    expect((await send(server, input('shared'), API_KEY_OPS)).__typename).toBe('SendBatchSmsSuccess');
    expect((await send(server, input('shared', '13900139000'), API_KEY_WEB)).__typename).toBe('SendBatchSmsSuccess');
    expect(pool.upstream.calls).toHaveLength(2);
  });

  it('does not keep a result that sent nothing: a retry with the key goes through', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sms-state-')), 'state.db');
    // Two servers on one file: one whose uSpeedo refuses connections, one whose uSpeedo answers.
    const down = await serve({ STATE_DB_PATH: file }, await closedPortUrl());
    const up = await serve({ STATE_DB_PATH: file, RATE_LIMIT_CALLER_PER_MINUTE: '1' });

    expect(await send(down, input('order-46'))).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', retryable: true });
    expect((await send(up, input('order-46'))).__typename).toBe('SendBatchSmsSuccess');
    // Over the limit: RATE_LIMITED is not kept either.
    expect((await send(up, input('order-47', '13900139000'))).code).toBe('RATE_LIMITED');
    const invalid = {
      input: { ...input('order-48').input, taskContent: [{ templateId: ' ', senderId: 'S', target: [{ phone: '13800138000' }] }] },
    };
    expect((await send(up, invalid)).code).toBe('INVALID_INPUT');
    expect(pool.upstream.calls).toHaveLength(1);

    const fresh = await serve({ STATE_DB_PATH: file });
    expect((await send(fresh, input('order-47', '13900139000'))).__typename).toBe('SendBatchSmsSuccess');
    expect((await send(fresh, input('order-48'))).__typename).toBe('SendBatchSmsSuccess');
    expect(pool.upstream.calls).toHaveLength(3);
  });

  it('keeps records across a restart on the same SQLite file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sms-state-')), 'state.db');
    const first = await serve({ STATE_DB_PATH: file });
    const result = await send(first, input('order-49'));
    await first.close();
    const second = await serve({ STATE_DB_PATH: file });
    expect(await send(second, input('order-49'))).toEqual(result);
    expect(pool.upstream.calls).toHaveLength(1);
  });

  it('forgets a key after IDEMPOTENCY_TTL_SECONDS', async () => {
    const server = await serve({ IDEMPOTENCY_TTL_SECONDS: '1' });
    await send(server, input('order-50'));
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await send(server, input('order-50'))).__typename).toBe('SendBatchSmsSuccess');
    expect(pool.upstream.calls).toHaveLength(2);
  });
});
