import Redis from 'ioredis';
import { closedPortUrl, FakeUspeedo } from '../support/fake-uspeedo';
import { RedisServer, redisAvailable, REDIS_MISSING_MESSAGE } from '../support/redis-server';
import { batch, SEND_BATCH_SMS, startServer, type TestServer } from '../support/server';
import { API_KEY_OPS, API_KEYS, bearer } from '../support/tokens';

const available = redisAvailable();
if (!available) it.skip(REDIS_MISSING_MESSAGE, () => {});

(available ? describe : describe.skip)('state on a shared Redis', () => {
  let redis: RedisServer;
  let upstream: FakeUspeedo;
  const servers: TestServer[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
    upstream = await FakeUspeedo.start();
  });
  afterEach(async () => {
    upstream.reset();
    await Promise.all(servers.splice(0).map((s) => s.close()));
    const client = new Redis(redis.url);
    await client.flushall();
    client.disconnect();
  });
  afterAll(async () => {
    await upstream.close();
    await redis.stop();
  });

  async function serve(env: Record<string, string> = {}, base = upstream.url): Promise<TestServer> {
    const server = await startServer({ USPEEDO_BASE_URL: base, API_KEYS, REDIS_URL: redis.url, ...env });
    servers.push(server);
    return server;
  }

  const phones = (count: number, from = 0) =>
    Array.from({ length: count }, (_, i) => ({ phone: `1390013${String(from + i).padStart(4, '0')}` }));

  async function send(server: TestServer, variables: Record<string, unknown>) {
    const { status, body } = await server.gql(SEND_BATCH_SMS, variables, bearer(API_KEY_OPS));
    expect(status).toBe(200);
    return body.data.sendBatchSms;
  }

  it('two instances enforce one caller quota and one per-number limit', async () => {
    const env = { RATE_LIMIT_CALLER_PER_MINUTE: '3', RATE_LIMIT_PHONE_PER_HOUR: '1' };
    const [a, b] = [await serve(env), await serve(env)];
    expect((await send(a, batch(phones(2)))).__typename).toBe('SendBatchSmsSuccess');
    const repeat = await send(b, batch(phones(1, 1)));
    expect(repeat).toMatchObject({ code: 'RATE_LIMITED', fieldErrors: [{ path: ['taskContent', '0', 'target', '0', 'phone'] }] });
    expect((await send(b, batch(phones(1, 2)))).__typename).toBe('SendBatchSmsSuccess');
    expect((await send(a, batch(phones(1, 3)))).message).toMatch(/3 recipients per minute/);
    expect(upstream.calls).toHaveLength(2);
  });

  it('20 concurrent sends with one key across two instances reach uSpeedo exactly once', async () => {
    const [a, b] = [await serve(), await serve()];
    upstream.reply({ delayMs: 200 });
    const variables = { input: { ...batch(phones(3)).input, idempotencyKey: 'campaign-7' } };
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => send(i % 2 ? a : b, variables)));
    expect(upstream.calls).toHaveLength(1);
    const successes = results.filter((r) => r.__typename === 'SendBatchSmsSuccess');
    const waiting = results.filter((r) => r.code === 'IDEMPOTENCY_IN_PROGRESS');
    expect(successes.length).toBeGreaterThanOrEqual(1);
    expect(successes.length + waiting.length).toBe(20);
    expect(await send(a, variables)).toEqual(successes[0]);
    expect(await send(b, variables)).toEqual(successes[0]);
    expect(upstream.calls).toHaveLength(1);
  });

  it('gives recipients and keys back when uSpeedo provably never got the batch', async () => {
    const env = { RATE_LIMIT_CALLER_PER_MINUTE: '2' };
    const down = await serve(env, await closedPortUrl());
    const up = await serve(env);
    const variables = { input: { ...batch(phones(2)).input, idempotencyKey: 'k-1' } };
    expect(await send(down, variables)).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', retryable: true });
    expect((await send(up, variables)).__typename).toBe('SendBatchSmsSuccess');
    expect(upstream.calls).toHaveLength(1);
  });

  it('expires what it writes: counters at the end of their window, records after the TTL', async () => {
    const server = await serve({ RATE_LIMIT_CALLER_PER_MINUTE: '5', RATE_LIMIT_PHONE_PER_HOUR: '5', IDEMPOTENCY_TTL_SECONDS: '600' });
    await send(server, { input: { ...batch(phones(2)).input, idempotencyKey: 'k-2' } });
    const client = new Redis(redis.url);
    try {
      const keys = await client.keys('uspeedo-sms:*');
      // The layout the README documents: a Cluster needs a batch's counters in one slot ({limits}),
      // spreads idempotency records over 256 tags, and keeps a caller's sessions in one.
      expect(keys.sort()).toEqual([
        expect.stringMatching(/^uspeedo-sms:idem:\{i[0-9a-f]{2}\}:11:api-key:ops:k-2$/),
        // The send's session, this caller's for smsDeliveryStatus until DELIVERY_STATUS_RETENTION_SECONDS.
        'uspeedo-sms:sess:{11:api-key:ops}:session_no_1',
        expect.stringMatching(/^uspeedo-sms:\{limits\}:rl:caller-minute:api-key:ops:\d+$/),
        // Per-number counts live in one hash per window (both windows are counted whichever limit is on).
        expect.stringMatching(/^uspeedo-sms:\{limits\}:rl:phone-day:\d+$/),
        expect.stringMatching(/^uspeedo-sms:\{limits\}:rl:phone-hour:\d+$/),
      ]);
      const hour = keys.find((k) => k.includes('phone-hour'))!;
      expect(await client.hgetall(hour)).toEqual({ '8613900130000': '1', '8613900130001': '1' });
      const maxTtl = (key: string) =>
        key.includes(':sess:')
          ? 604_800_000
          : key.includes(':idem:')
            ? 600_000
            : key.includes('phone-day')
              ? 86_400_000
              : key.includes('phone-hour')
                ? 3_600_000
                : 60_000;
      for (const key of keys) {
        const ttl = await client.pttl(key);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(maxTtl(key));
      }
    } finally {
      client.disconnect();
    }
  });

  it('fails closed when Redis stops: SERVICE_UNAVAILABLE, nothing sent; and recovers when it is back', async () => {
    const server = await serve({ RATE_LIMIT_CALLER_PER_MINUTE: '100' });
    expect((await send(server, batch(phones(1)))).__typename).toBe('SendBatchSmsSuccess');
    await redis.stop();
    try {
      for (const variables of [batch(phones(1, 1)), { input: { ...batch(phones(1, 2)).input, idempotencyKey: 'k-3' } }]) {
        expect(await send(server, variables)).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
      }
      expect(upstream.calls).toHaveLength(1);
      expect(server.logs.text).toContain('state store unavailable');
    } finally {
      redis = await RedisServer.start(redis.port);
    }
    const deadline = Date.now() + 10_000;
    let result;
    do {
      await new Promise((resolve) => setTimeout(resolve, 200));
      result = await send(server, batch(phones(1, 3)));
    } while (result.code === 'SERVICE_UNAVAILABLE' && Date.now() < deadline);
    expect(result.__typename).toBe('SendBatchSmsSuccess');
  }, 30_000);

  it('starts without Redis and answers SERVICE_UNAVAILABLE until it can reach it', async () => {
    const server = await serve({
      REDIS_URL: `redis://127.0.0.1:${(await closedPortUrl()).split(':').pop()}`,
      RATE_LIMIT_CALLER_PER_MINUTE: '100',
    });
    expect(await send(server, batch(phones(1)))).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(upstream.calls).toHaveLength(0);
  }, 20_000);
});
