import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { uspeedoTemplate as template } from '../support/fake-uspeedo';
import { faster } from '../support/pace';
import { serverPool, type TestServer } from '../support/server';
import { API_KEY_OPS, API_KEY_WEB, API_KEYS, bearer, hsToken, JWT_TEST_SECRET } from '../support/tokens';

// Campaigns through the real server against the fake uSpeedo: pages checked as the send checks a
// batch, the cost before start, each page one POST in page order at the shared pace, the outcomes on
// their rows, and the calls a campaign takes from its owner only.
const pool = serverPool({ API_KEYS, CAMPAIGN_RECIPIENTS_PER_MINUTE: '6000' });
const { serve, upstream } = pool;

const OPERATIONS = readFileSync(join(__dirname, '../../examples/operations/campaign.graphql'), 'utf8');
const TEMPLATES = '/api/v1/usms/USMSTemplate';
const SEND = '/api/v1/usms/SendBatchUSMSMessage';
const TEMPLATE_DATA = [template('otp', 'Your code is {1}.'), template('hello', 'Hello from us')];

/** Runs one named operation of campaign.graphql as `key`'s caller; its one root field's answer. */
async function call(server: TestServer, operationName: string, variables: Record<string, unknown>, key = API_KEY_OPS) {
  const { status, body } = await server
    .fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(key) },
      body: JSON.stringify({ query: OPERATIONS, operationName, variables }),
    })
    .then((r) => ({ status: r.status, body: JSON.parse(r.text) }));
  expect(body.errors).toBeUndefined();
  expect(status).toBe(200);
  return Object.values(body.data)[0] as any;
}

const phones = (from: number, count: number) => Array.from({ length: count }, (_, i) => `+8613800${String(from + i).padStart(6, '0')}`);
const page = (campaignId: string, n: number, numbers: string[], templateId = 'otp') => ({
  input: {
    campaignId,
    page: n,
    taskContent: [
      {
        templateId,
        senderId: 'USpeedo',
        target: numbers.map((phone) => ({ phone, ...(templateId === 'otp' ? { templateParams: ['1234'] } : {}) })),
      },
    ],
  },
});
/** A number as the send writes it to uSpeedo: mainland China numbers in its bracket form. */
const upstreamForm = (e164: string) => `(86)${e164.slice(3)}`;
const posts = () => upstream.calls.filter((c) => c.method === 'POST' && c.path.startsWith(SEND));

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > end) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const totals = (c: any) => c.sent + c.failed + c.skipped + c.outcomeUnknown + c.pending + c.cancelled;

async function created(server: TestServer, name = 'Notice', key = API_KEY_OPS) {
  const campaign = await call(server, 'CreateSmsCampaign', { input: { name } }, key);
  expect(campaign.__typename).toBe('SmsCampaign');
  return campaign.id as string;
}

beforeEach(() => {
  upstream.route('GET', TEMPLATES, { body: { RetCode: 0, Data: TEMPLATE_DATA } });
});

