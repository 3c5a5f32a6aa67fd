import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { closedPortUrl, uspeedoReceipt, useFakeUspeedo } from '../support/fake-uspeedo';
import { listeningUrl, start, until } from '../support/main-process';
import { OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver';
import { RedisServer, redisAvailable } from '../support/redis-server';
import { subscribe } from '../support/subscriber';
import { batch, EXPECTED_AUTHORIZATION, SEND_BATCH_SMS, TEST_KEY_ID, TEST_SECRET } from '../support/server';
import { API_KEY_OPS, API_KEYS } from '../support/tokens';

// The real server process exporting to a real OTLP/HTTP receiver (protobuf decoded with
// OpenTelemetry's own .proto files, and JSON), in front of the fake uSpeedo.

const upstream = useFakeUspeedo();
let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await OtlpReceiver.start();
});
afterEach(() => {
  receiver.spans.length = 0;
  receiver.bodies.length = 0;
  receiver.contentTypes.length = 0;
  receiver.headers.length = 0;
  receiver.mode = 'ok';
});
afterAll(() => receiver.close());

const runs: ReturnType<typeof start>[] = [];
afterEach(() => {
  for (const run of runs.splice(0)) run.child.kill('SIGKILL');
});

/** The real server, tracing to the receiver (unless `env` says otherwise), exporting every 50 ms. */
async function serve(env: Record<string, string> = {}) {
  const run = start({
    USPEEDO_BASE_URL: upstream.url,
    USPEEDO_ACCESS_KEY_ID: TEST_KEY_ID,
    USPEEDO_ACCESS_KEY_SECRET: TEST_SECRET,
    USPEEDO_TIMEOUT_MS: '1500',
    STATE_DB_PATH: ':memory:',
    API_KEYS,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=collector-secret-0042',
    OTEL_BSP_SCHEDULE_DELAY: '50',
    ...env,
  });
  runs.push(run);
  const base = await listeningUrl(run);
  const gql = async (query: string, variables: object, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY_OPS}`, ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, body: await response.json() };
  };
  return { run, base, gql };
}

const CALLER_TRACE = '0af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN = 'b7ad6b7169203331';
const traceparent = (sampled = true) => ({ traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-${sampled ? '01' : '00'}` });

const PHONE = '+8613800138000';
const PARAM = 'code-777123';
const named = (spans: ReceivedSpan[], name: string) => spans.filter((span) => span.name === name);
const one = (spans: ReceivedSpan[], name: string) => {
  const found = named(spans, name);
  expect(found.map((span) => span.name)).toEqual([name]);
  return found[0];
};
const childrenOf = (spans: ReceivedSpan[], parent: ReceivedSpan) => spans.filter((span) => span.parentSpanId === parent.spanId);

/** Waits until the receiver has a span named `name` in the caller's trace (or any trace). */
async function spansOf(name: string, traceId?: string): Promise<ReceivedSpan[]> {
  await until(() => receiver.spans.some((span) => span.name === name && (!traceId || span.traceId === traceId)), 10_000);
  // The rest of the same export, or the next one.
  await new Promise((resolve) => setTimeout(resolve, 300));
  return traceId ? receiver.trace(traceId) : receiver.spans;
}

/** Nothing private in any exported byte. */
function expectNothingPrivate(extra: string[] = []): void {
  const everything = receiver.bodies.join('\n');
  for (const secret of [
    PHONE,
    '13800138000',
    PARAM,
    TEST_SECRET,
    TEST_KEY_ID,
    EXPECTED_AUTHORIZATION,
    Buffer.from(`${TEST_KEY_ID}:${TEST_SECRET}`).toString('base64'),
    API_KEY_OPS,
    'Bearer',
    'collector-secret-0042',
    'template_id_1',
    ...extra,
  ]) {
    expect(everything).not.toContain(secret);
  }
}

const sendVariables = (idempotencyKey?: string) => ({
  input: { ...batch([{ phone: PHONE, templateParams: [PARAM] }]).input, ...(idempotencyKey ? { idempotencyKey } : {}) },
});

