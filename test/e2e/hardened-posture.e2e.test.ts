import { statSync, mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batch, EXPECTED_AUTHORIZATION, SEND_BATCH_SMS, serverPool, TEST_KEY_ID, TEST_SECRET, type TestServer } from '../support/server';
import { API_KEY_OPS, API_KEYS, bearer, hsToken, JWT_TEST_SECRET } from '../support/tokens';

const pool = serverPool({ API_KEYS });
const { serve } = pool;

interface RawAnswer {
  status: number;
  /** From the first byte sent to the status line. */
  ms: number;
  /** The server closed the connection after answering. */
  closed: Promise<void>;
}

/**
 * Sends headers announcing `length` bytes of body, then `body` (at once, or a byte every `dripMs`),
 * and reports when the answer's status arrived.
 */
function rawPost(server: TestServer, headers: Record<string, string>, length: number, body: Buffer | null, dripMs = 0): Promise<RawAnswer> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(Number(url.port), url.hostname);
    const closed = new Promise<void>((done) => socket.on('close', () => done()));
    let text = '';
    let drip: NodeJS.Timeout | undefined;
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (status) {
        clearInterval(drip);
        resolve({ status: Number(status[1]), ms: performance.now() - started, closed });
      }
    });
    socket.on('close', () => reject(new Error(`closed without an answer: ${JSON.stringify(text.slice(0, 80))}`)));
    setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer in 3 s'));
    }, 3_000).unref();
    const head = Object.entries({ host: url.host, 'content-type': 'application/json', 'content-length': String(length), ...headers })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    socket.write(`POST /graphql HTTP/1.1\r\n${head}\r\n`);
    if (body && dripMs === 0) socket.write(body);
    if (body && dripMs > 0) {
      let i = 0;
      drip = setInterval(() => {
        if (i < body.length && !socket.destroyed) socket.write(body.subarray(i, ++i));
      }, dripMs);
    }
  });
}

/** A nested-array body of about 1 MB: costly to parse, were it parsed. */
const HEAVY_BODY = Buffer.from(
  `{"query":"{ smsLimits { maxTargetsPerRequest } }","variables":{"x":${'['.repeat(1000)}${'0,'.repeat(500_000)}0${']'.repeat(1000)}}}`,
);