describe('campaigns', () => {
  it('sends each page as one POST, in page order, at the shared pace, and adds every count up to the recipients', async () => {
    let session = 0;
    upstream.route('POST', SEND, (c) => {
      const body = JSON.parse(c.body.toString());
      const first = body.TaskContent[0].Target[0].Phone;
      // The second page's first number is refused by uSpeedo.
      const failed =
        first === '(86)13800000010' ? [{ Phone: '(86)13800000010', TemplateParams: ['1234'], FailureReason: 'blacklisted' }] : [];
      return { body: { RetCode: 0, Message: 'success', SessionNo: [`S-${++session}`], FailedTargetPhones: failed } };
    });
    const server = await serve({ CAMPAIGN_RECIPIENTS_PER_MINUTE: '1200' });
    const id = await created(server);
    // Any order, gaps allowed.
    expect((await call(server, 'AddSmsCampaignTargets', page(id, 5, phones(20, 10)))).recipients).toBe(10);
    expect((await call(server, 'AddSmsCampaignTargets', page(id, 0, phones(0, 10)))).recipients).toBe(20);
    const draft = await call(server, 'AddSmsCampaignTargets', page(id, 2, phones(10, 10), 'hello'));
    expect(draft).toMatchObject({
      state: 'DRAFT',
      recipients: 30,
      segments: 30,
      pending: 30,
      countries: [{ countryCode: '86', recipients: 30, segments: 30 }],
    });
    expect(draft.pages.map((p: any) => [p.page, p.state])).toEqual([
      [0, 'PENDING'],
      [2, 'PENDING'],
      [5, 'PENDING'],
    ]);
    expect(posts()).toHaveLength(0);

    const started = await call(server, 'StartSmsCampaign', { campaignId: id });
    expect(started.state).toBe('SENDING');
    const done = await until(
      () => call(server, 'SmsCampaign', { campaignId: id }),
      (c) => c.state === 'DONE',
    );
    expect(done).toMatchObject({
      state: 'DONE',
      recipients: 30,
      sent: 29,
      failed: 1,
      skipped: 0,
      outcomeUnknown: 0,
      pending: 0,
      cancelled: 0,
    });
    expect(totals(done)).toBe(30);
    expect(done.pages.map((p: any) => [p.page, p.state, p.sessionNos])).toEqual([
      [0, 'SENT', ['S-1']],
      [2, 'SENT', ['S-2']],
      [5, 'SENT', ['S-3']],
    ]);
    // One POST a page, in page order, each byte for byte the page's batch.
    const sent = posts();
    expect(sent).toHaveLength(3);
    expect(JSON.parse(sent[1].body.toString())).toEqual({
      TaskContent: [{ TemplateId: 'hello', SenderId: 'USpeedo', Target: phones(10, 10).map((e164) => ({ Phone: upstreamForm(e164) })) }],
    });
    const failures = await call(server, 'SmsCampaignFailures', { campaignId: id });
    expect(failures.items).toEqual([
      { path: ['page', '2', 'taskContent', '0', 'target', '0'], e164: '+8613800000010', code: 'TARGET_REJECTED', reason: 'blacklisted' },
    ]);
    expect(failures.hasMore).toBe(false);
  });

  it('paces pages by the clock: a page of n recipients holds the next back n / CAMPAIGN_RECIPIENTS_PER_MINUTE minutes', async () => {
    const times: number[] = [];
    upstream.route('POST', SEND, () => {
      times.push(Date.now());
      return {};
    });
    const server = await serve({ CAMPAIGN_RECIPIENTS_PER_MINUTE: '600' });
    const id = await created(server);
    for (let n = 0; n < 3; n++) await call(server, 'AddSmsCampaignTargets', page(id, n, phones(n * 5, 5)));
    await call(server, 'StartSmsCampaign', { campaignId: id });
    await until(
      () => call(server, 'SmsCampaign', { campaignId: id }),
      (c) => c.state === 'DONE',
    );
    expect(times).toHaveLength(3);
    // 5 recipients at 600 a minute: 500 ms apart; one arrival may stray on a busy event loop, which
    // the fake shares with the server here, but never by more than a tenth of a gap.
    expect(faster(times, 500, 50)).toEqual([]);
  });

  it('checks a page by every rule of the send, paths under its page, and stores nothing of a refused page', async () => {
    const server = await serve();
    const id = await created(server);
    const refused = await call(server, 'AddSmsCampaignTargets', page(id, 3, ['+8613800000000', 'not a phone']));
    expect(refused).toMatchObject({ __typename: 'SmsCampaignError', code: 'INVALID_INPUT' });
    expect(refused.fieldErrors.map((e: any) => e.path)).toEqual([['page', '3', 'taskContent', '0', 'target', '1', 'phone']]);
    const badPage = await call(server, 'AddSmsCampaignTargets', page(id, -1, ['bad']));
    expect(badPage.fieldErrors.map((e: any) => e.path)).toEqual([['page'], ['page', '-1', 'taskContent', '0', 'target', '0', 'phone']]);
    const unknownTemplate = await call(server, 'AddSmsCampaignTargets', page(id, 1, phones(0, 1), 'nope'));
    expect(unknownTemplate.fieldErrors.map((e: any) => e.path)).toEqual([['page', '1', 'taskContent', '0', 'templateId']]);
    expect((await call(server, 'SmsCampaign', { campaignId: id })).recipients).toBe(0);

    // The same page again is a replay; other content while DRAFT replaces it.
    await call(server, 'AddSmsCampaignTargets', page(id, 0, phones(0, 3)));
    expect((await call(server, 'AddSmsCampaignTargets', page(id, 0, phones(0, 3)))).recipients).toBe(3);
    expect((await call(server, 'AddSmsCampaignTargets', page(id, 0, phones(0, 2)))).recipients).toBe(2);
    await call(server, 'StartSmsCampaign', { campaignId: id });
    const late = await call(server, 'AddSmsCampaignTargets', page(id, 1, phones(5, 1)));
    expect(late.code).toBe('INVALID_STATE');
    expect((await call(server, 'StartSmsCampaign', { campaignId: id })).code).toBe('INVALID_STATE');
    // The page already there, sent again unchanged, is still a replay.
    expect((await call(server, 'AddSmsCampaignTargets', page(id, 0, phones(0, 2)))).__typename).toBe('SmsCampaign');
    await until(
      () => call(server, 'SmsCampaign', { campaignId: id }),
      (c) => c.state === 'DONE',
    );
    expect((await call(server, 'ResumeSmsCampaign', { campaignId: id })).code).toBe('INVALID_STATE');
  });

  it('keeps to CAMPAIGN_MAX_RECIPIENTS and CAMPAIGNS_OPEN_PER_CALLER, and replays a creation key', async () => {
    const server = await serve({ CAMPAIGN_MAX_RECIPIENTS: '5', CAMPAIGNS_OPEN_PER_CALLER: '2' });
    const first = await call(server, 'CreateSmsCampaign', { input: { name: 'A', idempotencyKey: 'k-1' } });
    const again = await call(server, 'CreateSmsCampaign', { input: { name: 'A', idempotencyKey: 'k-1' } });
    expect(again.id).toBe(first.id);
    expect((await call(server, 'CreateSmsCampaign', { input: { name: 'B', idempotencyKey: 'k-1' } })).code).toBe('IDEMPOTENCY_CONFLICT');
    await call(server, 'AddSmsCampaignTargets', page(first.id, 0, phones(0, 4)));
    const over = await call(server, 'AddSmsCampaignTargets', page(first.id, 1, phones(10, 2)));
    expect(over.code).toBe('LIMIT_EXCEEDED');
    expect((await call(server, 'SmsCampaign', { campaignId: first.id })).recipients).toBe(4);
    await created(server, 'second');
    expect((await call(server, 'CreateSmsCampaign', { input: { name: 'third' } })).code).toBe('LIMIT_EXCEEDED');
    // A cancelled campaign is no longer open.
    expect((await call(server, 'CancelSmsCampaign', { campaignId: first.id })).state).toBe('CANCELLED');
    expect((await call(server, 'CreateSmsCampaign', { input: { name: 'third' } })).__typename).toBe('SmsCampaign');
  });

  it("answers another caller's campaign exactly as an unknown one, for every call", async () => {
    const server = await serve();
    const id = await created(server);
    const unknown = 'cmp_AAAAAAAAAAAAAAAA';
    for (const [operation, variables] of [
      ['SmsCampaign', (c: string) => ({ campaignId: c })],
      ['StartSmsCampaign', (c: string) => ({ campaignId: c })],
      ['CancelSmsCampaign', (c: string) => ({ campaignId: c })],
      ['SmsCampaignFailures', (c: string) => ({ campaignId: c })],
      ['AddSmsCampaignTargets', (c: string) => page(c, 0, phones(0, 1))],
    ] as const) {
      const theirs = await call(server, operation, variables(id), API_KEY_WEB);
      const none = await call(server, operation, variables(unknown), API_KEY_WEB);
      expect(theirs).toEqual(none);
      expect(theirs.code).toBe('NOT_FOUND');
    }
    expect((await call(server, 'SmsCampaign', { campaignId: id })).state).toBe('DRAFT');
  });

  it('holds a page that uSpeedo answers 429, blockedBy RATE_LIMITED, and sends it once the wait is over', async () => {
    let calls = 0;
    upstream.route('POST', SEND, () => (++calls === 1 ? { status: 429, headers: { 'retry-after': '1' }, body: { RetCode: 429 } } : {}));
    const server = await serve();
    const id = await created(server);
    await call(server, 'AddSmsCampaignTargets', page(id, 0, phones(0, 2)));
    await call(server, 'StartSmsCampaign', { campaignId: id });
    const blocked = await until(
      () => call(server, 'SmsCampaign', { campaignId: id }),
      (c) => c.blockedBy !== null,
      5000,
    );
    expect(blocked).toMatchObject({
      state: 'SENDING',
      pending: 2,
      blockedBy: { code: 'RATE_LIMITED', retryable: true, retryAfterSeconds: 1 },
    });
    const done = await until(
      () => call(server, 'SmsCampaign', { campaignId: id }),
      (c) => c.state === 'DONE',
    );
    expect(done).toMatchObject({ state: 'DONE', sent: 2, blockedBy: null });
    expect(posts()).toHaveLength(2);
  });

  it("pauses the campaign when uSpeedo refuses this server's credentials: that page FAILED, the rest waiting", async () => {
    upstream.route('POST', SEND, { status: 401, body: { RetCode: 171, Message: 'signature error' } });
    const server = await serve();
    const id = await created(server);
    await call(server, 'AddSmsCampaignTargets', page(id, 0, phones(0, 2)));
    await call(server, 'AddSmsCampaignTargets', page(id, 1, phones(5, 2)));
    await call(server, 'StartSmsCampaign', { campaignId: id });
    const paused = await until(
      () => call(server, 'SmsCampaign', { campaignId: id }),
      (c) => c.state === 'PAUSED',
    );
    expect(paused).toMatchObject({ state: 'PAUSED', failed: 2, pending: 2, blockedBy: { code: 'UPSTREAM_AUTH_FAILED' } });
    expect(paused.pages.map((p: any) => p.state)).toEqual(['FAILED', 'PENDING']);
    expect(posts()).toHaveLength(1);
    const failures = await call(server, 'SmsCampaignFailures', { campaignId: id, first: 1 });
    expect(failures.items[0]).toMatchObject({ path: ['page', '0', 'taskContent', '0', 'target', '0'], code: 'PAGE_REFUSED' });
    expect(failures.hasMore).toBe(true);
    const rest = await call(server, 'SmsCampaignFailures', { campaignId: id, first: 10, after: failures.endCursor });
    expect(rest.items.map((f: any) => f.path[5])).toEqual(['1']);
    expect(rest.hasMore).toBe(false);
  });

  it('never sends a page whose outcome is unknown again, and goes on with the next', async () => {
    let calls = 0;
    upstream.route('POST', SEND, () => (++calls === 1 ? { delayMs: 3000 } : {}));
    const server = await serve({ USPEEDO_TIMEOUT_MS: '500' });
    const id = await created(server);
    await call(server, 'AddSmsCampaignTargets', page(id, 0, phones(0, 2)));
    await call(server, 'AddSmsCampaignTargets', page(id, 1, phones(5, 3)));
    await call(server, 'StartSmsCampaign', { campaignId: id });
    const done = await until(
      () => call(server, 'SmsCampaign', { campaignId: id }),
      (c) => c.state === 'DONE',
    );
    expect(done).toMatchObject({ outcomeUnknown: 2, sent: 3 });
    expect(done.pages[0]).toMatchObject({ state: 'OUTCOME_UNKNOWN', error: { code: 'UPSTREAM_TIMEOUT' } });
    expect(posts()).toHaveLength(2);
  });

  it('skips numbers over their hourly limit, with RATE_LIMITED on their rows, and sends the rest of the page', async () => {
    const server = await serve({ RATE_LIMIT_PHONE_PER_HOUR: '1' });
    const id = await created(server);
    // The same number on two pages: its second message is over its limit.
    await call(server, 'AddSmsCampaignTargets', page(id, 0, phones(0, 2)));
    await call(server, 'AddSmsCampaignTargets', page(id, 1, [...phones(1, 1), ...phones(7, 2)]));
    await call(server, 'StartSmsCampaign', { campaignId: id });
    const done = await until(
      () => call(server, 'SmsCampaign', { campaignId: id }),
      (c) => c.state === 'DONE',
    );
    expect(done).toMatchObject({ recipients: 5, sent: 4, skipped: 1 });
    expect(JSON.parse(posts()[1].body.toString()).TaskContent[0].Target.map((t: any) => t.Phone)).toEqual(phones(7, 2).map(upstreamForm));
    const failures = await call(server, 'SmsCampaignFailures', { campaignId: id });
    expect(failures.items).toEqual([
      expect.objectContaining({ path: ['page', '1', 'taskContent', '0', 'target', '0'], e164: '+8613800000001', code: 'RATE_LIMITED' }),
    ]);
  });

  it('cancels: pages not tried become CANCELLED and are never sent', async () => {
    const server = await serve({ CAMPAIGN_RECIPIENTS_PER_MINUTE: '60' });
    const id = await created(server);
    await call(server, 'AddSmsCampaignTargets', page(id, 0, phones(0, 2)));
    await call(server, 'AddSmsCampaignTargets', page(id, 1, phones(5, 2)));
    await call(server, 'StartSmsCampaign', { campaignId: id });
    // 2 recipients at 60 a minute: the second page waits two seconds.
    await until(
      () => call(server, 'SmsCampaign', { campaignId: id }),
      (c) => c.sent === 2,
    );
    const cancelled = await call(server, 'CancelSmsCampaign', { campaignId: id });
    // The next page waits for the pace untaken, so it is cancelled at once; had it just been taken for its
    // slot, it would count pending until its runner gives it back.
    expect(cancelled).toMatchObject({ state: 'CANCELLED', sent: 2, cancelled: 2 - cancelled.pending });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(posts()).toHaveLength(1);
    const after = await call(server, 'SmsCampaign', { campaignId: id });
    expect(after.pages.map((p: any) => p.state)).toEqual(['SENT', 'CANCELLED']);
    expect(totals(after)).toBe(4);
  });

  it('expires a DRAFT not started within CAMPAIGN_DRAFT_TTL_SECONDS: NOT_FOUND, and no longer open', async () => {
    const server = await serve({ CAMPAIGN_DRAFT_TTL_SECONDS: '1', CAMPAIGNS_OPEN_PER_CALLER: '1' });
    const id = await created(server);
    expect((await call(server, 'CreateSmsCampaign', { input: { name: 'another' } })).code).toBe('LIMIT_EXCEEDED');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await call(server, 'SmsCampaign', { campaignId: id })).code).toBe('NOT_FOUND');
    expect((await call(server, 'StartSmsCampaign', { campaignId: id })).code).toBe('NOT_FOUND');
    expect((await call(server, 'CreateSmsCampaign', { input: { name: 'another' } })).__typename).toBe('SmsCampaign');
  });

  it('needs sms:send to change a campaign, and answers a read-only caller its campaigns', async () => {
    const server = await serve({ API_KEYS: '', JWT_SECRET: JWT_TEST_SECRET });
    const sender = await hsToken({ sub: 'team', scope: 'sms:send' });
    const reader = await hsToken({ sub: 'team', scope: 'sms:read' });
    const id = await created(server, 'Notice', sender);
    const { body } = await server
      .fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bearer(reader) },
        body: JSON.stringify({ query: OPERATIONS, operationName: 'StartSmsCampaign', variables: { campaignId: id } }),
      })
      .then((r) => ({ body: JSON.parse(r.text) }));
    expect(body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect((await call(server, 'SmsCampaign', { campaignId: id }, reader)).state).toBe('DRAFT');
  });

  it("holds the campaign when the caller's daily limit refuses a page: SENDING, blockedBy RATE_LIMITED with the wait, nothing sent", async () => {
    const server = await serve({ RATE_LIMIT_CALLER_PER_DAY: '3' });
    const id = await created(server);
    await call(server, 'AddSmsCampaignTargets', page(id, 0, phones(0, 2)));
    await call(server, 'AddSmsCampaignTargets', page(id, 1, phones(5, 2)));
    await call(server, 'StartSmsCampaign', { campaignId: id });
    const held = await until(
      () => call(server, 'SmsCampaign', { campaignId: id }),
      (c) => c.blockedBy !== null,
    );
    expect(held).toMatchObject({ state: 'SENDING', sent: 2, pending: 2, blockedBy: { code: 'RATE_LIMITED', retryable: true } });
    expect(held.blockedBy.retryAfterSeconds).toBeGreaterThan(0);
    expect(posts()).toHaveLength(1);
  });

  it('pauses after the page in flight and resumes where it stopped, counting each state in sms_campaigns_total', async () => {
    const server = await serve({ CAMPAIGN_RECIPIENTS_PER_MINUTE: '120' });
    const id = await created(server);
    for (let n = 0; n < 3; n++) await call(server, 'AddSmsCampaignTargets', page(id, n, phones(n * 5, 2)));
    await call(server, 'StartSmsCampaign', { campaignId: id });
    // 2 recipients at 120 a minute: a second between pages.
    await until(
      () => call(server, 'SmsCampaign', { campaignId: id }),
      (c) => c.sent === 2,
    );
    expect((await call(server, 'PauseSmsCampaign', { campaignId: id })).state).toBe('PAUSED');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const paused = await call(server, 'SmsCampaign', { campaignId: id });
    expect(paused).toMatchObject({ state: 'PAUSED', pending: 4 });
    expect(posts()).toHaveLength(1);
    expect((await call(server, 'ResumeSmsCampaign', { campaignId: id })).state).toBe('SENDING');
    const done = await until(
      () => call(server, 'SmsCampaign', { campaignId: id }),
      (c) => c.state === 'DONE',
    );
    expect(done.sent).toBe(6);
    expect(posts()).toHaveLength(3);
    const metrics = (await server.fetch('/metrics')).text;
    for (const state of ['DRAFT', 'SENDING', 'PAUSED', 'DONE']) {
      expect(metrics).toMatch(new RegExp(`sms_campaigns_total\\{state="${state}"\\} [1-9]`));
    }
    expect(metrics).toMatch(/sms_campaign_pages_total\{outcome="SENT"\} 3/);
  });

  it('checks every template again at start: one no longer approved is INVALID_INPUT at its page, a failed lookup is retryable, and neither starts', async () => {
    const server = await serve({ TEMPLATE_CACHE_SECONDS: '0' });
    const id = await created(server);
    await call(server, 'AddSmsCampaignTargets', page(id, 0, phones(0, 2)));
    await call(server, 'AddSmsCampaignTargets', page(id, 1, phones(5, 2)));
    upstream.route('GET', TEMPLATES, { status: 503, body: {} });
    const failed = await call(server, 'StartSmsCampaign', { campaignId: id });
    expect(failed).toMatchObject({ __typename: 'SmsCampaignError', retryable: true });
    upstream.route('GET', TEMPLATES, { body: { RetCode: 0, Data: [template('otp', 'Your code is {1}.', 1)] } });
    const unapproved = await call(server, 'StartSmsCampaign', { campaignId: id });
    expect(unapproved.code).toBe('INVALID_INPUT');
    expect(unapproved.fieldErrors.map((e: any) => e.path)).toEqual([
      ['page', '0', 'taskContent', '0', 'templateId'],
      ['page', '1', 'taskContent', '0', 'templateId'],
    ]);
    expect((await call(server, 'SmsCampaign', { campaignId: id })).state).toBe('DRAFT');
    expect(posts()).toHaveLength(0);
  });
});
