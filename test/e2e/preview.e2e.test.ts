import { uspeedoTemplate as template } from '../support/fake-uspeedo';
import { batch, SEND_BATCH_SMS, serverPool } from '../support/server';
import { API_KEY_OPS, API_KEYS, bearer, hsToken, JWT_TEST_SECRET } from '../support/tokens';

// smsSendPreview through the real server against the fake uSpeedo: what each recipient would receive
// and cost, the send's own answer for a broken batch, and that nothing is spent: no POST, no charge,
// no idempotency key taken.
const pool = serverPool({ API_KEYS });
const { serve, upstream } = pool;

const TEMPLATES = '/api/v1/usms/USMSTemplate';

const PREVIEW = `query Preview($input: SendBatchSmsInput!) {
  smsSendPreview(input: $input) {
    __typename
    ... on SmsSendPreview {
      recipients segments templatesChecked
      messages { path phone countryCode text encoding characters segments }
      countries { countryCode recipients segments }
      rateLimit { code message retryable retryAfterSeconds fieldErrors { path message } }
    }
    ... on SendBatchSmsError { code message retryable retryAfterSeconds fieldErrors { path message } }
  }
}`;

const TEMPLATE_DATA = [
  template('otp', 'Your code is {1}. It expires in {2} minutes.'),
  template(
    'cn',
    '您的验证码是{1}，{2}分钟内有效，请勿泄露给他人。感谢您使用我们的服务，祝您生活愉快，工作顺利，万事如意，心想事成。请妥善保管您的验证码。',
  ),
  template('pending', 'Sale {1}', 1),
];

async function preview(server: Awaited<ReturnType<typeof serve>>, variables: Record<string, unknown>) {
  const { status, body } = await server.gql(PREVIEW, variables, bearer(API_KEY_OPS));
  expect(status).toBe(200);
  return body.data.smsSendPreview;
}

const posts = () => upstream.calls.filter((call) => call.method === 'POST');

