import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedPortUrl } from '../support/fake-uspeedo';
import { batch, SEND_BATCH_SMS, serverPool, type TestServer } from '../support/server';
import { API_KEY_OPS, API_KEY_WEB, API_KEYS, bearer } from '../support/tokens';

const OFF = {
  RATE_LIMIT_CALLER_PER_MINUTE: '0',
  RATE_LIMIT_CALLER_PER_DAY: '0',
  RATE_LIMIT_PHONE_PER_HOUR: '0',
  RATE_LIMIT_PHONE_PER_DAY: '0',
  RATE_LIMIT_GLOBAL_PER_DAY: '0',
};

const pool = serverPool({ API_KEYS, ...OFF });
const { serve } = pool;

const phones = (count: number, from = 0) =>
  Array.from({ length: count }, (_, i) => ({ phone: `1390013${String(from + i).padStart(4, '0')}` }));

async function send(server: TestServer, target: { phone: string }[], key = API_KEY_OPS) {
  const { status, body } = await server.gql(SEND_BATCH_SMS, batch(target), bearer(key));
  expect(status).toBe(200);
  return body.data.sendBatchSms;
}

describe.each([
  ['RATE_LIMIT_CALLER_PER_MINUTE', 60, /this caller's limit of 5 recipients per minute/],
  ['RATE_LIMIT_CALLER_PER_DAY', 86400, /this caller's limit of 5 recipients per day/],
  ['RATE_LIMIT_GLOBAL_PER_DAY', 86400, /daily sending ceiling/],
])('%s', (variable, window, message) => {
  it('passes exactly at the limit, refuses one over with nothing sent, and counts recipients not requests', async () => {
    const server = await serve({ [variable]: '5' });
    expect((await send(server, phones(3))).__typename).toBe('SendBatchSmsSuccess');
    expect((await send(server, phones(2, 3))).__typename).toBe('SendBatchSmsSuccess');
    expect(pool.upstream.calls).toHaveLength(2);

    const over = await send(server, phones(1, 5));
    expect(over).toMatchObject({ __typename: 'SendBatchSmsError', code: 'RATE_LIMITED', retryable: true, fieldErrors: [] });
    expect(over.message).toMatch(message);
    expect(over.retryAfterSeconds).toBeGreaterThan(0);
    expect(over.retryAfterSeconds).toBeLessThanOrEqual(window);
    expect(pool.upstream.calls).toHaveLength(2);
  });
});

it('counts callers apart, and the global ceiling across them', async () => {
  const server = await serve({ RATE_LIMIT_CALLER_PER_MINUTE: '2', RATE_LIMIT_GLOBAL_PER_DAY: '3' });
  expect((await send(server, phones(2), API_KEY_OPS)).__typename).toBe('SendBatchSmsSuccess');
  expect((await send(server, phones(1, 2), API_KEY_OPS)).code).toBe('RATE_LIMITED');
  expect((await send(server, phones(1, 3), API_KEY_WEB)).__typename).toBe('SendBatchSmsSuccess');
  const global = await send(server, phones(1, 4), API_KEY_WEB);
  expect(global.message).toMatch(/daily sending ceiling/);
  expect(pool.upstream.calls).toHaveLength(2);
});

describe.each([
  ['RATE_LIMIT_PHONE_PER_HOUR', /5 messages per number per hour/],
  ['RATE_LIMIT_PHONE_PER_DAY', /5 messages per number per day/],
])('%s', (variable, message) => {
  it('lets a number receive exactly the limit across callers, then refuses the whole batch, naming the number', async () => {
    const server = await serve({ [variable]: '5' });
    const busy = { phone: '13800138000' };
    for (let i = 0; i < 5; i++) {
      const result = await send(server, [busy], i % 2 ? API_KEY_WEB : API_KEY_OPS);
      expect(result.__typename).toBe('SendBatchSmsSuccess');
    }
    // The same number written another way is the same number.
    const over = await send(server, [...phones(2), { phone: '+86 138 0013 8000' }]);
    expect(over).toMatchObject({ code: 'RATE_LIMITED', retryable: true });
    expect(over.fieldErrors).toEqual([{ path: ['taskContent', '0', 'target', '2', 'phone'], message: expect.stringMatching(message) }]);
    expect(pool.upstream.calls).toHaveLength(5);
    // All or nothing: the two fresh numbers were not charged by the refused batch.
    expect((await send(server, phones(2))).__typename).toBe('SendBatchSmsSuccess');
  });
});

it('charges a number once per message when it appears in several tasks of one batch', async () => {
  const server = await serve({ RATE_LIMIT_PHONE_PER_HOUR: '2' });
  const task = { templateId: 't', senderId: 'S', target: [{ phone: '13800138000' }] };
  const gql = (n: number) => server.gql(SEND_BATCH_SMS, { input: { taskContent: Array(n).fill(task) } }, bearer(API_KEY_OPS));
  expect((await gql(2)).body.data.sendBatchSms.__typename).toBe('SendBatchSmsSuccess');
  expect((await gql(1)).body.data.sendBatchSms.code).toBe('RATE_LIMITED');
  expect(pool.upstream.calls).toHaveLength(1);
});

it('says when a number alone in one batch is over its limit: not retryable, named in every task', async () => {
  const server = await serve({ RATE_LIMIT_PHONE_PER_HOUR: '2' });
  const task = { templateId: 't', senderId: 'S', target: [{ phone: '13800138000' }, { phone: '13800138001' }] };
  const { body } = await server.gql(SEND_BATCH_SMS, { input: { taskContent: [task, task, task] } }, bearer(API_KEY_OPS));
  const result = body.data.sendBatchSms;
  expect(result).toMatchObject({ code: 'RATE_LIMITED', retryable: false, retryAfterSeconds: null });
  expect(result.message).toMatch(/batch alone is larger than the limit of 2 messages per number per hour: split it/);
  const paths = result.fieldErrors.map((e: { path: string[] }) => e.path.join('.'));
  expect(paths).toEqual(
    ['0.0', '0.1', '1.0', '1.1', '2.0', '2.1'].map((at) => `taskContent.${at.split('.')[0]}.target.${at.split('.')[1]}.phone`),
  );
  expect(pool.upstream.calls).toHaveLength(0);
});

it('says when a batch alone is larger than a limit: not retryable, no wait that would help', async () => {
  const server = await serve({ RATE_LIMIT_CALLER_PER_MINUTE: '3' });
  const result = await send(server, phones(4));
  expect(result).toMatchObject({ code: 'RATE_LIMITED', retryable: false, retryAfterSeconds: null });
  expect(result.message).toMatch(/batch alone is larger than this caller's limit of 3 recipients per minute/);
  expect(pool.upstream.calls).toHaveLength(0);
});

it('turns each limit off with 0', async () => {
  const server = await serve({});
  for (let i = 0; i < 3; i++) {
    expect((await send(server, [{ phone: '13800138000' }, ...phones(999, 1)])).__typename).toBe('SendBatchSmsSuccess');
  }
  expect(pool.upstream.calls).toHaveLength(3);
});

it('lets only one of two concurrent batches through a limit only one of them fits', async () => {
  const server = await serve({ RATE_LIMIT_CALLER_PER_MINUTE: '10' });
  pool.upstream.reply({ delayMs: 100 });
  const results = await Promise.all([send(server, phones(6)), send(server, phones(6, 6))]);
  expect(results.map((r) => r.__typename).sort()).toEqual(['SendBatchSmsError', 'SendBatchSmsSuccess']);
  expect(pool.upstream.calls).toHaveLength(1);
});

it('gives the recipients back when uSpeedo provably never got the batch', async () => {
  const server = await serve({ RATE_LIMIT_CALLER_PER_MINUTE: '2' }, await closedPortUrl());
  for (let i = 0; i < 3; i++) {
    expect(await send(server, phones(2))).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', retryable: true });
  }
});

it('keeps counting through a timeout: the batch may have been sent', async () => {
  const server = await serve({ RATE_LIMIT_CALLER_PER_MINUTE: '2', USPEEDO_TIMEOUT_MS: '100' });
  pool.upstream.reply({ delayMs: 300 });
  expect(await send(server, phones(2))).toMatchObject({ code: 'UPSTREAM_TIMEOUT', retryable: false });
  expect((await send(server, phones(1, 2))).code).toBe('RATE_LIMITED');
});

describe('ALLOWED_COUNTRY_CODES', () => {
  it('refuses numbers elsewhere, beside each one, and sends nothing; bare numbers count as 86', async () => {
    const server = await serve({ ALLOWED_COUNTRY_CODES: '86,852' });
    const ok = await send(server, [{ phone: '13800138000' }, { phone: '+85255311111' }, { phone: '(86)13900139000' }]);
    expect(ok.__typename).toBe('SendBatchSmsSuccess');
    const refused = await send(server, [{ phone: '13800138000' }, { phone: '+12025550143' }, { phone: '(44)7400123456' }]);
    expect(refused).toMatchObject({ code: 'DESTINATION_NOT_ALLOWED', retryable: false });
    expect(refused.fieldErrors).toEqual([
      { path: ['taskContent', '0', 'target', '1', 'phone'], message: 'is in country code +1, which this server does not send to' },
      { path: ['taskContent', '0', 'target', '2', 'phone'], message: 'is in country code +44, which this server does not send to' },
    ]);
    expect(pool.upstream.calls).toHaveLength(1);
  });
});

it('reports every limit in smsLimits', async () => {
  const server = await serve({
    RATE_LIMIT_CALLER_PER_MINUTE: '7',
    RATE_LIMIT_PHONE_PER_DAY: '9',
    ALLOWED_COUNTRY_CODES: '852,86',
    IDEMPOTENCY_TTL_SECONDS: '600',
  });
  const { body } = await server.gql(
    '{ smsLimits { rateLimitCallerPerMinute rateLimitCallerPerDay rateLimitPhonePerHour rateLimitPhonePerDay rateLimitGlobalPerDay allowedCountryCodes idempotencyTtlSeconds } }',
    {},
    bearer(API_KEY_OPS),
  );
  expect(body.data.smsLimits).toEqual({
    rateLimitCallerPerMinute: 7,
    rateLimitCallerPerDay: 0,
    rateLimitPhonePerHour: 0,
    rateLimitPhonePerDay: 9,
    rateLimitGlobalPerDay: 0,
    allowedCountryCodes: ['852', '86'],
    idempotencyTtlSeconds: 600,
  });
});

it('keeps daily counts across a restart on the same SQLite file', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'sms-state-')), 'state.db');
  const first = await serve({ STATE_DB_PATH: file, RATE_LIMIT_CALLER_PER_DAY: '3' });
  expect((await send(first, phones(3))).__typename).toBe('SendBatchSmsSuccess');
  await first.close();
  const second = await serve({ STATE_DB_PATH: file, RATE_LIMIT_CALLER_PER_DAY: '3' });
  expect((await send(second, phones(1, 3))).code).toBe('RATE_LIMITED');
  expect(pool.upstream.calls).toHaveLength(1);
});

it('fails closed with SERVICE_UNAVAILABLE when the SQLite file cannot be written, sending nothing', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'sms-state-')), 'state.db');
  const server = await serve({ STATE_DB_PATH: file, RATE_LIMIT_CALLER_PER_MINUTE: '100' });
  // Another process holding the write lock past the busy timeout looks the same as a broken disk.
  const Database = (await import('better-sqlite3')).default;
  const holder = new Database(file);
  holder.pragma('busy_timeout = 0');
  holder.exec('BEGIN IMMEDIATE');
  try {
    const result = await send(server, phones(1));
    expect(result).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
    expect(pool.upstream.calls).toHaveLength(0);
  } finally {
    holder.exec('ROLLBACK');
    holder.close();
  }
  expect((await send(server, phones(1))).__typename).toBe('SendBatchSmsSuccess');
}, 20_000);
