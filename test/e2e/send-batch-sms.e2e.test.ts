import { closedPortUrl, FAKE_REQUEST_UUID, useFakeUspeedo, UNRESOLVABLE_URL, type FakeReply } from '../support/fake-uspeedo';
import { batch, EXPECTED_AUTHORIZATION, SEND_BATCH_SMS, startServer, TEST_SECRET, type TestServer } from '../support/server';

const upstream = useFakeUspeedo();
let server: TestServer;

beforeAll(async () => {
  // Long enough to stream 9 MiB from the fake on a machine busy with other test files (500 ms was not).
  server = await startServer({ USPEEDO_BASE_URL: upstream.url, USPEEDO_TIMEOUT_MS: '1500' });
});
afterAll(async () => {
  // Whatever each test did, the secret never left the server: not in a response, not in a log line.
  expect(server.responses.join('\n')).not.toContain(TEST_SECRET);
  expect(server.logs.text).not.toContain(TEST_SECRET);
  expect(server.logs.text).not.toContain(EXPECTED_AUTHORIZATION.slice('Basic '.length));
  await server.close();
});

const send = async (variables: Record<string, unknown>) => {
  const { status, body } = await server.gql(SEND_BATCH_SMS, variables);
  expect(status).toBe(200);
  expect(body.errors).toBeUndefined();
  return body.data.sendBatchSms;
};

const oneTarget = batch([{ phone: '13800138000', templateParams: ['123456'] }]);

describe('the upstream request', () => {
  it("is the spec's example, byte for byte, with Basic auth, sent exactly once", async () => {
    const result = await send({
      input: {
        taskContent: [
          {
            templateId: 'template_id_1',
            senderId: 'USpeedo',
            target: [
              { phone: '13800138000', templateParams: ['123456'] },
              { phone: '13900139000', templateParams: ['654321'] },
            ],
          },
        ],
      },
    });

    expect(result.__typename).toBe('SendBatchSmsSuccess');
    const call = upstream.onlyCall();
    expect(call.method).toBe('POST');
    expect(call.path).toBe('/api/v1/usms/SendBatchUSMSMessage');
    expect(call.headers['content-type']).toBe('application/json');
    expect(call.headers.authorization).toBe(EXPECTED_AUTHORIZATION);
    expect(call.body.toString('utf8')).toBe(
      '{"TaskContent":[{"TemplateId":"template_id_1","SenderId":"USpeedo","Target":[' +
        '{"Phone":"13800138000","TemplateParams":["123456"]},{"Phone":"13900139000","TemplateParams":["654321"]}]}]}',
    );
  });

  it('keeps tasks and targets in input order, converts E.164, and leaves out absent or empty TemplateParams', async () => {
    await send({
      input: {
        taskContent: [
          { templateId: 'b', senderId: 'S2', target: [{ phone: '+852 5531 1111' }, { phone: '(852)55311112', templateParams: [] }] },
          {
            templateId: 'a',
            senderId: 'S1',
            target: [
              { phone: ' 0086 13800138000 ', templateParams: null },
              { phone: '+8613900139000', templateParams: ['x', 'y'] },
            ],
          },
        ],
      },
    });
    expect(JSON.parse(upstream.onlyCall().body.toString())).toEqual({
      TaskContent: [
        { TemplateId: 'b', SenderId: 'S2', Target: [{ Phone: '(852)55311111' }, { Phone: '(852)55311112' }] },
        {
          TemplateId: 'a',
          SenderId: 'S1',
          Target: [{ Phone: '008613800138000' }, { Phone: '(86)13900139000', TemplateParams: ['x', 'y'] }],
        },
      ],
    });
    expect(upstream.onlyCall().body.toString()).not.toMatch(/null|\[\]/);
  });

  it('carries a full batch of 1000 recipients in one call', async () => {
    const target = Array.from({ length: 1000 }, (_, i) => ({ phone: `1380013${String(i).padStart(4, '0')}`, templateParams: ['1'] }));
    const result = await send(batch(target));
    expect(result.__typename).toBe('SendBatchSmsSuccess');
    expect(JSON.parse(upstream.onlyCall().body.toString()).TaskContent[0].Target).toHaveLength(1000);
  });
});

