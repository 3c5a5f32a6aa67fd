import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uspeedoReceipt, uspeedoTemplate } from '../support/fake-uspeedo';
import { EXPECTED_AUTHORIZATION, batch, SEND_BATCH_SMS, serverPool, startServer, type TestServer } from '../support/server';
import { API_KEY_OPS, API_KEY_WEB, API_KEYS, bearer, hsToken, JWT_TEST_SECRET } from '../support/tokens';

// smsDeliveryStatus and smsTemplates through the real server, against the fake uSpeedo over a real
// socket: what uSpeedo is asked (method, path, repeated ids, Basic auth), how often, and what comes back.
const pool = serverPool({ API_KEYS });
const { serve } = pool;

const RECEIPTS = '/api/v1/usms/USMSSendReceipt';
const TEMPLATES = '/api/v1/usms/USMSTemplate';

const STATUS = `query Status($sessionNos: [String!]!) {
  smsDeliveryStatus(sessionNos: $sessionNos) {
    __typename
    ... on SmsDeliveryStatus { requestUuid sessions { sessionNo known receipts { phone status receiptCode description billedSegments receivedAt countryCode } } }
    ... on SmsQueryError { code message retryable retryAfterSeconds retCode httpStatus fieldErrors { path message } requestUuid }
  }
}`;

const TEMPLATE_QUERY = `query Templates($templateIds: [String!]!) {
  smsTemplates(templateIds: $templateIds) {
    __typename
    ... on SmsTemplateList { requestUuid missingTemplateIds templates { templateId name content purpose status variableCount } }
    ... on SmsQueryError { code message retryable retryAfterSeconds retCode httpStatus fieldErrors { path message } }
  }
}`;

const receiptsBody = (data: unknown) => ({ RetCode: 0, Message: 'success', Data: data });

/** Sends one batch as `key`; the fake answers with these session numbers. */
async function sendAs(server: TestServer, sessionNos: string[], key = API_KEY_OPS) {
  pool.upstream.reply({ body: { RetCode: 0, Message: 'success', SessionNo: sessionNos, FailedTargetPhones: [] } });
  const { body } = await server.gql(SEND_BATCH_SMS, batch([{ phone: '13800138000', templateParams: ['1'] }]), bearer(key));
  expect(body.data.sendBatchSms.__typename).toBe('SendBatchSmsSuccess');
  pool.upstream.reset();
}

async function status(server: TestServer, sessionNos: string[], key = API_KEY_OPS) {
  const { status: http, body } = await server.gql(STATUS, { sessionNos }, bearer(key));
  expect(http).toBe(200);
  return body.data.smsDeliveryStatus;
}

const receiptCalls = () => pool.upstream.calls.filter((call) => call.path.startsWith(RECEIPTS));

describe("smsDeliveryStatus: which sessions are the caller's", () => {
  it('forgets a session at the end of DELIVERY_STATUS_RETENTION_SECONDS, and asks uSpeedo nothing for it then', async () => {
    const server = await serve({ DELIVERY_STATUS_RETENTION_SECONDS: '1' });
    await sendAs(server, ['s-short']);
    pool.upstream.route('GET', RECEIPTS, { body: receiptsBody([]) });
    expect((await status(server, ['s-short'])).sessions[0].known).toBe(true);
    expect(receiptCalls()).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await status(server, ['s-short'])).sessions[0].known).toBe(false);
    expect(receiptCalls()).toHaveLength(1);
  });

  it('knows a session another server on the same state file recorded, and only for its caller', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sms-lookups-')), 'state.db');
    const sender = await serve({ STATE_DB_PATH: file });
    const other = await serve({ STATE_DB_PATH: file });
    await sendAs(sender, ['s-shared']);
    pool.upstream.route('GET', RECEIPTS, { body: receiptsBody([]) });
    expect((await status(other, ['s-shared'])).sessions[0].known).toBe(true);
    expect((await status(other, ['s-shared'], API_KEY_WEB)).sessions[0].known).toBe(false);
    expect(receiptCalls()).toHaveLength(1);
  });
});

