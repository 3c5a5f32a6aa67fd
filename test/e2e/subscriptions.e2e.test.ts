import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { uspeedoReceipt } from '../support/fake-uspeedo';
import { batch, SEND_BATCH_SMS, serverPool, type TestServer } from '../support/server';
import { subscribe } from '../support/subscriber';
import { API_KEY_OPS, API_KEY_WEB, API_KEYS, bearer, hsToken, JWT_TEST_SECRET } from '../support/tokens';

// smsDeliveryUpdates over a real WebSocket (graphql-ws's own client) against the real server and the
// fake uSpeedo: the events, completion, close codes, the refused origin, and the exact upstream GETs.
const pool = serverPool({ API_KEYS, DELIVERY_POLL_SECONDS: '1', STATUS_CACHE_SECONDS: '0' });
const { serve } = pool;

const RECEIPTS = '/api/v1/usms/USMSSendReceipt';
const receiptsAre = (sessions: Record<string, ReturnType<typeof uspeedoReceipt>[]>) =>
  pool.upstream.route('GET', RECEIPTS, {
    body: { RetCode: 0, Message: 'success', Data: Object.entries(sessions).map(([SessionNo, ReceiptSet]) => ({ SessionNo, ReceiptSet })) },
  });
const receiptGets = () => pool.upstream.calls.filter((call) => call.path.startsWith(RECEIPTS));
const asked = (call: { path: string }) => new URL(call.path, 'http://x').searchParams.getAll('id');
const auth = (key = API_KEY_OPS) => ({ connectionParams: bearer(key) });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends one batch of one target as `key`; uSpeedo answers these sessions. */
async function sendAs(server: TestServer, sessionNos: string[], key = API_KEY_OPS) {
  pool.upstream.reply({ body: { RetCode: 0, Message: 'success', SessionNo: sessionNos, FailedTargetPhones: [] } });
  const { body } = await server.gql(SEND_BATCH_SMS, batch([{ phone: '13800138000', templateParams: ['1'] }]), bearer(key));
  expect(body.data.sendBatchSms.__typename).toBe('SendBatchSmsSuccess');
  pool.upstream.reset();
}

const statusOf = (event: any) => event.smsDeliveryUpdates;

describe('smsDeliveryUpdates: the events', () => {
  it('answers the status at once, then each change, and completes when every known session is final', async () => {
    const server = await serve();
    await sendAs(server, ['s-1']);
    receiptsAre({ 's-1': [] });
    const sub = subscribe(server.url, { sessionNos: ['s-1', 's-not-mine'] }, auth());
    const [first] = await sub.eventsAt(1);
    expect(statusOf(first)).toEqual({
      __typename: 'SmsDeliveryStatus',
      requestUuid: 'fake-request-uuid-0001',
      sessions: [
        { sessionNo: 's-1', known: true, expectedReceipts: 1, final: false, receipts: [] },
        { sessionNo: 's-not-mine', known: false, expectedReceipts: null, final: false, receipts: [] },
      ],
    });
    receiptsAre({ 's-1': [uspeedoReceipt('(86)13800138000', 'Unknow')] });
    await sub.eventsAt(2);
    receiptsAre({ 's-1': [uspeedoReceipt('(86)13800138000')] });
    expect(await sub.ended).toBe('complete');
    expect(sub.events.map((event) => statusOf(event).sessions[0].receipts.map((r: any) => r.status))).toEqual([
      [],
      ['UNKNOWN'],
      ['DELIVERED'],
    ]);
    expect(statusOf(sub.events[2]).sessions[0]).toMatchObject({ final: true, expectedReceipts: 1 });
    // Only the caller's own session was ever asked of uSpeedo, one id a GET.
    expect(receiptGets().map(asked).flat()).toEqual(expect.arrayContaining(['s-1']));
    expect(receiptGets().every((call) => asked(call).join() === 's-1')).toBe(true);
    expect(receiptGets().every((call) => call.method === 'GET')).toBe(true);
    await sub.dispose();
  });

  it('completes after the first answer when no session is known, and never asks uSpeedo', async () => {
    const server = await serve();
    const sub = subscribe(server.url, { sessionNos: ['s-else'] }, auth());
    expect(await sub.ended).toBe('complete');
    expect(sub.events.map(statusOf)).toEqual([
      expect.objectContaining({ sessions: [{ sessionNo: 's-else', known: false, expectedReceipts: null, final: false, receipts: [] }] }),
    ]);
    expect(receiptGets()).toEqual([]);
  });

  it('answers the query’s INVALID_INPUT for bad ids, and completes', async () => {
    const server = await serve();
    const sub = subscribe(server.url, { sessionNos: [] }, auth());
    expect(await sub.ended).toBe('complete');
    expect(statusOf(sub.events[0])).toMatchObject({
      __typename: 'SmsQueryError',
      code: 'INVALID_INPUT',
      fieldErrors: [{ path: ['sessionNos'] }],
    });
  });
});