describe('tracing on (OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  it("exports a send's span tree, continuing the caller's trace into uSpeedo and the log lines, with nothing private", async () => {
    const { run, gql } = await serve();
    const { body } = await gql(SEND_BATCH_SMS, sendVariables('trace-key-1'), traceparent());
    expect(body.data.sendBatchSms.__typename).toBe('SendBatchSmsSuccess');
    const spans = await spansOf('sms.send', CALLER_TRACE);

    // server → operation → send → store calls and the uSpeedo call
    const server = one(spans, 'POST /graphql');
    expect(server.parentSpanId).toBe(CALLER_SPAN);
    expect(server.kind).toBe(2);
    expect(server.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/graphql',
      'url.path': '/graphql',
      'http.response.status_code': 200,
    });
    const operation = childrenOf(spans, server);
    expect(operation.map((span) => span.name)).toEqual(['mutation SendBatchSms']);
    expect(operation[0].attributes).toEqual({ 'graphql.operation.type': 'mutation', 'graphql.operation.name': 'SendBatchSms' });
    const send = one(spans, 'sms.send');
    expect(send.parentSpanId).toBe(operation[0].spanId);
    expect(send.attributes).toEqual({
      'sms.tasks': 1,
      'sms.targets': 1,
      'sms.recipients': 1,
      'sms.idempotency': 'new',
      'sms.rate_limited': false,
      'sms.result': 'SendBatchSmsSuccess',
      'sms.failed_recipients': 0,
    });
    expect(send.status.code).toBe(0);
    const below = childrenOf(spans, send);
    expect(below.map((span) => span.name)).toEqual([
      'state_store claim',
      'state_store charge',
      'POST /api/v1/usms/SendBatchUSMSMessage',
      'state_store complete',
      'state_store recordSessions',
    ]);
    expect(below[0].attributes).toEqual({ 'db.system.name': 'sqlite', 'db.operation.name': 'claim' });
    const client = below[2];
    expect(client.kind).toBe(3);
    expect(client.attributes).toEqual({
      'http.request.method': 'POST',
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(upstream.url).port),
      'url.path': '/api/v1/usms/SendBatchUSMSMessage',
      'http.response.status_code': 200,
      'uspeedo.ret_code': 0,
      'uspeedo.request_uuid': 'fake-request-uuid-0001',
    });
    // uSpeedo got the client span's traceparent, once.
    expect(upstream.calls).toHaveLength(1);
    expect(upstream.calls[0].headers.traceparent).toBe(`00-${CALLER_TRACE}-${client.spanId}-01`);
    expect(server.resource['service.name']).toBe('uspeedo-sms-graphql');
    expect(receiver.contentTypes.every((type) => type === 'application/x-protobuf')).toBe(true);
    // The collector's own header went with the export, and nowhere into the spans.
    expect(receiver.headers[0]['x-collector-key']).toBe('collector-secret-0042');

    // Every log line of the request carries the trace, beside its request id.
    const lines = run
      .output()
      .split('\n')
      .filter((line) => line.includes('"reqId"'))
      .map((line) => JSON.parse(line) as { trace_id?: string; span_id?: string; msg: string });
    expect(lines.map((line) => line.msg)).toEqual(
      expect.arrayContaining(['incoming request', 'sendBatchSms answered', 'request completed']),
    );
    expect(lines.every((line) => line.trace_id === CALLER_TRACE)).toBe(true);
    expect(lines.find((line) => line.msg === 'sendBatchSms answered')!.span_id).toBe(send.spanId);
    expect(lines.find((line) => line.msg === 'incoming request')!.span_id).toBe(server.spanId);
    expectNothingPrivate();
  });

  it('exports http/json too, with the service name and resource attributes asked for; a replay says so', async () => {
    const { gql } = await serve({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'sms-edge',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test,service.version=9.9',
    });
    await gql(SEND_BATCH_SMS, sendVariables('trace-key-2'));
    await gql(SEND_BATCH_SMS, sendVariables('trace-key-2'));
    const sends = named(await spansOf('sms.send'), 'sms.send');
    await until(() => named(receiver.spans, 'sms.send').length === 2);
    expect(named(receiver.spans, 'sms.send').map((span) => span.attributes['sms.idempotency'])).toEqual(['new', 'replayed']);
    expect(sends[0].resource).toMatchObject({
      'service.name': 'sms-edge',
      'deployment.environment.name': 'test',
      'service.version': '9.9',
    });
    expect(receiver.contentTypes.every((type) => type.startsWith('application/json'))).toBe(true);
    // A new trace of its own without a caller's traceparent: the server span is its root.
    expect(one(receiver.trace(sends[0].traceId), 'POST /graphql').parentSpanId).toBe('');
    expect(upstream.calls).toHaveLength(1);
    expectNothingPrivate();
  });

  it('marks an unknown outcome and an upstream refusal as errors, a caller’s own mistake and a limit as attributes', async () => {
    const { gql } = await serve({ RATE_LIMIT_PHONE_PER_HOUR: '2' });
    // uSpeedo's message echoes the phone and our secret: neither may reach a span.
    upstream.reply({ body: { RetCode: 215392, Message: `bad ${PHONE} ${TEST_SECRET}` } });
    expect((await gql(SEND_BATCH_SMS, sendVariables())).body.data.sendBatchSms.code).toBe('PARAMETER_ERROR');
    upstream.reply({ delayMs: 3_000 });
    expect((await gql(SEND_BATCH_SMS, sendVariables())).body.data.sendBatchSms.code).toBe('UPSTREAM_TIMEOUT');
    upstream.reply({});
    expect((await gql(SEND_BATCH_SMS, sendVariables())).body.data.sendBatchSms.code).toBe('RATE_LIMITED');
    expect((await gql(SEND_BATCH_SMS, { input: batch([{ phone: '12' }]).input })).body.data.sendBatchSms.code).toBe('INVALID_INPUT');
    await until(() => named(receiver.spans, 'sms.send').length === 4, 10_000);
    const sends = named(receiver.spans, 'sms.send');
    expect(sends.map((span) => [span.attributes['sms.code'], span.status.code])).toEqual([
      ['PARAMETER_ERROR', 2],
      ['UPSTREAM_TIMEOUT', 2],
      ['RATE_LIMITED', 0],
      ['INVALID_INPUT', 0],
    ]);
    expect(sends[2].attributes['sms.rate_limited']).toBe(true);
    expect(sends[0].status.message).toBe('PARAMETER_ERROR');
    const clients = named(receiver.spans, 'POST /api/v1/usms/SendBatchUSMSMessage');
    expect(clients.map((span) => [span.attributes['uspeedo.ret_code'], span.attributes['error.type'], span.status.code])).toEqual([
      [215392, 'RetCode 215392', 2],
      [undefined, 'timeout', 2],
    ]);
    expectNothingPrivate(['bad ']);
  });

  (redisAvailable() ? it : it.skip)('makes each Redis call a client span of kind redis, the wait for replicas among them', async () => {
    const redis = await RedisServer.start();
    try {
      const { gql } = await serve({ REDIS_URL: redis.url, REDIS_ALLOW_VOLATILE: 'true' });
      await gql(SEND_BATCH_SMS, sendVariables('trace-key-redis'), traceparent());
      const spans = await spansOf('sms.send', CALLER_TRACE);
      const stores = childrenOf(spans, one(spans, 'sms.send')).filter((span) => span.name.startsWith('state_store '));
      expect(stores.map((span) => span.name)).toEqual([
        'state_store claim',
        'state_store charge',
        'state_store replicate',
        'state_store complete',
        'state_store replicate',
        'state_store recordSessions',
      ]);
      expect(stores.every((span) => span.kind === 3 && span.attributes['db.system.name'] === 'redis')).toBe(true);
      expectNothingPrivate();
    } finally {
      await redis.stop();
    }
  });

  it('traces lookups with each read retry a span of its own, and previews', async () => {
    const { gql } = await serve();
    await gql(SEND_BATCH_SMS, sendVariables());
    let asked = 0;
    upstream.route('GET', '/api/v1/usms/USMSSendReceipt', () =>
      ++asked === 1
        ? { status: 503, body: 'busy' }
        : {
            body: {
              RetCode: 0,
              Message: 'success',
              Data: [{ SessionNo: 'session_no_1', ReceiptSet: [uspeedoReceipt('(86)13800138000')] }],
            },
          },
    );
    const status = await gql(
      'query S($s: [String!]!) { smsDeliveryStatus(sessionNos: $s) { __typename } }',
      { s: ['session_no_1'] },
      traceparent(),
    );
    expect(status.body.data.smsDeliveryStatus.__typename).toBe('SmsDeliveryStatus');
    const spans = await spansOf('sms.delivery_status', CALLER_TRACE);
    const lookup = one(spans, 'sms.delivery_status');
    expect(lookup.attributes).toMatchObject({ 'sms.sessions': 1, 'sms.result': 'SmsDeliveryStatus' });
    const gets = childrenOf(spans, lookup).filter((span) => span.name.startsWith('GET '));
    expect(gets.map((span) => [span.attributes['http.response.status_code'], span.status.code])).toEqual([
      [503, 2],
      [200, 0],
    ]);
    expect(gets.every((span) => span.attributes['url.path'] === '/api/v1/usms/USMSSendReceipt')).toBe(true);

    const preview = await gql(
      'query P($input: SendBatchSmsInput!) { smsSendPreview(input: $input) { __typename } }',
      { input: batch([{ phone: PHONE, templateParams: [PARAM] }]).input },
      traceparent(),
    );
    expect(preview.body.data.smsSendPreview.__typename).toBeDefined();
    expect(one(await spansOf('sms.preview', CALLER_TRACE), 'sms.preview').attributes['sms.result']).toBe(
      preview.body.data.smsSendPreview.__typename,
    );
    expectNothingPrivate(['session_no_1']);
  });

  it("makes each of the subscription's polls a trace of its own, its lookup below it", async () => {
    const { gql, base } = await serve({ DELIVERY_POLL_SECONDS: '1', STATUS_CACHE_SECONDS: '0' });
    await gql(SEND_BATCH_SMS, sendVariables());
    upstream.route('GET', '/api/v1/usms/USMSSendReceipt', {
      body: { RetCode: 0, Message: 'success', Data: [{ SessionNo: 'session_no_1', ReceiptSet: [] }] },
    });
    const sub = subscribe(base, { sessionNos: ['session_no_1'] }, { connectionParams: { authorization: `Bearer ${API_KEY_OPS}` } });
    await sub.eventsAt(1);
    const spans = await spansOf('sms.follow.poll');
    const poll = named(spans, 'sms.follow.poll')[0];
    expect(poll.parentSpanId).toBe('');
    expect(poll.attributes).toEqual({ 'sms.sessions': 1 });
    expect(childrenOf(receiver.trace(poll.traceId), poll).map((span) => span.name)).toEqual(['GET /api/v1/usms/USMSSendReceipt']);
    await sub.dispose();
    expectNothingPrivate(['session_no_1']);
    // The campaign runner looks at the store twice a second on every instance: those looks are no traces.
    expect(receiver.spans.filter((span) => span.name.startsWith('state_store') && span.parentSpanId === '')).toEqual([]);
  });

  it("follows the caller's sampling decision, and the sampler asked for where there is none", async () => {
    const { gql } = await serve({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' });
    await gql(SEND_BATCH_SMS, sendVariables(), traceparent(false));
    await gql(SEND_BATCH_SMS, sendVariables());
    await gql(SEND_BATCH_SMS, sendVariables(), traceparent(true));
    await spansOf('sms.send');
    expect(new Set(receiver.spans.map((span) => span.traceId))).toEqual(new Set([CALLER_TRACE]));
    // Not sampled, uSpeedo still gets the trace, marked not sampled.
    expect(upstream.calls.map((call) => String(call.headers.traceparent).slice(-2))).toEqual(['00', '00', '01']);
  });

  it("crosses to uSpeedo with this server's traceparent alone: the caller's tracestate stays inside", async () => {
    const { gql } = await serve();
    const { body } = await gql(SEND_BATCH_SMS, sendVariables('trace-key-state'), { ...traceparent(), tracestate: 'caller=secret-42' });
    expect(body.data.sendBatchSms.__typename).toBe('SendBatchSmsSuccess');
    const client = one(await spansOf('sms.send', CALLER_TRACE), 'POST /api/v1/usms/SendBatchUSMSMessage');
    expect(upstream.calls[0].headers.traceparent).toBe(`00-${CALLER_TRACE}-${client.spanId}-01`);
    expect(upstream.calls[0].headers.tracestate).toBeUndefined();
  });

  it("bounds what a caller's names put in a span: a 950 KB operation name leaves the span named by its type, its attribute cut", async () => {
    const { gql } = await serve();
    const name = `Op${'x'.repeat(950_000)}`;
    const { status } = await gql(`query ${name} { smsLimits { maxTargetsPerRequest } }`, {}, traceparent());
    expect(status).toBe(200);
    const spans = await spansOf('query', CALLER_TRACE);
    const operation = one(spans, 'query');
    expect(String(operation.attributes['graphql.operation.name'])).toHaveLength(256);
    expect(Math.max(...receiver.bodies.map((text) => text.length))).toBeLessThan(64 * 1024);
    // A short name is still the span's.
    await gql('query Short { smsLimits { maxTargetsPerRequest } }', {});
    await spansOf('query Short');
  });
});