describe('smsDeliveryStatus: expectedReceipts and final', () => {
  const FINALITY = `query Status($sessionNos: [String!]!) {
    smsDeliveryStatus(sessionNos: $sessionNos) { ... on SmsDeliveryStatus { sessions { sessionNo known expectedReceipts final receipts { status } } } }
  }`;
  const ask = async (server: TestServer, sessionNos: string[]) =>
    (await server.gql(FINALITY, { sessionNos }, bearer(API_KEY_OPS))).body.data.smsDeliveryStatus.sessions;

  it('expects the recipients uSpeedo accepted in the one session, and is final once each has a final receipt', async () => {
    const server = await serve({ STATUS_CACHE_SECONDS: '0' });
    pool.upstream.reply({
      body: {
        RetCode: 0,
        Message: 'success',
        SessionNo: ['s-two'],
        FailedTargetPhones: [{ Phone: '(86)13800138002', TemplateParams: ['2'], FailureReason: 'blocked' }],
      },
    });
    const targets = ['13800138000', '13800138001', '13800138002'].map((phone, i) => ({ phone, templateParams: [String(i)] }));
    const sent = await server.gql(
      SEND_BATCH_SMS,
      { input: { taskContent: [{ templateId: 'template_id_1', senderId: 'USpeedo', target: targets }] } },
      bearer(API_KEY_OPS),
    );
    expect(sent.body.data.sendBatchSms.__typename).toBe('SendBatchSmsSuccess');
    pool.upstream.reset();

    const answers = [
      [],
      [uspeedoReceipt('(86)13800138000'), uspeedoReceipt('(86)13800138001', 'Unknow')],
      [uspeedoReceipt('(86)13800138000'), uspeedoReceipt('(86)13800138001', 'Fail')],
    ];
    const seen = [];
    for (const set of answers) {
      pool.upstream.route('GET', RECEIPTS, { body: receiptsBody([{ SessionNo: 's-two', ReceiptSet: set }]) });
      seen.push((await ask(server, ['s-two', 's-else']))[0]);
    }
    expect(seen.map(({ expectedReceipts, final, receipts }) => ({ expectedReceipts, final, receipts: receipts.length }))).toEqual([
      { expectedReceipts: 2, final: false, receipts: 0 },
      { expectedReceipts: 2, final: false, receipts: 2 },
      { expectedReceipts: 2, final: true, receipts: 2 },
    ]);
    expect((await ask(server, ['s-else']))[0]).toEqual({
      sessionNo: 's-else',
      known: false,
      expectedReceipts: null,
      final: false,
      receipts: [],
    });
  });
});