describe('a success', () => {
  it('puts a failed target on its input row (path) and reads its number (e164), whatever form uSpeedo wrote it in', async () => {
    upstream.reply({
      body: {
        RetCode: 0,
        SessionNo: ['session_no_1'],
        FailedTargetPhones: [{ Phone: '(852)55310000', TemplateParams: ['2'], FailureReason: 'phone in the black list' }],
      },
    });
    const result = await send(
      batch([
        { phone: '13800138000', templateParams: ['1'] },
        { phone: '+852 5531 0000', templateParams: ['2'] },
      ]),
    );
    expect(result.failedTargetPhones).toEqual([
      {
        phone: '(852)55310000',
        templateParams: ['2'],
        failureReason: 'phone in the black list',
        e164: '+85255310000',
        path: ['taskContent', '0', 'target', '1'],
      },
    ]);
  });

  it('maps SessionNo, FailedTargetPhones, Message and the request uuid (partial failure)', async () => {
    upstream.reply({
      body: {
        RetCode: 0,
        Message: 'success',
        SessionNo: ['session_no_1', 'session_no_2'],
        FailedTargetPhones: [{ Phone: '13900139000', TemplateParams: ['654321'], FailureReason: 'phone in the black list' }],
      },
    });
    expect(await send(oneTarget)).toEqual({
      __typename: 'SendBatchSmsSuccess',
      sessionNos: ['session_no_1', 'session_no_2'],
      // A number this batch does not hold: read as E.164, on no row.
      failedTargetPhones: [
        { phone: '13900139000', templateParams: ['654321'], failureReason: 'phone in the black list', e164: '+8613900139000', path: [] },
      ],
      message: 'success',
      requestUuid: FAKE_REQUEST_UUID,
    });
  });

  it('accepts SessionNo as a single string, as the older API sends it', async () => {
    upstream.reply({ body: { RetCode: 0, Message: 'success', SessionNo: 'only-one' } });
    const result = await send(oneTarget);
    expect(result.sessionNos).toEqual(['only-one']);
    expect(result.failedTargetPhones).toEqual([]);
  });
});

type Expected = Partial<Record<'code' | 'retCode' | 'httpStatus' | 'retryable' | 'retryAfterSeconds' | 'requestUuid' | 'message', unknown>>;