describe('smsDeliveryUpdates: one poll for everyone', () => {
  it('makes one GET a tick for fifty subscribers of one session, and tells each of them', async () => {
    const server = await serve({ SUBSCRIPTIONS_PER_CALLER: '50' });
    await sendAs(server, ['s-shared']);
    receiptsAre({ 's-shared': [] });
    const subs = Array.from({ length: 50 }, () => subscribe(server.url, { sessionNos: ['s-shared'] }, auth()));
    await Promise.all(subs.map((sub) => sub.eventsAt(1)));
    const before = receiptGets().length;
    // Nothing changes: polls at 1 s, then 2 s (backing off) — two ticks in 3.5 s, whoever listens.
    await sleep(3_500);
    const ticks = receiptGets().slice(before);
    expect(ticks.length).toBeGreaterThanOrEqual(1);
    expect(ticks.length).toBeLessThanOrEqual(3);
    expect(ticks.every((call) => asked(call).join() === 's-shared')).toBe(true);
    receiptsAre({ 's-shared': [uspeedoReceipt('(86)13800138000')] });
    const ends = await Promise.all(subs.map((sub) => sub.ended));
    expect(ends.every((end) => end === 'complete')).toBe(true);
    expect(subs.every((sub) => statusOf(sub.events.at(-1)).sessions[0].final)).toBe(true);
    // The change was seen by one GET, shared by all fifty.
    expect(receiptGets().length - before - ticks.length).toBeLessThanOrEqual(2);
    await Promise.all(subs.map((sub) => sub.dispose()));
  });

  it('asks every followed session in one GET, and stops asking a final one', async () => {
    const server = await serve();
    await sendAs(server, ['s-a']);
    await sendAs(server, ['s-b']);
    receiptsAre({ 's-a': [], 's-b': [] });
    const one = subscribe(server.url, { sessionNos: ['s-a'] }, auth());
    const two = subscribe(server.url, { sessionNos: ['s-b'] }, auth());
    await Promise.all([one.eventsAt(1), two.eventsAt(1)]);
    const before = receiptGets().length;
    receiptsAre({ 's-a': [uspeedoReceipt('(86)13800138000')], 's-b': [] });
    expect(await one.ended).toBe('complete');
    const both = receiptGets().slice(before);
    expect(both.map((call) => asked(call).sort().join())).toContain('s-a,s-b');
    const after = receiptGets().length;
    await sleep(2_200);
    expect(
      receiptGets()
        .slice(after)
        .every((call) => asked(call).join() === 's-b'),
    ).toBe(true);
    await two.dispose();
  });
});