describe('smsDeliveryStatus', () => {
  it("asks uSpeedo only for the caller's own sessions, once, and answers every session in the order asked", async () => {
    const server = await serve();
    await sendAs(server, ['s-1', 's-2']);
    pool.upstream.route('GET', RECEIPTS, { body: receiptsBody([{ SessionNo: 's-2', ReceiptSet: [uspeedoReceipt('(86)13800138000')] }]) });
    const answer = await status(server, ['s-other', 's-2', 's-1']);
    expect(answer).toEqual({
      __typename: 'SmsDeliveryStatus',
      requestUuid: 'fake-request-uuid-0001',
      sessions: [
        { sessionNo: 's-other', known: false, receipts: [] },
        {
          sessionNo: 's-2',
          known: true,
          receipts: [
            {
              phone: '(86)13800138000',
              status: 'DELIVERED',
              receiptCode: 'DELIVRD',
              description: 'ok',
              billedSegments: 1,
              receivedAt: '2025-11-24T16:00:00.000Z',
              countryCode: '86',
            },
          ],
        },
        { sessionNo: 's-1', known: true, receipts: [] },
      ],
    });
    const call = pool.upstream.onlyCall();
    expect(call.method).toBe('GET');
    expect(call.path).toBe(`${RECEIPTS}?id=s-2&id=s-1`);
    expect(call.headers.authorization).toBe(EXPECTED_AUTHORIZATION);
    expect(call.body.length).toBe(0);
  });

  it("never reads another caller's sessions, and makes no call when no session is known", async () => {
    const server = await serve();
    await sendAs(server, ['s-ops'], API_KEY_OPS);
    const answer = await status(server, ['s-ops', 'never-sent'], API_KEY_WEB);
    expect(answer.sessions).toEqual([
      { sessionNo: 's-ops', known: false, receipts: [] },
      { sessionNo: 'never-sent', known: false, receipts: [] },
    ]);
    expect(answer.requestUuid).toBeNull();
    expect(pool.upstream.calls).toHaveLength(0);
  });

  it('answers the same sessions from the cache within STATUS_CACHE_SECONDS, and asks again with the cache off', async () => {
    const cached = await serve({ STATUS_CACHE_SECONDS: '60' });
    await sendAs(cached, ['s-c']);
    pool.upstream.route('GET', RECEIPTS, { body: receiptsBody([{ SessionNo: 's-c', ReceiptSet: [uspeedoReceipt('13800138000')] }]) });
    const first = await status(cached, ['s-c']);
    const second = await status(cached, ['s-c']);
    expect(second.sessions).toEqual(first.sessions);
    expect(second.requestUuid).toBeNull();
    expect(receiptCalls()).toHaveLength(1);

    const uncached = await serve({ STATUS_CACHE_SECONDS: '0' });
    await sendAs(uncached, ['s-u']);
    pool.upstream.route('GET', RECEIPTS, { body: receiptsBody([]) });
    await status(uncached, ['s-u']);
    await status(uncached, ['s-u']);
    expect(receiptCalls()).toHaveLength(2);
  });

  it('shares one read among identical lookups in flight at once (single flight), the cache off', async () => {
    const server = await serve({ STATUS_CACHE_SECONDS: '0', RATE_LIMIT_STATUS_PER_MINUTE: '0' });
    await sendAs(server, ['s-sf']);
    pool.upstream.route('GET', RECEIPTS, { delayMs: 300, body: receiptsBody([{ SessionNo: 's-sf', ReceiptSet: [] }]) });
    const answers = await Promise.all(Array.from({ length: 20 }, () => status(server, ['s-sf'])));
    expect(answers.every((answer) => answer.sessions[0].known)).toBe(true);
    expect(receiptCalls()).toHaveLength(1);
    expect((await server.fetch('/metrics')).text).toMatch(/^sms_upstream_reads_shared_total\{operation="status"\} 19$/m);
    // Once answered, the next asks again (the cache is off).
    await status(server, ['s-sf']);
    expect(receiptCalls()).toHaveLength(2);
  });

  it.each([
    ['no session numbers', [], [['sessionNos']]],
    ['101 session numbers', Array.from({ length: 101 }, (_, i) => `s-${i}`), [['sessionNos']]],
    ['a repeat', ['a', 'b', 'a'], [['sessionNos', '2']]],
    ['a newline', ['a', 'b\nc'], [['sessionNos', '1']]],
    ['129 characters', ['x'.repeat(129)], [['sessionNos', '0']]],
  ])('refuses %s: INVALID_INPUT with paths, nothing asked', async (_name, sessionNos, paths) => {
    const server = await serve();
    const answer = await status(server, sessionNos);
    expect(answer).toMatchObject({ __typename: 'SmsQueryError', code: 'INVALID_INPUT', retryable: false });
    expect(answer.fieldErrors.map((e: { path: string[] }) => e.path)).toEqual(paths);
    expect(pool.upstream.calls).toHaveLength(0);
  });

  it('retries a 5xx, then answers: reads may be retried', async () => {
    const server = await serve();
    await sendAs(server, ['s-r']);
    let attempt = 0;
    pool.upstream.route('GET', RECEIPTS, () => (++attempt < 3 ? { status: 503, body: { Message: 'busy' } } : { body: receiptsBody([]) }));
    expect((await status(server, ['s-r'])).__typename).toBe('SmsDeliveryStatus');
    expect(receiptCalls()).toHaveLength(3);
  });

  it('gives up after three attempts at a 5xx: retryable, with the status', async () => {
    const server = await serve();
    await sendAs(server, ['s-f']);
    pool.upstream.route('GET', RECEIPTS, { status: 502, body: { Message: 'bad gateway' } });
    expect(await status(server, ['s-f'])).toMatchObject({
      code: 'UPSTREAM_HTTP_ERROR',
      retryable: true,
      httpStatus: 502,
      message: 'bad gateway',
    });
    expect(receiptCalls()).toHaveLength(3);
  });

  it('does not retry what a retry cannot fix: credentials, parameters, an unreadable answer', async () => {
    const server = await serve();
    await sendAs(server, ['s-a']);
    for (const [reply, code] of [
      [{ status: 401, body: {} }, 'UPSTREAM_AUTH_FAILED'],
      [{ body: { RetCode: 215392, Message: 'Invalid parameter [id]' } }, 'PARAMETER_ERROR'],
      [{ body: '<html>' }, 'INVALID_UPSTREAM_RESPONSE'],
    ] as const) {
      pool.upstream.calls.length = 0;
      pool.upstream.route('GET', RECEIPTS, reply);
      await status(server, ['s-a'].concat([])).then((answer) => expect(answer).toMatchObject({ code, retryable: false }));
      // The cache holds nothing from a failure.
      expect(receiptCalls()).toHaveLength(1);
    }
  });

  it('keeps a lookup and its retries within USPEEDO_TIMEOUT_MS in all, then says UPSTREAM_TIMEOUT, retryable', async () => {
    const server = await serve({ USPEEDO_TIMEOUT_MS: '600' });
    await sendAs(server, ['s-t']);
    pool.upstream.route('GET', RECEIPTS, { delayMs: 1000, body: receiptsBody([]) });
    const started = performance.now();
    expect(await status(server, ['s-t'])).toMatchObject({ code: 'UPSTREAM_TIMEOUT', retryable: true });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("reads uSpeedo's answer tolerantly: Data as one object, unknown results kept in words, missing fields null", async () => {
    const server = await serve();
    await sendAs(server, ['s-t']);
    pool.upstream.route('GET', RECEIPTS, {
      body: receiptsBody({
        SessionNo: 's-t',
        ReceiptSet: [
          { Phone: '13800138000', ReceiptResult: 'Queued', ReceiptDesc: 'in queue' },
          { Phone: '13900139000', ReceiptResult: 'Unknow' },
        ],
      }),
    });
    expect((await status(server, ['s-t'])).sessions[0].receipts).toEqual([
      {
        phone: '13800138000',
        status: 'UNKNOWN',
        receiptCode: null,
        description: 'uSpeedo result: Queued; in queue',
        billedSegments: null,
        receivedAt: null,
        countryCode: null,
      },
      {
        phone: '13900139000',
        status: 'UNKNOWN',
        receiptCode: null,
        description: null,
        billedSegments: null,
        receivedAt: null,
        countryCode: null,
      },
    ]);
  });

  it('counts session lookups against RATE_LIMIT_STATUS_PER_MINUTE, cached ones too', async () => {
    const server = await serve({ RATE_LIMIT_STATUS_PER_MINUTE: '3' });
    await sendAs(server, ['s-1']);
    pool.upstream.route('GET', RECEIPTS, { body: receiptsBody([]) });
    expect((await status(server, ['s-1', 's-x'])).__typename).toBe('SmsDeliveryStatus');
    const limited = await status(server, ['s-1', 's-y']);
    expect(limited).toMatchObject({ code: 'RATE_LIMITED', retryable: true });
    expect(limited.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(limited.retryAfterSeconds).toBeLessThanOrEqual(60);
  });
});

describe('who may look up', () => {
  it('lets a JWT with sms:read look up but not send; sms:send does both', async () => {
    const server = await serve({ API_KEYS: '', JWT_SECRET: JWT_TEST_SECRET });
    const reader = bearer(await hsToken({ sub: 'u-1', scope: 'sms:read' }));
    const sender = bearer(await hsToken({ sub: 'u-1', scope: 'sms:send' }));
    const lookup = await server.gql(STATUS, { sessionNos: ['s-1'] }, reader);
    expect(lookup.body.data.smsDeliveryStatus.__typename).toBe('SmsDeliveryStatus');
    const send = await server.gql(SEND_BATCH_SMS, batch([{ phone: '13800138000' }]), reader);
    expect(send.status).toBe(403);
    expect(send.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(pool.upstream.calls).toHaveLength(0);
    expect((await server.gql(STATUS, { sessionNos: ['s-1'] }, sender)).body.data.smsDeliveryStatus.__typename).toBe('SmsDeliveryStatus');
    expect((await server.gql(STATUS, { sessionNos: ['s-1'] })).status).toBe(401);
  });
});

describe('smsTemplates', () => {
  it('answers the templates found and the ids uSpeedo does not know, with their variable count, from the cache next time', async () => {
    const server = await serve();
    pool.upstream.route('GET', TEMPLATES, { body: { RetCode: 0, Data: [uspeedoTemplate('T1', 'Code {1}, valid {3} min ({2})')] } });
    const ask = async () => (await server.gql(TEMPLATE_QUERY, { templateIds: ['T1', 'T2'] }, bearer(API_KEY_OPS))).body.data.smsTemplates;
    const first = await ask();
    expect(first).toEqual({
      __typename: 'SmsTemplateList',
      requestUuid: 'fake-request-uuid-0001',
      missingTemplateIds: ['T2'],
      templates: [
        {
          templateId: 'T1',
          name: 'n',
          content: 'Code {1}, valid {3} min ({2})',
          purpose: 'VERIFICATION',
          status: 'APPROVED',
          variableCount: 3,
        },
      ],
    });
    expect(pool.upstream.onlyCall().path).toBe(`${TEMPLATES}?id=T1&id=T2`);
    // T1 comes from the cache; T2 is cached as missing only once a lookup asked for it alone.
    expect(await ask()).toEqual(first);
    expect(pool.upstream.calls.map((call) => call.path)).toEqual([`${TEMPLATES}?id=T1&id=T2`, `${TEMPLATES}?id=T2`]);
    expect(await ask()).toEqual({ ...first, requestUuid: null });
    expect(pool.upstream.calls).toHaveLength(2);
  });

  it('reads RetCode 215396 as every id missing, and an unknown status as UNKNOWN', async () => {
    const server = await serve();
    pool.upstream.route('GET', TEMPLATES, { body: { RetCode: 215396, Message: 'template not found' } });
    const missing = (await server.gql(TEMPLATE_QUERY, { templateIds: ['X1'] }, bearer(API_KEY_OPS))).body.data.smsTemplates;
    expect(missing).toMatchObject({ templates: [], missingTemplateIds: ['X1'] });
    pool.upstream.route('GET', TEMPLATES, { body: { RetCode: 0, Data: uspeedoTemplate('X2', 'plain', 9) } });
    const odd = (await server.gql(TEMPLATE_QUERY, { templateIds: ['X2'] }, bearer(API_KEY_OPS))).body.data.smsTemplates;
    expect(odd.templates[0]).toMatchObject({ status: 'UNKNOWN', variableCount: 0 });
  });
});

describe('SMS_TEMPLATE_CHECK', () => {
  const approved = { TemplateId: 'otp', Purpose: 1, TemplateName: 'OTP', Template: 'Your code is {1}', Status: 2 };
  const pending = { TemplateId: 'promo', Purpose: 3, TemplateName: 'Promo', Template: 'Sale {1}', Status: 1 };

  it('refuses unknown and unapproved templates and wrong param counts with the other rules, nothing sent', async () => {
    const server = await serve({ SMS_TEMPLATE_CHECK: 'true' });
    pool.upstream.route('GET', TEMPLATES, { body: { RetCode: 0, Data: [approved, pending] } });
    const input = {
      input: {
        taskContent: [
          {
            templateId: 'otp',
            senderId: 'S',
            target: [
              { phone: '13800138000', templateParams: ['1', '2'] },
              { phone: 'nope', templateParams: ['1'] },
            ],
          },
          { templateId: 'promo', senderId: 'S', target: [{ phone: '13800138000', templateParams: ['x'] }] },
          { templateId: 'gone', senderId: 'S', target: [{ phone: '13800138000' }] },
        ],
      },
    };
    const result = (await server.gql(SEND_BATCH_SMS, input, bearer(API_KEY_OPS))).body.data.sendBatchSms;
    expect(result.code).toBe('INVALID_INPUT');
    expect(result.fieldErrors).toEqual([
      { path: ['taskContent', '0', 'target', '0', 'templateParams'], message: 'must have 1 entry for this template (found 2)' },
      { path: ['taskContent', '0', 'target', '1', 'phone'], message: expect.any(String) },
      { path: ['taskContent', '1', 'templateId'], message: 'is not approved by uSpeedo (status UNDER_REVIEW)' },
      { path: ['taskContent', '2', 'templateId'], message: 'is not a template uSpeedo knows' },
    ]);
    expect(pool.upstream.calls.filter((call) => call.method === 'POST')).toHaveLength(0);
  });

  it('sends without the check when the lookup fails on the way (a 5xx), and says so in the log and the metrics', async () => {
    const server = await serve({ SMS_TEMPLATE_CHECK: 'true', USPEEDO_TIMEOUT_MS: '1000' });
    pool.upstream.route('GET', TEMPLATES, { status: 503, body: {} });
    const result = (await server.gql(SEND_BATCH_SMS, batch([{ phone: '13800138000', templateParams: ['1'] }], 'otp'), bearer(API_KEY_OPS)))
      .body.data.sendBatchSms;
    expect(result.__typename).toBe('SendBatchSmsSuccess');
    expect(server.logs.text).toContain('sending without the template check');
    expect((await server.fetch('/metrics')).text).toMatch(/^sms_template_check_skipped_total 1$/m);
  });
});

describe('on the simulator', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ USPEEDO_SIMULATOR: 'true', SIMULATOR_RECEIPT_DELAY_SECONDS: '1', STATUS_CACHE_SECONDS: '0' });
  });
  afterAll(() => server.close());

  it('gives receipts only after the delay, decided by each phone: 11 fails, 22 stays unknown, others arrive', async () => {
    const sent = await server.gql(
      SEND_BATCH_SMS,
      batch([
        { phone: '13800138000', templateParams: ['1'] },
        { phone: '13800138011', templateParams: ['1'] },
        { phone: '13800138022', templateParams: ['1'] },
      ]),
    );
    const sessionNos: string[] = sent.body.data.sendBatchSms.sessionNos;
    expect(sessionNos).toHaveLength(1);
    const early = (await server.gql(STATUS, { sessionNos })).body.data.smsDeliveryStatus;
    expect(early.sessions).toEqual([{ sessionNo: sessionNos[0], known: true, receipts: [] }]);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const late = (await server.gql(STATUS, { sessionNos })).body.data.smsDeliveryStatus;
    expect(late.sessions[0].receipts.map((r: { phone: string; status: string }) => [r.phone, r.status])).toEqual([
      ['13800138000', 'DELIVERED'],
      ['13800138011', 'FAILED'],
      ['13800138022', 'UNKNOWN'],
    ]);
  });

  it('knows its documented templates', async () => {
    const answer = (await server.gql(TEMPLATE_QUERY, { templateIds: ['template_id_1', 'template_notice_2', 'template_review_3', 'nope'] }))
      .body.data.smsTemplates;
    expect(
      answer.templates.map((t: { templateId: string; status: string; variableCount: number }) => [t.templateId, t.status, t.variableCount]),
    ).toEqual([
      ['template_id_1', 'APPROVED', 1],
      ['template_notice_2', 'APPROVED', 2],
      ['template_review_3', 'UNDER_REVIEW', 1],
    ]);
    expect(answer.missingTemplateIds).toEqual(['nope']);
  });
});
