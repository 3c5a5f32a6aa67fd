import { createSimulatorFetch, SIMULATOR_BASE_URL, SIMULATOR_CREDENTIALS } from '../../src/uspeedo/simulator';
import { SmsMetrics } from '../../src/sms/shared/sms.metrics';
import { UpstreamReads } from '../../src/uspeedo/upstream-reads';
import { UspeedoApi } from '../../src/uspeedo/uspeedo.api';
import { UspeedoClient } from '../../src/uspeedo/uspeedo.client';
import { RetCode } from '../../src/uspeedo/uspeedo.types';
import { templatesRead } from '../../src/uspeedo/templates.read';
import type { UspeedoRead } from '../../src/uspeedo/uspeedo-read';
import pino from 'pino';
import { FakeUspeedo } from '../support/fake-uspeedo';
import { EXPECTED_AUTHORIZATION, TEST_KEY_ID, TEST_SECRET } from '../support/server';

// The one exchange every uSpeedo call goes through, against the fake over a real socket.
describe('UspeedoClient.exchange', () => {
  let fake: FakeUspeedo;
  let client: UspeedoClient;
  beforeAll(async () => {
    fake = await FakeUspeedo.start();
    client = new UspeedoClient({
      baseUrl: fake.url,
      timeoutMs: 1000,
      credentials: { accessKeyId: TEST_KEY_ID, accessKeySecret: TEST_SECRET },
    });
  });
  afterAll(async () => {
    await client.close();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  it('sends a GET with repeated query parameters, Basic auth and no body, once, and answers by route', async () => {
    fake.reply({ status: 500, body: { RetCode: 215400 } });
    fake.route('GET', '/api/v1/usms/USMSTemplate', { body: { RetCode: 0, Data: [] } });
    const exchange = await client.exchange({ method: 'GET', path: 'api/v1/usms/USMSTemplate', query: { id: ['T1', 'T 2'] } });
    expect(exchange).toMatchObject({
      kind: 'answered',
      status: 200,
      body: '{"RetCode":0,"Data":[]}',
      requestUuid: 'fake-request-uuid-0001',
    });
    const call = fake.onlyCall();
    expect(call.method).toBe('GET');
    expect(call.path).toBe('/api/v1/usms/USMSTemplate?id=T1&id=T+2');
    expect(call.headers.authorization).toBe(EXPECTED_AUTHORIZATION);
    expect(call.headers['content-type']).toBeUndefined();
    expect(call.body.length).toBe(0);
  });

  it("keeps UspeedoApi's sendBatch a single JSON POST through the same exchange", async () => {
    const reads = new UpstreamReads(client, 1000, 1, new SmsMetrics());
    const answer = await new UspeedoApi(client, reads).sendBatch('{"TaskContent":[]}');
    reads.close();
    expect(answer).toMatchObject({ kind: 'accepted', sessionNos: ['session_no_1'], failedTargets: [] });
    const call = fake.onlyCall();
    expect([call.method, call.path, call.headers['content-type'], call.body.toString()]).toEqual([
      'POST',
      '/api/v1/usms/SendBatchUSMSMessage',
      'application/json',
      '{"TaskContent":[]}',
    ]);
  });

  it('classifies a GET that times out like any call: no retry here, the caller decides', async () => {
    fake.reply({ delayMs: 1500 });
    expect(await client.exchange({ method: 'GET', path: 'api/v1/usms/USMSSendReceipt', query: { id: 'S1' } })).toMatchObject({
      kind: 'timeout',
    });
    expect(fake.calls).toHaveLength(1);
  });
});

describe('the simulator', () => {
  it('answers each declared read it is given, as UspeedoApi.read makes it, and no other', async () => {
    const balance: UspeedoRead<{ amount: number }> = {
      operation: 'balance',
      path: 'api/v1/account/Balance',
      read: (json) =>
        typeof (json.Data as { Amount?: unknown })?.Amount === 'number' ? { amount: (json.Data as { Amount: number }).Amount } : undefined,
      simulate: (query) => ({ RetCode: 0, Data: { Amount: Number(query.get('scale') ?? 1) * 100 } }),
    };
    const client = new UspeedoClient({
      baseUrl: SIMULATOR_BASE_URL,
      timeoutMs: 1000,
      credentials: SIMULATOR_CREDENTIALS,
      fetch: createSimulatorFetch({ reads: [balance, templatesRead] }),
    });
    const reads = new UpstreamReads(client, 1000, 1, new SmsMetrics());
    const api = new UspeedoApi(client, reads);
    const log = pino({ level: 'silent' });
    expect(await api.read(balance, { scale: '3' }, log)).toMatchObject({ ok: true, records: { amount: 300 } });
    const templates = await api.templates(['template_id_1'], log);
    expect(templates.ok && [...templates.records.keys()]).toEqual(['template_id_1']);
    expect(await api.templates(['template_id_1', 'nope'], log)).toMatchObject({
      ok: false,
      failure: { retCode: RetCode.TEMPLATE_NOT_FOUND },
    });
    reads.close();
    const bare = new UspeedoClient({
      baseUrl: SIMULATOR_BASE_URL,
      timeoutMs: 1000,
      credentials: SIMULATOR_CREDENTIALS,
      fetch: createSimulatorFetch(),
    });
    expect(await bare.exchange({ method: 'GET', path: balance.path })).toMatchObject({ kind: 'answered', status: 404 });
  });

  it('routes by method and path: a path it does not serve is HTTP 404', async () => {
    const client = new UspeedoClient({
      baseUrl: SIMULATOR_BASE_URL,
      timeoutMs: 1000,
      credentials: SIMULATOR_CREDENTIALS,
      fetch: createSimulatorFetch(),
    });
    expect(await client.exchange({ method: 'GET', path: 'api/v1/usms/SendBatchUSMSMessage' })).toMatchObject({
      kind: 'answered',
      status: 404,
    });
    expect(await client.exchange({ method: 'POST', path: 'api/v1/usms/Nothing', body: '{}' })).toMatchObject({
      kind: 'answered',
      status: 404,
    });
  });
});