const rows: [string, FakeReply, Expected][] = [
  [
    'RetCode 215392',
    { body: { RetCode: 215392, Message: 'Invalid parameter [TemplateId]' } },
    {
      code: 'PARAMETER_ERROR',
      retCode: 215392,
      httpStatus: 200,
      retryable: false,
      message: 'Invalid parameter [TemplateId]',
      requestUuid: FAKE_REQUEST_UUID,
    },
  ],
  [
    'RetCode 215397',
    { body: { RetCode: 215397, Message: 'Missing' } },
    { code: 'MISSING_PARAMETER', retCode: 215397, retryable: false, message: 'Missing' },
  ],
  [
    'RetCode 215400',
    { body: { RetCode: 215400, Message: 'Server error' } },
    { code: 'UPSTREAM_SERVER_ERROR', retCode: 215400, retryable: false },
  ],
  [
    'RetCode 215398',
    { body: { RetCode: 215398, Message: 'bad key' } },
    { code: 'UPSTREAM_AUTH_FAILED', retCode: 215398, retryable: false },
  ],
  [
    'another RetCode',
    { body: { RetCode: 215999, Message: 'no balance' } },
    { code: 'UPSTREAM_REJECTED', retCode: 215999, message: 'no balance', retryable: false },
  ],
  ['HTTP 401', { status: 401, body: 'Unauthorized' }, { code: 'UPSTREAM_AUTH_FAILED', httpStatus: 401, retCode: null, retryable: false }],
  [
    'HTTP 403',
    { status: 403, body: { RetCode: 215398, Message: 'forbidden' } },
    { code: 'UPSTREAM_AUTH_FAILED', httpStatus: 403, retCode: 215398, message: 'forbidden' },
  ],
  [
    'HTTP 429 with Retry-After',
    { status: 429, body: '', headers: { 'retry-after': '17' } },
    { code: 'UPSTREAM_HTTP_ERROR', httpStatus: 429, retryable: true, retryAfterSeconds: 17, requestUuid: FAKE_REQUEST_UUID },
  ],
  ['HTTP 429 without Retry-After', { status: 429, body: '' }, { code: 'UPSTREAM_HTTP_ERROR', retryable: true, retryAfterSeconds: null }],
  [
    'HTTP 500 with a RetCode body',
    { status: 500, body: { RetCode: 215400, Message: 'boom' } },
    { code: 'UPSTREAM_HTTP_ERROR', httpStatus: 500, retCode: 215400, message: 'boom', retryable: false },
  ],
  [
    'HTML 502',
    { status: 502, body: '<html>Bad Gateway</html>', headers: { 'content-type': 'text/html' } },
    { code: 'UPSTREAM_HTTP_ERROR', httpStatus: 502, retryable: false, retryAfterSeconds: null },
  ],
  [
    '503 with Retry-After (not a 429: may have been processed)',
    { status: 503, body: '', headers: { 'retry-after': '5' } },
    { code: 'UPSTREAM_HTTP_ERROR', httpStatus: 503, retryable: false, retryAfterSeconds: null },
  ],
  [
    'a redirect (never followed)',
    { status: 307, body: '', headers: { location: 'http://127.0.0.1:1/elsewhere' } },
    { code: 'UPSTREAM_HTTP_ERROR', httpStatus: 307, retryable: false },
  ],
  [
    'a chunked 1 MiB answer, read whole',
    { body: `{"RetCode":215999,"Message":"${'y'.repeat(1024 * 1024)}"}`, headers: { 'transfer-encoding': 'chunked' } },
    { code: 'UPSTREAM_REJECTED', retCode: 215999 },
  ],
  [
    'a body that is not JSON',
    { body: '<html>ok</html>' },
    { code: 'INVALID_UPSTREAM_RESPONSE', httpStatus: 200, retryable: false, retCode: null },
  ],
  ['an empty 200', { body: '' }, { code: 'INVALID_UPSTREAM_RESPONSE', httpStatus: 200, retryable: false }],
  ['truncated JSON', { body: '{"RetCode":0,"Message":"succ' }, { code: 'INVALID_UPSTREAM_RESPONSE', retryable: false }],
  ['JSON without RetCode', { body: { Message: 'hi' } }, { code: 'INVALID_UPSTREAM_RESPONSE', retryable: false }],
  ['a RetCode that is a string', { body: { RetCode: '0', Message: 'success' } }, { code: 'INVALID_UPSTREAM_RESPONSE', retryable: false }],
  [
    'RetCode 0 with an unreadable FailedTargetPhones',
    { body: { RetCode: 0, FailedTargetPhones: 'oops' } },
    { code: 'INVALID_UPSTREAM_RESPONSE', retCode: 0, retryable: false },
  ],
  [
    'an answer over 8 MiB, by its Content-Length',
    { body: `{"RetCode":0,"Message":"${'x'.repeat(9 * 1024 * 1024)}"}` },
    { code: 'INVALID_UPSTREAM_RESPONSE', httpStatus: 200, retryable: false, requestUuid: FAKE_REQUEST_UUID },
  ],
  [
    'an answer over 8 MiB, counted as it streams',
    { body: `{"RetCode":0,"Message":"${'x'.repeat(9 * 1024 * 1024)}"}`, headers: { 'transfer-encoding': 'chunked' } },
    { code: 'INVALID_UPSTREAM_RESPONSE', httpStatus: 200, retryable: false },
  ],
  ['a reset once the request is written', { fault: 'reset' }, { code: 'UPSTREAM_UNAVAILABLE', retryable: false, httpStatus: null }],
  ['a close without an answer', { fault: 'close' }, { code: 'UPSTREAM_UNAVAILABLE', retryable: false }],
  [
    'a reset in the middle of the body',
    { fault: 'reset-mid-body' },
    { code: 'UPSTREAM_UNAVAILABLE', retryable: false, httpStatus: 200, requestUuid: FAKE_REQUEST_UUID },
  ],
  ['no answer within the timeout', { delayMs: 2500 }, { code: 'UPSTREAM_TIMEOUT', retryable: false, httpStatus: null }],
  ['a body that drips past the timeout', { fault: 'drip', delayMs: 100 }, { code: 'UPSTREAM_TIMEOUT', retryable: false, httpStatus: 200 }],
];