describe('a collector that is down, refusing or hanging', () => {
  it.each(['down', 'refuse', 'hang'] as const)(
    'changes nothing for the caller (%s), counts what it drops, and the shutdown ends in time',
    async (mode) => {
      const endpoint = mode === 'down' ? await closedPortUrl() : receiver.url;
      receiver.mode = mode === 'down' ? 'ok' : mode;
      const { run, gql, base } = await serve({
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_BSP_MAX_QUEUE_SIZE: '20',
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '10',
        OTEL_EXPORTER_OTLP_TIMEOUT: '500',
        METRICS_PUBLIC: 'true',
        SHUTDOWN_GRACE_MS: '2000',
      });
      const answers: string[] = [];
      const started = performance.now();
      for (let i = 0; i < 30; i++) {
        // A number each: one number's hourly limit would refuse the batch well before 30.
        const variables = batch([{ phone: `+861380013${String(8100 + i)}`, templateParams: [PARAM] }]);
        answers.push((await gql(SEND_BATCH_SMS, variables)).body.data.sendBatchSms.__typename);
      }
      const elapsed = performance.now() - started;
      expect(new Set(answers)).toEqual(new Set(['SendBatchSmsSuccess']));
      expect(upstream.calls).toHaveLength(30);
      // 30 sends through tsx on a shared machine; a send that waited on the collector would take 500 ms each.
      expect(elapsed).toBeLessThan(6_000);
      const dropped = /sms_trace_spans_dropped_total\{reason="[^"]+"\} [1-9]/;
      let metrics = '';
      for (let waited = 0; !dropped.test(metrics) && waited < 10_000; waited += 100) {
        metrics = await (await fetch(`${base}/metrics`)).text();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(metrics).toMatch(dropped);
      const stopping = performance.now();
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      expect(performance.now() - stopping).toBeLessThan(4_000);
    },
  );
});

describe('shutdown', () => {
  it('exports what is still queued before the process exits', async () => {
    const { run, gql } = await serve({ OTEL_BSP_SCHEDULE_DELAY: '600000', SHUTDOWN_GRACE_MS: '5000' });
    await gql(SEND_BATCH_SMS, sendVariables(), traceparent());
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Nothing yet: the next scheduled export is ten minutes away.
    expect(receiver.spans).toEqual([]);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(named(receiver.trace(CALLER_TRACE), 'sms.send')).toHaveLength(1);
  });
});

describe('tracing off', () => {
  it('loads no tracing SDK, and the server makes no spans, when no exporter is configured', () => {
    const loaded = execFileSync(
      process.execPath,
      [
        '--require',
        require.resolve('tsx/cjs'),
        '-e',
        `const { buildApp } = require('./src/app'); const { loadConfig } = require('./src/config/load-config');
         buildApp(loadConfig({ STATE_DB_PATH: ':memory:', LOG_LEVEL: 'silent' })).then(async (app) => {
           await app.ready();
           const sdk = Object.keys(require.cache).filter((path) => /@opentelemetry[\\\\/](sdk|exporter|resources|context-async-hooks|core)/.test(path));
           console.log(JSON.stringify(sdk));
           await app.close();
         });`,
      ],
      { cwd: join(__dirname, '../..'), env: { PATH: process.env.PATH ?? '', TSX_TSCONFIG_PATH: join(__dirname, '../../tsconfig.json') } },
    ).toString();
    expect(JSON.parse(loaded.trim().split('\n').at(-1)!)).toEqual([]);
  });
});