async function timedLimitsQuery(server: TestServer): Promise<number> {
  const started = performance.now();
  const { status } = await server.gql('{ smsLimits { maxTargetsPerRequest } }', {}, bearer(API_KEY_OPS));
  expect(status).toBe(200);
  return performance.now() - started;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

describe('authentication before the body', () => {
  it('answers a no-token request with a 1 MB body 401 at once, without reading it, and closes the connection', async () => {
    const server = await serve();
    // All but the last byte: a server that reads the body before authenticating would still be waiting.
    const answer = await rawPost(server, {}, HEAVY_BODY.length, HEAVY_BODY.subarray(0, -1));
    expect(answer.status).toBe(401);
    expect(answer.ms).toBeLessThan(100);
    await answer.closed;
    expect(server.logs.text).toContain('"result":"UNAUTHENTICATED"');
  });

  it('answers a no-token request whose body drips (or never comes) 401 at once', async () => {
    const server = await serve();
    const dripping = await rawPost(server, { authorization: 'Bearer not-a-key' }, 1000, Buffer.alloc(1000, 0x20), 100);
    expect(dripping.status).toBe(401);
    expect(dripping.ms).toBeLessThan(100);
    await dripping.closed;
    const never = await rawPost(server, {}, 1000, null);
    expect(never.status).toBe(401);
    expect(never.ms).toBeLessThan(100);
    await never.closed;
  });

  it('cuts an authenticated request whose body does not arrive within REQUEST_TIMEOUT_MS', async () => {
    const server = await serve({ REQUEST_TIMEOUT_MS: '500' });
    const answer = await rawPost(server, bearer(API_KEY_OPS), 1000, Buffer.alloc(1000, 0x20), 100);
    expect(answer.status).toBe(408);
    // Node checks timeouts every REQUEST_TIMEOUT_MS / 4 here (at least 100 ms).
    expect(answer.ms).toBeGreaterThanOrEqual(450);
    expect(answer.ms).toBeLessThan(1500);
    await answer.closed;
    expect(pool.upstream.calls).toHaveLength(0);
  });

  it('keeps a valid request fast while unauthenticated callers send heavy and dripping bodies', async () => {
    const server = await serve();
    const quiet: number[] = [];
    for (let i = 0; i < 5; i++) quiet.push(await timedLimitsQuery(server));
    const attacks: Promise<unknown>[] = [];
    for (let i = 0; i < 4; i++) attacks.push(rawPost(server, {}, HEAVY_BODY.length, HEAVY_BODY));
    for (let i = 0; i < 20; i++) attacks.push(rawPost(server, {}, 1000, Buffer.alloc(1000, 0x20), 50));
    const busy: number[] = [];
    for (let i = 0; i < 5; i++) busy.push(await timedLimitsQuery(server));
    await Promise.all(attacks);
    // Parsing one such body took about 80 ms; four of them took a request from 1 ms to about 400.
    expect(median(busy)).toBeLessThan(median(quiet) + 25);
  });
});

describe('a hardened server (real credentials, NODE_ENV unset)', () => {
  const hardened = () => serve({ NODE_ENV: '', AUTH_DISABLED: '', METRICS_PUBLIC: '', GRAPHQL_INTROSPECTION: '' });

  it('refuses introspection, serves no Sandbox page and hides field suggestions', async () => {
    const server = await hardened();
    const { body } = await server.gql('{ __schema { types { name } } }', {}, bearer(API_KEY_OPS));
    expect(body.errors[0].message).toMatch(/introspection/i);
    const page = await server.fetch('/graphql', { headers: { accept: 'text/html' } });
    expect(page.text).not.toMatch(/sandbox/i);
    const typo = await server.gql('{ smsLimit { maxTargetsPerRequest } }', {}, bearer(API_KEY_OPS));
    expect(typo.body.errors[0].message).not.toMatch(/did you mean/i);
  });

  it('closes /metrics unless METRICS_TOKEN is sent, or METRICS_PUBLIC=true opens it', async () => {
    const server = await hardened();
    const closed = await server.fetch('/metrics');
    expect(closed.status).toBe(401);
    expect(closed.text).toMatch(/METRICS_TOKEN/);
    const open = await serve({ NODE_ENV: '', METRICS_PUBLIC: 'true' });
    expect((await open.fetch('/metrics')).status).toBe(200);
  });
});

describe('text that reaches the SMS', () => {
  const cases: [string, { templateId?: string; senderId?: string; param?: string }, string, RegExp][] = [
    ['a newline in a parameter', { param: '123456\n\nURGENT call http://evil.example' }, 'templateParams/0', /control characters/],
    ['NUL in a parameter', { param: 'a\u0000b' }, 'templateParams/0', /control characters/],
    ['ESC in a parameter', { param: '\u001b[31mred' }, 'templateParams/0', /control characters/],
    ['a C1 control in a parameter', { param: 'a\u0085b' }, 'templateParams/0', /control characters/],
    ['a right-to-left override in a parameter', { param: 'abc\u202edef' }, 'templateParams/0', /bidirectional/],
    ['an isolate in a parameter', { param: 'abc\u2066def' }, 'templateParams/0', /bidirectional/],
    ['a lone surrogate in a parameter', { param: 'ab\ud800' }, 'templateParams/0', /surrogates/],
    ['a blank parameter', { param: ' \u200b ' }, 'templateParams/0', /blank/],
    ['a templateId of a zero-width space', { templateId: '\u200b' }, 'templateId', /blank/],
    ['a templateId of a lone surrogate', { templateId: '\udc00' }, 'templateId', /surrogates/],
    ['a templateId of a BOM and a joiner', { templateId: '\ufeff\u200d' }, 'templateId', /blank/],
    ['a senderId with a bidi override', { senderId: 'Bank\u202e' }, 'senderId', /bidirectional/],
    ['a senderId with a tab', { senderId: 'Ba\tnk' }, 'senderId', /control characters/],
  ];

  it.each(cases)('refuses %s: INVALID_INPUT at its path, nothing sent, the value not repeated', async (_name, fields, at, message) => {
    const server = await serve();
    const input = batch(
      [{ phone: '13800138000', templateParams: fields.param === undefined ? ['123456'] : [fields.param] }],
      fields.templateId,
      fields.senderId,
    );
    const { body } = await server.gql(SEND_BATCH_SMS, input, bearer(API_KEY_OPS));
    const result = body.data.sendBatchSms;
    expect(result.code).toBe('INVALID_INPUT');
    const path = at.startsWith('templateParams') ? ['taskContent', '0', 'target', '0', ...at.split('/')] : ['taskContent', '0', at];
    expect(result.fieldErrors).toEqual([{ path, message: expect.stringMatching(message) }]);
    const value = fields.param ?? fields.templateId ?? fields.senderId!;
    expect(JSON.stringify(body)).not.toContain(JSON.stringify(value).slice(1, -1));
    expect(pool.upstream.calls).toHaveLength(0);
  });

  it('passes letters of every script, emoji and a zero-width joiner inside visible text', async () => {
    const server = await serve();
    const params = ['验证码 123456', 'مرحبا', '👩‍💻', 'Ünïcødé', 'a\u200db'];
    const { body } = await server.gql(
      SEND_BATCH_SMS,
      batch([{ phone: '13800138000', templateParams: params }], 'tpl_1', '发送者'),
      bearer(API_KEY_OPS),
    );
    expect(body.data.sendBatchSms.__typename).toBe('SendBatchSmsSuccess');
    expect(JSON.parse(pool.upstream.onlyCall().body.toString()).TaskContent[0].Target[0].TemplateParams).toEqual(params);
  });
});

describe('per-number counters', () => {
  it('give two valid 17-digit numbers a counter each', async () => {
    const server = await serve({ RATE_LIMIT_PHONE_PER_HOUR: '5' });
    const sendTo = async (phone: string) =>
      (await server.gql(SEND_BATCH_SMS, batch([{ phone }]), bearer(API_KEY_OPS))).body.data.sendBatchSms;
    for (let i = 0; i < 5; i++) expect((await sendTo('+49301234567890121')).__typename).toBe('SendBatchSmsSuccess');
    expect(await sendTo('+49301234567890121')).toMatchObject({ code: 'RATE_LIMITED' });
    expect((await sendTo('+49301234567890123')).__typename).toBe('SendBatchSmsSuccess');
    expect(pool.upstream.calls).toHaveLength(6);
  });
});

describe('smaller holes', () => {
  it('refuses a JWT older than JWT_MAX_AGE (by iat)', async () => {
    const server = await serve({ API_KEYS: '', JWT_SECRET: JWT_TEST_SECRET, JWT_MAX_AGE: '1h' });
    const fresh = await server.gql(
      SEND_BATCH_SMS,
      batch([{ phone: '13800138000' }]),
      bearer(await hsToken({ scope: 'sms:send', age: 60 })),
    );
    expect(fresh.body.data.sendBatchSms.__typename).toBe('SendBatchSmsSuccess');
    const old = await server.gql(
      SEND_BATCH_SMS,
      batch([{ phone: '13800138000' }]),
      bearer(await hsToken({ scope: 'sms:send', age: 3700, exp: 600 })),
    );
    expect(old.status).toBe(401);
    expect(old.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(pool.upstream.calls).toHaveLength(1);
  });

  it("removes this server's credentials and Basic header from uSpeedo's Message before a caller sees it", async () => {
    const server = await serve();
    const basic = EXPECTED_AUTHORIZATION;
    pool.upstream.reply({ body: { RetCode: 215398, Message: `bad credentials: ${basic} (id ${TEST_KEY_ID}, secret ${TEST_SECRET})` } });
    const { body } = await server.gql(SEND_BATCH_SMS, batch([{ phone: '13800138000' }]), bearer(API_KEY_OPS));
    const result = body.data.sendBatchSms;
    expect(result.code).toBe('UPSTREAM_AUTH_FAILED');
    expect(result.message).toBe('bad credentials: [redacted] (id [redacted], secret [redacted])');
    const text = JSON.stringify(body);
    for (const secret of [TEST_SECRET, TEST_KEY_ID, basic.slice('Basic '.length)]) expect(text).not.toContain(secret);
  });

  it('creates the SQLite state file readable by its owner only', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'sms-mode-')), 'nested');
    const path = join(dir, 'state.db');
    const server = await serve({ STATE_DB_PATH: path });
    await server.gql(
      SEND_BATCH_SMS,
      { input: { ...batch([{ phone: '13800138000' }]).input, idempotencyKey: 'mode-1' } },
      bearer(API_KEY_OPS),
    );
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(`${path}-wal`).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });
});