describe('each row of the mapping table', () => {
  it.each(rows)('%s', async (_name, reply, expected) => {
    upstream.reply(reply);
    const result = await send(oneTarget);
    expect(result.__typename).toBe('SendBatchSmsError');
    expect(result).toMatchObject(expected);
    expect(result.fieldErrors).toEqual([]);
    expect(typeof result.message).toBe('string');
    expect(upstream.calls).toHaveLength(1);
  });

  it('still serves the next request after every fault', async () => {
    const result = await send(oneTarget);
    expect(result.__typename).toBe('SendBatchSmsSuccess');
    expect(upstream.calls).toHaveLength(1);
  });
});

describe('uSpeedo out of reach', () => {
  it.each([
    ['connection refused', closedPortUrl],
    ['DNS failure', async () => UNRESOLVABLE_URL],
  ])('%s: UPSTREAM_UNAVAILABLE, retryable, nothing sent', async (_name, urlOf) => {
    const elsewhere = await startServer({ USPEEDO_BASE_URL: await urlOf() });
    try {
      const { body } = await elsewhere.gql(SEND_BATCH_SMS, oneTarget);
      expect(body.data.sendBatchSms).toMatchObject({
        __typename: 'SendBatchSmsError',
        code: 'UPSTREAM_UNAVAILABLE',
        retryable: true,
        httpStatus: null,
      });
    } finally {
      await elsewhere.close();
    }
  });
});