describe('smsSendPreview', () => {
  it('tells what each recipient will receive and how many segments it costs, by message and by country, sending nothing', async () => {
    const server = await serve();
    upstream.route('GET', TEMPLATES, { body: { RetCode: 0, Data: TEMPLATE_DATA } });
    const input = {
      taskContent: [
        {
          templateId: 'otp',
          senderId: 'S',
          target: [
            { phone: '+852 5531 0000', templateParams: ['123456', '5'] },
            { phone: '13800138000', templateParams: ['€€€', '5'] },
          ],
        },
        { templateId: 'cn', senderId: 'S', target: [{ phone: '13800138001', templateParams: ['654321', '10'] }] },
      ],
    };
    const result = await preview(server, { input });
    expect(result).toEqual({
      __typename: 'SmsSendPreview',
      recipients: 3,
      segments: 4,
      templatesChecked: true,
      messages: [
        {
          path: ['taskContent', '0', 'target', '0'],
          phone: '+85255310000',
          countryCode: '852',
          text: 'Your code is 123456. It expires in 5 minutes.',
          encoding: 'GSM_7',
          characters: 45,
          segments: 1,
        },
        {
          path: ['taskContent', '0', 'target', '1'],
          phone: '+8613800138000',
          countryCode: '86',
          text: 'Your code is €€€. It expires in 5 minutes.',
          encoding: 'GSM_7',
          // Each € is an extension character: two septets.
          characters: 45,
          segments: 1,
        },
        {
          path: ['taskContent', '1', 'target', '0'],
          phone: '+8613800138001',
          countryCode: '86',
          text: '您的验证码是654321，10分钟内有效，请勿泄露给他人。感谢您使用我们的服务，祝您生活愉快，工作顺利，万事如意，心想事成。请妥善保管您的验证码。',
          encoding: 'UCS_2',
          characters: 73,
          segments: 2,
        },
      ],
      countries: [
        { countryCode: '86', recipients: 2, segments: 3 },
        { countryCode: '852', recipients: 1, segments: 1 },
      ],
      rateLimit: null,
    });
    expect(posts()).toHaveLength(0);
  });

  it('answers a broken batch with the very SendBatchSmsError the send gives, its templates checked whatever SMS_TEMPLATE_CHECK says', async () => {
    const server = await serve({ SMS_TEMPLATE_CHECK: 'false' });
    upstream.route('GET', TEMPLATES, { body: { RetCode: 0, Data: TEMPLATE_DATA } });
    const input = {
      taskContent: [
        { templateId: 'otp', senderId: 'S', target: [{ phone: '12345', templateParams: ['1', '2'] }] },
        { templateId: 'pending', senderId: 'S', target: [{ phone: '13800138000', templateParams: ['1'] }] },
        { templateId: 'otp', senderId: 'S', target: [{ phone: '13800138000', templateParams: ['1'] }] },
      ],
    };
    const previewed = await preview(server, { input });
    expect(previewed.code).toBe('INVALID_INPUT');
    expect(previewed.fieldErrors).toEqual([
      { path: ['taskContent', '0', 'target', '0', 'phone'], message: expect.any(String) },
      { path: ['taskContent', '1', 'templateId'], message: 'is not approved by uSpeedo (status UNDER_REVIEW)' },
      { path: ['taskContent', '2', 'target', '0', 'templateParams'], message: 'must have 2 entries for this template (found 1)' },
    ]);
    // The send, with its template check on, refuses the same batch with the same answer.
    const strict = await serve({ SMS_TEMPLATE_CHECK: 'true' });
    const sent = (await strict.gql(SEND_BATCH_SMS, { input }, bearer(API_KEY_OPS))).body.data.sendBatchSms;
    expect({ ...previewed, __typename: undefined }).toEqual({
      ...sent,
      __typename: undefined,
      retCode: undefined,
      httpStatus: undefined,
      requestUuid: undefined,
    });
    expect(posts()).toHaveLength(0);
  });

  it('still answers when the template lookup fails: texts unknown, every other rule checked', async () => {
    const server = await serve({ USPEEDO_TIMEOUT_MS: '1000' });
    upstream.route('GET', TEMPLATES, { status: 503, body: {} });
    const result = await preview(server, batch([{ phone: '13800138000', templateParams: ['1'] }, { phone: '13800138001' }], 'otp'));
    expect(result).toMatchObject({ __typename: 'SmsSendPreview', recipients: 2, segments: null, templatesChecked: false });
    expect(result.messages[1]).toEqual({
      path: ['taskContent', '0', 'target', '1'],
      phone: '+8613800138001',
      countryCode: '86',
      text: null,
      encoding: null,
      characters: null,
      segments: null,
    });
    expect(result.countries).toEqual([{ countryCode: '86', recipients: 2, segments: null }]);
    // No batch was sent unchecked: the send's metric stays at zero.
    expect((await server.fetch('/metrics')).text).toMatch(/^sms_template_check_skipped_total 0$/m);
  });

  it('says when the abuse limits would refuse the batch now, charging nothing, and claims no idempotency key', async () => {
    const server = await serve({ RATE_LIMIT_PHONE_PER_HOUR: '1' });
    upstream.route('GET', TEMPLATES, { body: { RetCode: 0, Data: TEMPLATE_DATA } });
    const input = { taskContent: [{ templateId: 'otp', senderId: 'S', target: [{ phone: '13800138000', templateParams: ['1', '2'] }] }] };
    // Previews, however many, leave the number's one message an hour for the send.
    for (let i = 0; i < 3; i++) expect((await preview(server, { input })).rateLimit).toBeNull();
    const keyed = { input: { ...input, idempotencyKey: 'preview-then-send' } };
    expect((await preview(server, keyed)).__typename).toBe('SmsSendPreview');
    const sent = (await server.gql(SEND_BATCH_SMS, keyed, bearer(API_KEY_OPS))).body.data.sendBatchSms;
    expect(sent.__typename).toBe('SendBatchSmsSuccess');
    expect(posts()).toHaveLength(1);
    const after = await preview(server, { input });
    expect(after.rateLimit).toMatchObject({
      code: 'RATE_LIMITED',
      retryable: true,
      fieldErrors: [{ path: ['taskContent', '0', 'target', '0', 'phone'], message: expect.stringMatching(/per hour/) }],
    });
    expect(after.rateLimit.retryAfterSeconds).toBeGreaterThan(0);
    // The send the preview warned of is refused the same way.
    expect((await server.gql(SEND_BATCH_SMS, { input }, bearer(API_KEY_OPS))).body.data.sendBatchSms).toMatchObject({
      code: 'RATE_LIMITED',
      fieldErrors: after.rateLimit.fieldErrors,
    });
    expect(posts()).toHaveLength(1);
  });

  it('needs sms:send: a read-only token is FORBIDDEN, and nothing is asked of uSpeedo', async () => {
    const server = await serve({ API_KEYS: '', JWT_SECRET: JWT_TEST_SECRET });
    upstream.route('GET', TEMPLATES, { body: { RetCode: 0, Data: TEMPLATE_DATA } });
    const input = batch([{ phone: '13800138000', templateParams: ['1', '2'] }], 'otp');
    const reader = await server.gql(PREVIEW, input, bearer(await hsToken({ scope: 'sms:read' })));
    expect(reader.status).toBe(403);
    expect(reader.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(upstream.calls).toHaveLength(0);
    const sender = await server.gql(PREVIEW, input, bearer(await hsToken({ scope: 'sms:send' })));
    expect(sender.body.data.smsSendPreview.__typename).toBe('SmsSendPreview');
  });

  it('counts each number once in rateLimit: repeating a number cannot measure how many messages it got', async () => {
    const server = await serve({ RATE_LIMIT_PHONE_PER_HOUR: '3' });
    upstream.route('GET', TEMPLATES, { body: { RetCode: 0, Data: TEMPLATE_DATA } });
    const one = (templateId: string) => ({ templateId, senderId: 'S', target: [{ phone: '13800138000', templateParams: ['1', '2'] }] });
    // The number got 2 of its 3 this hour.
    for (let i = 0; i < 2; i++) {
      const sent = await server.gql(SEND_BATCH_SMS, { input: { taskContent: [one('otp')] } }, bearer(API_KEY_OPS));
      expect(sent.body.data.sendBatchSms.__typename).toBe('SendBatchSmsSuccess');
    }
    // Named in 2 and in 3 tasks: a count per mention would refuse, and so tell 2 sent this hour.
    for (const k of [1, 2, 3]) {
      const repeated = await preview(server, { input: { taskContent: Array.from({ length: k }, () => one('otp')) } });
      expect(repeated.rateLimit).toBeNull();
    }
  });

  it('counts as one lookup against RATE_LIMIT_STATUS_PER_MINUTE', async () => {
    const server = await serve({ RATE_LIMIT_STATUS_PER_MINUTE: '2' });
    upstream.route('GET', TEMPLATES, { body: { RetCode: 0, Data: TEMPLATE_DATA } });
    const input = batch([{ phone: '13800138000', templateParams: ['1', '2'] }], 'otp');
    expect((await preview(server, input)).__typename).toBe('SmsSendPreview');
    expect((await preview(server, input)).__typename).toBe('SmsSendPreview');
    expect(await preview(server, input)).toMatchObject({ __typename: 'SendBatchSmsError', code: 'RATE_LIMITED', retryable: true });
  });

  it('previews a 1000-target batch in one answer, one message per target, one template lookup', async () => {
    const server = await serve();
    upstream.route('GET', TEMPLATES, { body: { RetCode: 0, Data: TEMPLATE_DATA } });
    const targets = Array.from({ length: 1000 }, (_, i) => ({
      phone: `1380013${String(i).padStart(4, '0')}`,
      templateParams: [String(100000 + i), '5'],
    }));
    const result = await preview(server, batch(targets, 'otp'));
    expect(result).toMatchObject({ recipients: 1000, segments: 1000, templatesChecked: true });
    expect(result.messages).toHaveLength(1000);
    expect(result.messages[999]).toMatchObject({
      path: ['taskContent', '0', 'target', '999'],
      text: 'Your code is 100999. It expires in 5 minutes.',
    });
    expect(upstream.calls.filter((call) => call.path.startsWith(TEMPLATES))).toHaveLength(1);
    expect(posts()).toHaveLength(0);
  });

  it('may run once per operation', async () => {
    const server = await serve();
    const twice = `query Twice($input: SendBatchSmsInput!) { a: smsSendPreview(input: $input) { __typename } b: smsSendPreview(input: $input) { __typename } }`;
    const { status, body } = await server.gql(twice, batch([{ phone: '13800138000' }], 'otp'), bearer(API_KEY_OPS));
    expect(status).toBe(400);
    expect(body.errors[0].message).toBe('An operation may contain at most one smsSendPreview: preview one batch a request.');
    expect(upstream.calls).toHaveLength(0);
  });
});
