import { createUndiciFetch } from '../../src/uspeedo/undici-fetch';
import { FakeUspeedo } from '../support/fake-uspeedo';

// The transport under ky, against a real HTTP server: what goes out, and what comes back.
describe('createUndiciFetch', () => {
  let fake: FakeUspeedo;
  const fetch = createUndiciFetch();
  beforeAll(async () => {
    fake = await FakeUspeedo.start();
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  it('sends the method, headers and body byte for byte, once', async () => {
    const body = JSON.stringify({
      TaskContent: [{ TemplateId: 't', SenderId: 'S', Target: [{ Phone: '13800138000', TemplateParams: ['中文 🙂'] }] }],
    });
    const response = await fetch(
      new Request(`${fake.url}/api/v1/usms/SendBatchUSMSMessage`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', authorization: 'Basic abc' },
      }),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ RetCode: 0 });
    const call = fake.onlyCall();
    expect(call.method).toBe('POST');
    expect(call.path).toBe('/api/v1/usms/SendBatchUSMSMessage');
    expect(call.body.equals(Buffer.from(body))).toBe(true);
    expect(call.headers['content-type']).toBe('application/json');
    expect(call.headers.authorization).toBe('Basic abc');
  });

  it('hands back the status and the headers, and follows no redirect', async () => {
    fake.reply({ status: 302, body: 'moved', headers: { location: `${fake.url}/elsewhere`, 'x-speedo-request-uuid': 'u-1' } });
    const response = await fetch(new Request(fake.url, { method: 'POST', body: '{}' }));
    expect(response.status).toBe(302);
    expect(response.headers.get('x-speedo-request-uuid')).toBe('u-1');
    expect(await response.text()).toBe('moved');
    expect(fake.calls).toHaveLength(1);
  });

  it('gives a null-body status no body, and rejects a status a Response cannot hold', async () => {
    fake.reply({ status: 204, body: '' });
    const empty = await fetch(new Request(fake.url, { method: 'POST', body: '{}' }));
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
    fake.reply({ status: 600, body: '{}' });
    await expect(fetch(new Request(fake.url, { method: 'POST', body: '{}' }))).rejects.toMatchObject({ code: 'UND_ERR_INVALID_STATUS' });
  });

  it('keeps undici error codes: a refused connection is ECONNREFUSED', async () => {
    const closed = await FakeUspeedo.start();
    const url = closed.url;
    await closed.close();
    await expect(fetch(new Request(url, { method: 'POST', body: '{}' }))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('stops at the signal', async () => {
    fake.reply({ delayMs: 2_000 });
    const started = Date.now();
    await expect(fetch(new Request(fake.url, { method: 'POST', body: '{}', signal: AbortSignal.timeout(100) }))).rejects.toBeDefined();
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});