describe('input validation', () => {
  const invalid = async (variables: Record<string, unknown>) => {
    const result = await send(variables);
    expect(result).toMatchObject({
      __typename: 'SendBatchSmsError',
      code: 'INVALID_INPUT',
      retryable: false,
      retCode: null,
      httpStatus: null,
    });
    expect(upstream.calls).toHaveLength(0);
    return result.fieldErrors as { path: string[]; message: string }[];
  };
  const paths = (errors: { path: string[] }[]) => errors.map((error) => error.path.join('.'));
  const task = (overrides: Record<string, unknown> = {}) => ({
    templateId: 't',
    senderId: 'S',
    target: [{ phone: '13800138000' }],
    ...overrides,
  });

  it('reports every broken rule at once, with paths, and sends nothing', async () => {
    const errors = await invalid({
      input: {
        taskContent: [
          task({
            templateId: ' ',
            senderId: 'TWELVE_CHARS',
            target: [
              { phone: 'call me' },
              { phone: '+85255311111', templateParams: Array.from({ length: 21 }, () => 'p') },
              { phone: '(852)5531 1111', templateParams: ['ok', 'x'.repeat(501)] },
              { phone: '12345' },
            ],
          }),
          task({ templateId: 'x'.repeat(65), target: [] }),
        ],
      },
    });
    // Document order: each task's templateId, senderId, then its targets in order.
    expect(paths(errors)).toEqual([
      'taskContent.0.templateId',
      'taskContent.0.senderId',
      'taskContent.0.target.0.phone',
      'taskContent.0.target.1.templateParams',
      'taskContent.0.target.2.phone',
      'taskContent.0.target.2.templateParams.1',
      'taskContent.0.target.3.phone',
      'taskContent.1.templateId',
      'taskContent.1.target',
    ]);
    expect(errors.find((e) => e.path.join('.') === 'taskContent.0.target.2.phone')!.message).toBe(
      'repeats the phone number of target 1 in this task',
    );
    expect(errors.find((e) => e.path.join('.') === 'taskContent.0.senderId')!.message).toBe('must be at most 11 characters');
  });

  it('never echoes the input back', async () => {
    const marker = 'ECHO_MARKER_7731';
    const errors = await invalid(
      batch([{ phone: `${marker}`, templateParams: [`${marker}${'x'.repeat(600)}`] }], `${marker}${'t'.repeat(70)}`, `${marker}`),
    );
    expect(errors.length).toBeGreaterThanOrEqual(4);
    expect(JSON.stringify(errors)).not.toContain(marker);
    expect(server.logs.text).not.toContain(marker);
  });

  it.each([
    ['no tasks', { input: { taskContent: [] } }, ['taskContent']],
    [
      '101 tasks',
      {
        input: {
          taskContent: Array.from({ length: 101 }, (_, i) => task({ target: [{ phone: `1380013${String(i).padStart(4, '0')}` }] })),
        },
      },
      ['taskContent'],
    ],
    [
      '1001 targets across tasks',
      {
        input: {
          taskContent: [0, 1].map((t) =>
            task({ target: Array.from({ length: t === 0 ? 500 : 501 }, (_, i) => ({ phone: `13${t}0013${String(i).padStart(4, '0')}` })) }),
          ),
        },
      },
      ['taskContent'],
    ],
    ['a task without targets', { input: { taskContent: [task({ target: [] })] } }, ['taskContent.0.target']],
    ['an empty templateId', { input: { taskContent: [task({ templateId: '' })] } }, ['taskContent.0.templateId']],
    ['a 65-character templateId', { input: { taskContent: [task({ templateId: 't'.repeat(65) })] } }, ['taskContent.0.templateId']],
    ['an empty senderId', { input: { taskContent: [task({ senderId: '' })] } }, ['taskContent.0.senderId']],
    ['a 12-character senderId', { input: { taskContent: [task({ senderId: 'S'.repeat(12) })] } }, ['taskContent.0.senderId']],
    ['a control character in senderId', { input: { taskContent: [task({ senderId: 'US\npeedo' })] } }, ['taskContent.0.senderId']],
    [
      '21 template params',
      batch([{ phone: '13800138000', templateParams: Array.from({ length: 21 }, () => 'p') }]),
      ['taskContent.0.target.0.templateParams'],
    ],
    [
      'a 501-character template param',
      batch([{ phone: '13800138000', templateParams: ['p'.repeat(501)] }]),
      ['taskContent.0.target.0.templateParams.0'],
    ],
    ['an empty phone', batch([{ phone: '' }]), ['taskContent.0.target.0.phone']],
    ['letters in a phone', batch([{ phone: '1380013800a' }]), ['taskContent.0.target.0.phone']],
    ['an impossible length', batch([{ phone: '+8613800138000999' }]), ['taskContent.0.target.0.phone']],
    ['a number that cannot exist', batch([{ phone: '+85212345678' }]), ['taskContent.0.target.0.phone']],
    ['bare digits that are not mainland China', batch([{ phone: '0085255311111' }]), ['taskContent.0.target.0.phone']],
    ['the same phone written two ways', batch([{ phone: '13800138000' }, { phone: '+8613800138000' }]), ['taskContent.0.target.1.phone']],
  ])('%s', async (_name, variables, expected) => {
    expect(paths(await invalid(variables))).toEqual(expected);
  });

  it('accepts every limit exactly at its edge', async () => {
    const result = await send({
      input: {
        taskContent: [
          task({
            templateId: 't'.repeat(64),
            senderId: 'S'.repeat(11),
            target: [{ phone: '13800138000', templateParams: Array.from({ length: 20 }, () => '界'.repeat(500)) }],
          }),
          ...Array.from({ length: 99 }, (_, i) => task({ target: [{ phone: `1390013${String(i).padStart(4, '0')}` }] })),
        ],
      },
    });
    expect(result.__typename).toBe('SendBatchSmsSuccess');
    expect(upstream.calls).toHaveLength(1);
  });

  it('counts characters, not UTF-16 units: an 11-emoji sender fits', async () => {
    expect((await send(batch([{ phone: '13800138000' }], 't', '😀'.repeat(11)))).__typename).toBe('SendBatchSmsSuccess');
  });

  it('leaves a GraphQL type error (a required field missing) as a GraphQL error', async () => {
    const { status, body } = await server.gql(SEND_BATCH_SMS, { input: { taskContent: [{ templateId: 't', target: [] }] } });
    expect(status).toBe(400);
    expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(upstream.calls).toHaveLength(0);
  });
});

