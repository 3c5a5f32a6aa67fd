import { closedPortUrl, UNRESOLVABLE_URL, type FakeReply } from '../support/fake-uspeedo';
import { batch, SEND_BATCH_SMS, serverPool, TEST_SECRET, type TestServer } from '../support/server';
import { API_KEY_OPS, API_KEYS, bearer } from '../support/tokens';

const pool = serverPool({ API_KEYS, USPEEDO_TIMEOUT_MS: '1000' });
const { serve } = pool;

const send = async (server: TestServer, variables: Record<string, unknown>) => {
  const { status, body } = await server.gql(SEND_BATCH_SMS, variables, bearer(API_KEY_OPS));
  expect(status).toBe(200);
  return body.data.sendBatchSms;
};

const metricValue = (text: string, line: string) => {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
};

describe('GET /metrics', () => {
  it('counts recipients by outcome, mutations by result, upstream latency and limit rejections, in Prometheus format', async () => {
    const server = await serve({ RATE_LIMIT_CALLER_PER_MINUTE: '5', METRICS_TOKEN: 'metrics-token-0123456789' });
    pool.upstream.reply({
      body: { RetCode: 0, Message: 'ok', SessionNo: ['s'], FailedTargetPhones: [{ Phone: '(852)55310000', FailureReason: 'black list' }] },
    });
    await send(server, batch([{ phone: '13800138000' }, { phone: '+85255310000' }]));
    await send(server, batch([{ phone: 'nope' }]));
    await send(server, batch([{ phone: '13800138001' }, { phone: '13800138002' }, { phone: '13800138003' }, { phone: '13800138004' }]));

    expect((await server.fetch('/metrics')).status).toBe(401);
    expect((await server.fetch('/metrics', { headers: bearer('wrong-token-0123456789') })).status).toBe(401);
    const { status, headers, text } = await server.fetch('/metrics', { headers: bearer('metrics-token-0123456789') });
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(metricValue(text, 'sms_recipients_total{outcome="accepted"}')).toBe(1);
    expect(metricValue(text, 'sms_recipients_total{outcome="failed"}')).toBe(1);
    expect(metricValue(text, 'sms_recipients_total{outcome="not_sent"}')).toBe(4);
    expect(metricValue(text, 'sms_mutations_total{result="SUCCESS"}')).toBe(1);
    expect(metricValue(text, 'sms_mutations_total{result="INVALID_INPUT"}')).toBe(1);
    expect(metricValue(text, 'sms_mutations_total{result="RATE_LIMITED"}')).toBe(1);
    expect(metricValue(text, 'sms_limit_rejections_total{limit="caller-minute"}')).toBe(1);
    expect(metricValue(text, 'sms_upstream_duration_seconds_count{result="SUCCESS"}')).toBe(1);
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('counts an unknown outcome as unknown', async () => {
    const server = await serve();
    pool.upstream.reply({ delayMs: 1500 });
    await send(server, batch([{ phone: '13800138000' }, { phone: '13800138001' }]));
    const { text } = await server.fetch('/metrics');
    expect(metricValue(text, 'sms_recipients_total{outcome="unknown"}')).toBe(2);
    expect(metricValue(text, 'sms_mutations_total{result="UPSTREAM_TIMEOUT"}')).toBe(1);
  });
});

describe('GET /readyz', () => {
  it('is 200 with the store it uses when it can send', async () => {
    const server = await serve();
    const { status, text } = await server.fetch('/readyz');
    expect(status).toBe(200);
    expect(JSON.parse(text)).toEqual({ status: 'ready', store: 'sqlite', uspeedo: 'live' });
  });

  it('is 503 with a reason when the state store cannot be reached', async () => {
    const port = (await closedPortUrl()).split(':').pop();
    const server = await serve({ REDIS_URL: `redis://127.0.0.1:${port}` });
    const { status, text } = await server.fetch('/readyz');
    expect(status).toBe(503);
    expect(JSON.parse(text)).toEqual({ status: 'unavailable', reason: 'state store (redis) unreachable' });
    expect((await server.fetch('/healthz')).status).toBe(200);
  }, 15_000);
});

describe('logs', () => {
  it('write one line per send with caller, counts, result, latency and request uuid; phones masked; no secrets', async () => {
    const server = await serve();
    pool.upstream.reply({
      body: { RetCode: 0, Message: 'ok', SessionNo: ['s'], FailedTargetPhones: [{ Phone: '(852)55310099', FailureReason: 'x' }] },
    });
    await send(server, batch([{ phone: '13800138000' }, { phone: '+852 5531 0099' }]));
    expect((await send(server, batch([{ phone: '+85255310098' }, { phone: '12345' }]))).code).toBe('INVALID_INPUT');
    const lines = server.logs.lines.map((line) => JSON.parse(line));
    const answered = lines.filter((l) => l.msg === 'sendBatchSms answered');
    expect(answered).toHaveLength(1);
    expect(answered[0]).toMatchObject({
      reqId: expect.any(String),
      sms: {
        caller: 'ops',
        callerKind: 'api-key',
        tasks: 1,
        recipients: 2,
        result: 'SUCCESS',
        failedRecipients: 1,
        failedPhones: ['+852******99'],
        upstreamMs: expect.any(Number),
        requestUuid: 'fake-request-uuid-0001',
      },
    });
    const text = server.logs.text;
    for (const digits of ['13800138000', '55310099', '5531 0099', '55310098']) expect(text).not.toContain(digits);
    expect(text).not.toContain(API_KEY_OPS);
    expect(text).not.toContain(TEST_SECRET);
  });
});

// Each fault: the typed error and `retryable` of the mapping table, one attempt, and the server
// still answering the next request.
const faults: [string, string, boolean, FakeReply | 'closed-port' | 'unresolvable'][] = [
  ['latency past the timeout', 'UPSTREAM_TIMEOUT', false, { delayMs: 1500 }],
  ['a reset before any response', 'UPSTREAM_UNAVAILABLE', false, { fault: 'reset' }],
  [
    'a reset in the middle of the body',
    'UPSTREAM_UNAVAILABLE',
    false,
    { fault: 'reset-mid-body', body: { RetCode: 0, Message: 'x'.repeat(2000) } },
  ],
  ['truncated JSON', 'INVALID_UPSTREAM_RESPONSE', false, { body: '{"RetCode":0,"Mess' }],
  [
    'an HTML 502',
    'UPSTREAM_HTTP_ERROR',
    false,
    { status: 502, body: '<html><body>Bad Gateway</body></html>', headers: { 'content-type': 'text/html' } },
  ],
  ['an empty 200', 'INVALID_UPSTREAM_RESPONSE', false, { body: '' }],
  [
    '429 with Retry-After',
    'UPSTREAM_HTTP_ERROR',
    true,
    { status: 429, headers: { 'retry-after': '7' }, body: { RetCode: 215999, Message: 'slow down' } },
  ],
  ['a body that drips past the timeout', 'UPSTREAM_TIMEOUT', false, { fault: 'drip', delayMs: 40 }],
  ['a closed port', 'UPSTREAM_UNAVAILABLE', true, 'closed-port'],
  ['an unresolvable host', 'UPSTREAM_UNAVAILABLE', true, 'unresolvable'],
];

describe('under faults', () => {
  it.each(faults)('%s → %s (retryable: %s), one attempt, and the next request is served', async (_name, code, retryable, fault) => {
    const base = fault === 'closed-port' ? await closedPortUrl() : fault === 'unresolvable' ? UNRESOLVABLE_URL : pool.upstream.url;
    const server = await serve({}, base);
    if (typeof fault === 'object') pool.upstream.reply(fault);
    const result = await send(server, batch([{ phone: '13800138000' }]));
    expect(result).toMatchObject({ __typename: 'SendBatchSmsError', code, retryable });
    expect(pool.upstream.calls).toHaveLength(typeof fault === 'object' ? 1 : 0);

    pool.upstream.reset();
    expect((await server.fetch('/healthz')).status).toBe(200);
    if (typeof fault === 'object') expect((await send(server, batch([{ phone: '13800138001' }]))).__typename).toBe('SendBatchSmsSuccess');
    else expect((await server.gql('{ smsLimits { maxTargetsPerRequest } }', {}, bearer(API_KEY_OPS))).status).toBe(200);
  });
});