describe('smsDeliveryUpdates: failures and limits', () => {
  it('tells subscribers only after DELIVERY_POLL_FAILURES failed polls in a row, stays open, and answers again once uSpeedo does', async () => {
    const server = await serve({ DELIVERY_POLL_FAILURES: '2', USPEEDO_TIMEOUT_MS: '500' });
    await sendAs(server, ['s-1']);
    receiptsAre({ 's-1': [] });
    const sub = subscribe(server.url, { sessionNos: ['s-1'] }, auth());
    await sub.eventsAt(1);
    pool.upstream.route('GET', RECEIPTS, { status: 500, body: { RetCode: 500, Message: 'down' } });
    const [, failed] = await sub.eventsAt(2);
    expect(statusOf(failed)).toMatchObject({ __typename: 'SmsQueryError', retryable: true });
    receiptsAre({ 's-1': [uspeedoReceipt('(86)13800138000')] });
    expect(await sub.ended).toBe('complete');
    expect(statusOf(sub.events.at(-1)).sessions[0]).toMatchObject({ final: true });
  });

  it('stays open when uSpeedo fails the first read: a retryable SmsQueryError, then the status at the next good poll', async () => {
    const server = await serve({ USPEEDO_TIMEOUT_MS: '500' });
    await sendAs(server, ['s-1']);
    pool.upstream.route('GET', RECEIPTS, { status: 503, body: { RetCode: 503, Message: 'down' } });
    const sub = subscribe(server.url, { sessionNos: ['s-1'] }, auth());
    const [failed] = await sub.eventsAt(1);
    expect(statusOf(failed)).toMatchObject({ __typename: 'SmsQueryError', retryable: true, retryAfterSeconds: 1 });
    expect(statusOf(failed).message).toMatch(/stays open/);
    // Nothing changed at uSpeedo meanwhile: the first good poll still answers, with the empty status.
    receiptsAre({ 's-1': [] });
    const [, status] = await sub.eventsAt(2);
    expect(statusOf(status)).toMatchObject({
      __typename: 'SmsDeliveryStatus',
      sessions: [{ sessionNo: 's-1', known: true, final: false }],
    });
    receiptsAre({ 's-1': [uspeedoReceipt('(86)13800138000')] });
    expect(await sub.ended).toBe('complete');
  });

  it('makes one first read for twenty subscriptions to one session opened together', async () => {
    const server = await serve({ SUBSCRIPTIONS_PER_CALLER: '50', DELIVERY_POLL_SECONDS: '30' });
    await sendAs(server, ['s-1']);
    pool.upstream.route('GET', RECEIPTS, {
      delayMs: 300,
      body: { RetCode: 0, Message: 'success', Data: [{ SessionNo: 's-1', ReceiptSet: [] }] },
    });
    const first = subscribe(server.url, { sessionNos: ['s-1'] }, auth());
    const subs = [first, ...Array.from({ length: 19 }, () => subscribe(server.url, { sessionNos: ['s-1'] }, { client: first.client }))];
    await Promise.all(subs.map((sub) => sub.eventsAt(1)));
    expect(receiptGets()).toHaveLength(1);
    await Promise.all(subs.map((sub) => sub.dispose()));
  });

  it('refuses the subscription past SUBSCRIPTIONS_PER_CALLER with RATE_LIMITED, per caller', async () => {
    const server = await serve({ SUBSCRIPTIONS_PER_CALLER: '2' });
    await sendAs(server, ['s-1']);
    receiptsAre({ 's-1': [] });
    // Three subscriptions on one socket: the third is refused as data, the socket stays.
    const first = subscribe(server.url, { sessionNos: ['s-1'] }, auth());
    const held = [first, subscribe(server.url, { sessionNos: ['s-1'] }, { client: first.client })];
    await Promise.all(held.map((sub) => sub.eventsAt(1)));
    const third = subscribe(server.url, { sessionNos: ['s-1'] }, { client: first.client });
    expect(await third.ended).toBe('complete');
    expect(statusOf(third.events[0])).toMatchObject({ __typename: 'SmsQueryError', code: 'RATE_LIMITED', retryable: true });
    // A caller holds no more sockets than it may hold subscriptions: the third socket is closed (4429).
    const second = new WebSocket(`${server.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    await new Promise((resolve) => second.on('open', resolve));
    second.send(JSON.stringify({ type: 'connection_init', payload: bearer(API_KEY_OPS) }));
    await new Promise((resolve) => second.once('message', resolve));
    const thirdSocket = subscribe(server.url, { sessionNos: ['s-x'] }, auth());
    expect(await thirdSocket.closed).toBe(4429);
    second.close();
    // Another caller has slots of its own.
    const other = subscribe(server.url, { sessionNos: ['s-1'] }, auth(API_KEY_WEB));
    expect(statusOf((await other.eventsAt(1))[0]).sessions[0].known).toBe(false);
    // A slot freed is a slot again.
    await held[0].dispose();
    await sleep(100);
    const again = subscribe(server.url, { sessionNos: ['s-1'] }, auth());
    expect(statusOf((await again.eventsAt(1))[0]).__typename).toBe('SmsDeliveryStatus');
    await Promise.all([other, again].map((sub) => sub.dispose()));
  });

  it('counts a subscription once against RATE_LIMIT_STATUS_PER_MINUTE, and not its polls', async () => {
    const server = await serve({ RATE_LIMIT_STATUS_PER_MINUTE: '1' });
    await sendAs(server, ['s-1']);
    receiptsAre({ 's-1': [] });
    const sub = subscribe(server.url, { sessionNos: ['s-1'] }, auth());
    await sub.eventsAt(1);
    // The first event's lookup, then a poll (about 1 s later; later on a loaded machine).
    for (let waited = 0; receiptGets().length < 2 && waited < 10_000; waited += 100) await sleep(100);
    expect(receiptGets().length).toBeGreaterThanOrEqual(2);
    expect(sub.events).toHaveLength(1);
    const next = subscribe(server.url, { sessionNos: ['s-1'] }, auth());
    expect(statusOf((await next.eventsAt(1))[0])).toMatchObject({ code: 'RATE_LIMITED' });
    await Promise.all([sub.dispose(), next.dispose()]);
  });
});

describe('smsDeliveryUpdates: the socket', () => {
  it('closes a socket without valid credentials with 4401, and one without a scope with 4403, running nothing', async () => {
    const server = await serve({ JWT_SECRET: JWT_TEST_SECRET });
    await sendAs(server, ['s-1']);
    const none = subscribe(server.url, { sessionNos: ['s-1'] });
    const wrong = subscribe(server.url, { sessionNos: ['s-1'] }, { connectionParams: { authorization: 'Bearer not-a-key' } });
    const noScope = subscribe(server.url, { sessionNos: ['s-1'] }, { connectionParams: bearer(await hsToken({ scope: 'profile' })) });
    expect(await Promise.all([none.closed, wrong.closed, noScope.closed])).toEqual([4401, 4401, 4403]);
    expect([...none.events, ...wrong.events, ...noScope.events]).toEqual([]);
    expect(receiptGets()).toEqual([]);
    expect(server.logs.text).not.toContain('not-a-key');
  });

  it("closes the socket with 4401 when the caller's token expires, ending its subscriptions", async () => {
    const server = await serve({ JWT_SECRET: JWT_TEST_SECRET });
    const token = await hsToken({ scope: 'sms:read', exp: 2 });
    const sub = subscribe(server.url, { sessionNos: ['s-x'] }, { connectionParams: bearer(token) });
    await sub.ended;
    // A socket that stays open (lazy: false would too): connection_init alone, then the token's end.
    const socket = new WebSocket(`${server.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    await new Promise((resolve) => socket.on('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: bearer(token) }));
    const started = Date.now();
    const code = await new Promise<number>((resolve) => socket.on('close', (c) => resolve(c)));
    expect(code).toBe(4401);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('takes the credentials from the upgrade’s Authorization header too, and a read-only token', async () => {
    const server = await serve({ JWT_SECRET: JWT_TEST_SECRET });
    receiptsAre({});
    const byHeader = subscribe(server.url, { sessionNos: ['s-x'] }, { headers: bearer(API_KEY_OPS) });
    const reader = subscribe(server.url, { sessionNos: ['s-x'] }, { connectionParams: bearer(await hsToken({ scope: 'sms:read' })) });
    expect(await Promise.all([byHeader.ended, reader.ended])).toEqual(['complete', 'complete']);
    expect(statusOf(byHeader.events[0]).__typename).toBe('SmsDeliveryStatus');
    expect(statusOf(reader.events[0]).__typename).toBe('SmsDeliveryStatus');
  });

  it("refuses the upgrade from an origin CORS refuses (no socket), and lets a local page's through", async () => {
    // On the simulator (development), pages on this machine may call, as over HTTP.
    const server = await serve({ USPEEDO_SIMULATOR: 'true' });
    const refused = await upgrade(server, { origin: 'https://evil.example' });
    expect(refused).toBe(403);
    expect(await upgrade(server, { origin: 'http://localhost:5173' })).toBe(101);
    expect(await upgrade(server, {})).toBe(101);
    expect(server.logs.text).toContain('CORS: refused browser origin https://evil.example');
    const hardened = await serve({ NODE_ENV: 'production', CORS_ORIGINS: 'https://app.example' });
    expect(await upgrade(hardened, { origin: 'http://localhost:5173' })).toBe(403);
    expect(await upgrade(hardened, { origin: 'https://app.example' })).toBe(101);
  });

  it('serves only subscriptions: a mutation or query over the socket is refused and sends nothing', async () => {
    const server = await serve();
    const mutation = subscribe(server.url, batch([{ phone: '13800138000', templateParams: ['1'] }]), { ...auth(), query: SEND_BATCH_SMS });
    const ended = (await mutation.ended) as { message: string }[];
    expect(ended[0].message).toMatch(/Only subscriptions/);
    expect(pool.upstream.calls).toEqual([]);
  });

  it('closes a socket that sends no connection_init within 3 s (4408), one that sends over 64 KB, and one that sends over 16 KB before it is authenticated (1009)', async () => {
    const server = await serve();
    const silent = new WebSocket(`${server.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    const started = Date.now();
    const code = await new Promise<number>((resolve) => silent.on('close', (c) => resolve(c)));
    expect(code).toBe(4408);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
    const big = new WebSocket(`${server.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    await new Promise((resolve) => big.on('open', resolve));
    big.send(JSON.stringify({ type: 'connection_init', payload: { authorization: 'x'.repeat(70_000) } }));
    expect(await new Promise<number>((resolve) => big.on('close', (c) => resolve(c)))).toBe(1009);
    // Before the caller is known, far less is read: a token fits in 16 KB.
    const early = new WebSocket(`${server.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    await new Promise((resolve) => early.on('open', resolve));
    early.send(JSON.stringify({ type: 'connection_init', payload: { authorization: 'x'.repeat(20_000) } }));
    expect(await new Promise<number>((resolve) => early.on('close', (c) => resolve(c)))).toBe(1009);
  });

  it('closes subscriptions with 1001 on shutdown, after the send in flight has answered', async () => {
    const server = await serve();
    await sendAs(server, ['s-1']);
    receiptsAre({ 's-1': [] });
    const sub = subscribe(server.url, { sessionNos: ['s-1'] }, auth());
    await sub.eventsAt(1);
    pool.upstream.reply({ delayMs: 500, body: { RetCode: 0, Message: 'success', SessionNo: ['s-2'], FailedTargetPhones: [] } });
    const inFlight = server.gql(SEND_BATCH_SMS, batch([{ phone: '13800138000', templateParams: ['1'] }]), bearer(API_KEY_OPS));
    await sleep(100);
    const closing = server.close();
    expect(await sub.closed).toBe(1001);
    expect((await inFlight).body.data.sendBatchSms.__typename).toBe('SendBatchSmsSuccess');
    await closing;
  });
});

/** The status an upgrade to /graphql gets with these headers: 101 when a socket is made. */
function upgrade(server: TestServer, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${server.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws', { headers });
    socket.on('open', () => {
      socket.close();
      resolve(101);
    });
    socket.on('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.on('error', reject);
  });
}

describe('smsDeliveryUpdates over HTTP', () => {
  it('is refused as a validation error that says where subscriptions are served, running nothing', async () => {
    const server = await serve();
    const { status, body } = await server.gql(
      'subscription { smsDeliveryUpdates(sessionNos: ["s-1"]) { __typename } }',
      {},
      bearer(API_KEY_OPS),
    );
    expect(status).toBe(400);
    expect(body.errors[0]).toMatchObject({
      message: expect.stringMatching(/WebSocket/),
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expect(pool.upstream.calls).toEqual([]);
  });
});

describe('smsDeliveryUpdates: operating it', () => {
  const metric = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);

  it('reports active subscriptions, followed sessions and polls in /metrics', async () => {
    const server = await serve();
    await sendAs(server, ['s-1']);
    receiptsAre({ 's-1': [] });
    const sub = subscribe(server.url, { sessionNos: ['s-1'] }, auth());
    await sub.eventsAt(1);
    await sleep(1_300);
    const during = (await server.fetch('/metrics')).text;
    expect(metric(during, 'sms_subscriptions_active')).toBe(1);
    expect(metric(during, 'sms_followed_sessions')).toBe(1);
    expect(metric(during, 'sms_delivery_polls_total\\{result="unchanged"\\}')).toBeGreaterThanOrEqual(1);
    receiptsAre({ 's-1': [uspeedoReceipt('(86)13800138000')] });
    await sub.ended;
    await sleep(50);
    const after = (await server.fetch('/metrics')).text;
    expect(metric(after, 'sms_subscriptions_active')).toBe(0);
    expect(metric(after, 'sms_followed_sessions')).toBe(0);
    expect(metric(after, 'sms_delivery_polls_total\\{result="changed"\\}')).toBe(1);
  });

  it('follows on another instance a session sent through this one (ownership from the shared store)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sms-follow-')), 'state.db');
    const sender = await serve({ STATE_DB_PATH: file });
    const other = await serve({ STATE_DB_PATH: file });
    await sendAs(sender, ['s-shared']);
    receiptsAre({ 's-shared': [uspeedoReceipt('(86)13800138000')] });
    const sub = subscribe(other.url, { sessionNos: ['s-shared'] }, auth());
    expect(await sub.ended).toBe('complete');
    expect(statusOf(sub.events[0]).sessions[0]).toMatchObject({ known: true, expectedReceipts: 1, final: true });
    const stranger = subscribe(other.url, { sessionNos: ['s-shared'] }, auth(API_KEY_WEB));
    expect(await stranger.ended).toBe('complete');
    expect(statusOf(stranger.events[0]).sessions[0]).toMatchObject({ known: false });
  });

  it('never writes a credential or a connection_init payload to its log', async () => {
    const server = await serve();
    const sub = subscribe(server.url, { sessionNos: ['s-x'] }, auth());
    await sub.ended;
    const refused = subscribe(server.url, { sessionNos: ['s-x'] }, { connectionParams: { authorization: 'Bearer wrong-secret-key' } });
    await refused.closed;
    expect(server.logs.text).not.toContain(API_KEY_OPS);
    expect(server.logs.text).not.toContain('wrong-secret-key');
    expect(server.logs.text).toContain('"ws":true');
  });
});

describe('smsDeliveryUpdates on the simulator', () => {
  it('shows the empty status, then the receipts SIMULATOR_RECEIPT_DELAY_SECONDS after the send, then completes', async () => {
    const server = await serve({ USPEEDO_SIMULATOR: 'true', SIMULATOR_RECEIPT_DELAY_SECONDS: '2' });
    const targets = [
      { phone: '13800138000', templateParams: ['1'] },
      { phone: '13800138009', templateParams: ['2'] },
    ];
    const { body } = await server.gql(SEND_BATCH_SMS, batch(targets), bearer(API_KEY_OPS));
    const [sessionNo] = body.data.sendBatchSms.sessionNos as string[];
    const sub = subscribe(server.url, { sessionNos: [sessionNo] }, auth());
    expect(await sub.ended).toBe('complete');
    const sessions = sub.events.map((event) => statusOf(event).sessions[0]);
    expect(sessions[0]).toMatchObject({ known: true, expectedReceipts: 2, final: false, receipts: [] });
    expect(sessions.at(-1)).toMatchObject({ final: true, receipts: [{ status: 'DELIVERED' }, { status: 'DELIVERED' }] });
    expect(pool.upstream.calls).toEqual([]);
  });
});
