import { RetCode, USPEEDO_PATHS } from '../../src/uspeedo/uspeedo.types';
import { uspeedoTemplate, type RecordedCall } from '../support/fake-uspeedo';
import { SEND_BATCH_SMS, serverPool } from '../support/server';
import { API_KEY_OPS, API_KEY_WEB, API_KEYS, bearer } from '../support/tokens';

// Every template GET a caller causes (a preview, the pre-send check, smsTemplates) is charged to that
// caller's RATE_LIMIT_TEMPLATES_PER_MINUTE before it is made. Before, one preview of 100 unknown
// 64-character CJK ids made 125 GETs and counted as one lookup, and the pre-send check was never
// charged at all.
const pool = serverPool({ API_KEYS });
const { serve, upstream } = pool;
const ops = bearer(API_KEY_OPS);
const web = bearer(API_KEY_WEB);
const TEMPLATES = `/${USPEEDO_PATHS.templates}`;
const gets = () => upstream.calls.filter((call) => call.method === 'GET');
const posts = () => upstream.calls.filter((call) => call.method === 'POST');
const idsOf = (call: RecordedCall) => new URL(call.path, 'http://x').searchParams.getAll('id');

/** uSpeedo as it answers: "template not found" for a whole lookup when any of its ids is unknown. */
function knowOnly(...known: string[]) {
  upstream.route('GET', TEMPLATES, (call) =>
    idsOf(call).every((id) => known.includes(id))
      ? { body: { RetCode: 0, Data: idsOf(call).map((id) => uspeedoTemplate(id, 'Code {1}')) } }
      : { body: { RetCode: RetCode.TEMPLATE_NOT_FOUND, Message: 'template not found' } },
  );
}

const cjk = (n: number) => String.fromCodePoint(0x4e00 + n).repeat(64);

/** Budgets are per UTC minute: a test that counts within one starts well before the minute ends. */
async function awayFromMinuteEdge() {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 40_000) await new Promise((resolve) => setTimeout(resolve, 60_500 - intoMinute));
}
const tasksOf = (ids: string[]) =>
  ids.map((templateId, i) => ({ templateId, senderId: 'S', target: [{ phone: `1380013${String(8000 + i)}`, templateParams: ['1'] }] }));

const PREVIEW = `query P($input: SendBatchSmsInput!) { smsSendPreview(input: $input) {
  __typename
  ... on SmsSendPreview { templatesChecked }
  ... on SendBatchSmsError { code retryable retryAfterSeconds fieldErrors { path message } }
} }`;

jest.setTimeout(90_000);

describe('template lookups are charged to the caller who causes them', () => {
  it('answers INVALID_INPUT, asking nothing, for a batch naming more than MAX_TEMPLATES_PER_REQUEST distinct templates', async () => {
    const server = await serve();
    knowOnly();
    const ids = Array.from({ length: 21 }, (_, i) => `T${i}`);
    for (const [query, field] of [
      [SEND_BATCH_SMS, 'sendBatchSms'],
      [PREVIEW, 'smsSendPreview'],
    ] as const) {
      const { body } = await server.gql(query, { input: { taskContent: tasksOf(ids) } }, ops);
      expect(body.data[field]).toMatchObject({
        code: 'INVALID_INPUT',
        fieldErrors: [{ path: ['taskContent'], message: 'must name at most 20 distinct templateIds (found 21)' }],
      });
    }
    expect(upstream.calls).toHaveLength(0);
  });

  it("keeps one previewing caller's template GETs in a minute within its budget plus one request's worth", async () => {
    const budget = 100;
    const server = await serve({ RATE_LIMIT_TEMPLATES_PER_MINUTE: String(budget), RATE_LIMIT_STATUS_PER_MINUTE: '0' });
    knowOnly();
    await awayFromMinuteEdge();
    const answers = [];
    for (let round = 0; round < 30; round++) {
      const ids = Array.from({ length: 20 }, (_, i) => cjk(round * 20 + i));
      answers.push((await server.gql(PREVIEW, { input: { taskContent: tasksOf(ids) } }, ops)).body);
    }
    expect(gets().flatMap(idsOf).length).toBeLessThanOrEqual(budget + 2 * 20);
    expect(gets().length).toBeLessThanOrEqual(budget + 20);
    // Past its budget a preview still answers, its templates unchecked.
    expect(answers.at(-1).data.smsSendPreview).toEqual({ __typename: 'SmsSendPreview', templatesChecked: false });
    // Another caller's budget is its own.
    const before = gets().length;
    const other = await server.gql(PREVIEW, { input: { taskContent: tasksOf(['fresh']) } }, web);
    expect(other.body.data.smsSendPreview.code).toBe('INVALID_INPUT');
    expect(gets().length).toBe(before + 1);
  });

  it('answers RATE_LIMITED, never sends unchecked, when the pre-send check would pass the budget', async () => {
    const server = await serve({ SMS_TEMPLATE_CHECK: 'true', RATE_LIMIT_TEMPLATES_PER_MINUTE: '50' });
    knowOnly();
    await awayFromMinuteEdge();
    const answers = [];
    for (let round = 0; round < 40; round++) {
      const ids = Array.from({ length: 20 }, (_, i) => `u${round}-${i}`);
      answers.push((await server.gql(SEND_BATCH_SMS, { input: { taskContent: tasksOf(ids) } }, ops)).body.data.sendBatchSms);
    }
    expect(gets().flatMap(idsOf).length).toBeLessThanOrEqual(50 + 2 * 20);
    expect(posts()).toHaveLength(0);
    expect(answers[0]).toMatchObject({ code: 'INVALID_INPUT' });
    expect(answers.at(-1)).toMatchObject({ code: 'RATE_LIMITED', retryable: true, retryAfterSeconds: expect.any(Number) });
    const metrics = (await server.fetch('/metrics')).text;
    expect(metrics).toMatch(/^sms_limit_rejections_total\{limit="templates-minute"\} [1-9]/m);
  });

  it('charges the ids smsTemplates asks again one by one after "not found", and caches unknown ids apart', async () => {
    const server = await serve({ RATE_LIMIT_TEMPLATES_PER_MINUTE: '6', TEMPLATE_CACHE_SECONDS: '0' });
    knowOnly('T1', 'T2');
    await awayFromMinuteEdge();
    const query = `query T($ids: [String!]!) { smsTemplates(templateIds: $ids) {
      __typename ... on SmsTemplateList { missingTemplateIds } ... on SmsQueryError { code }
    } }`;
    // 3 ids charged up front; the whole-lookup "not found" asks each again: 3 more, 6 in all.
    const first = await server.gql(query, { ids: ['T1', 'NOPE', 'T2'] }, ops);
    expect(first.body.data.smsTemplates).toEqual({ __typename: 'SmsTemplateList', missingTemplateIds: ['NOPE'] });
    expect(gets()).toHaveLength(4);
    const second = await server.gql(query, { ids: ['T1'] }, ops);
    expect(second.body.data.smsTemplates).toEqual({ __typename: 'SmsQueryError', code: 'RATE_LIMITED' });
    expect(gets()).toHaveLength(4);
  });
});