describe('configured limits', () => {
  it('are lower when configured, reported by smsLimits and enforced', async () => {
    const strict = await startServer({
      USPEEDO_BASE_URL: upstream.url,
      SMS_MAX_TARGETS_PER_REQUEST: '2',
      SMS_MAX_TASKS_PER_REQUEST: '1',
      SMS_MAX_TEMPLATE_PARAMS_PER_TARGET: '1',
      SMS_MAX_TEMPLATE_PARAM_LENGTH: '3',
      SMS_MAX_SENDER_ID_LENGTH: '4',
    });
    try {
      const limits = await strict.gql(
        '{ smsLimits { maxTargetsPerRequest maxTasksPerRequest maxTemplateParamsPerTarget maxTemplateParamLength maxSenderIdLength } }',
      );
      expect(limits.body.data.smsLimits).toEqual({
        maxTargetsPerRequest: 2,
        maxTasksPerRequest: 1,
        maxTemplateParamsPerTarget: 1,
        maxTemplateParamLength: 3,
        maxSenderIdLength: 4,
      });
      const { body } = await strict.gql(
        SEND_BATCH_SMS,
        batch(
          [
            { phone: '13800138000', templateParams: ['abcd', 'e'] },
            { phone: '13800138001', templateParams: ['abcd'] },
          ],
          't',
          'FIVE5',
        ),
      );
      expect(body.data.sendBatchSms.fieldErrors.map((e: { path: string[] }) => e.path.join('.'))).toEqual([
        'taskContent.0.senderId',
        'taskContent.0.target.0.templateParams',
        'taskContent.0.target.1.templateParams.0',
      ]);
      // Over the target ceiling: that alone, before any target is looked at.
      const oversized = await strict.gql(
        SEND_BATCH_SMS,
        batch([{ phone: '13800138000', templateParams: ['abcd', 'e'] }, { phone: '13800138001' }, { phone: '13800138002' }], 't', 'FIVE5'),
      );
      expect(oversized.body.data.sendBatchSms.fieldErrors).toEqual([
        { path: ['taskContent'], message: 'must contain at most 2 targets across all tasks (found 3)' },
      ]);
      expect(upstream.calls).toHaveLength(0);
    } finally {
      await strict.close();
    }
  });

  it('are reported at their defaults', async () => {
    const { body } = await server.gql(
      '{ smsLimits { maxTargetsPerRequest maxTasksPerRequest maxTemplateParamsPerTarget maxTemplateParamLength maxSenderIdLength } }',
    );
    expect(body.data.smsLimits).toEqual({
      maxTargetsPerRequest: 1000,
      maxTasksPerRequest: 100,
      maxTemplateParamsPerTarget: 20,
      maxTemplateParamLength: 500,
      maxSenderIdLength: 11,
    });
  });
});

describe('logging', () => {
  it('writes one line per sendBatchSms with counts, result and request uuid, and never the Authorization header', async () => {
    await send(oneTarget);
    const line = server.logs.lines
      .map((l) => JSON.parse(l))
      .filter((l) => l.msg === 'sendBatchSms answered')
      .at(-1);
    expect(line.sms).toMatchObject({ tasks: 1, recipients: 1, result: 'SUCCESS', requestUuid: FAKE_REQUEST_UUID });
    expect(server.logs.text).not.toMatch(/authorization/i);
  });
});
