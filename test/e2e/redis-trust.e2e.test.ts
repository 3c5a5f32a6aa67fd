import Redis from 'ioredis';
import { FakeUspeedo } from '../support/fake-uspeedo';
import { freePort } from '../support/ports';
import { RedisServer, redisAvailable, REDIS_MISSING_MESSAGE } from '../support/redis-server';
import { batch, SEND_BATCH_SMS, startServer, type TestServer } from '../support/server';
import { API_KEY_OPS, API_KEYS, bearer } from '../support/tokens';

// Issue 23, the single-Redis part: persistence checked, not assumed; and "a late script contradicts
// the answer": Redis paused past the command timeout, so the caller hears SERVICE_UNAVAILABLE, nothing
// sent; the claim and charge that queued meanwhile must not run when Redis resumes.

const available = redisAvailable();
if (!available) it.skip(REDIS_MISSING_MESSAGE, () => {});

(available ? describe : describe.skip)('persistence, checked at start', () => {
  const servers: TestServer[] = [];
  const redises: RedisServer[] = [];
  let upstream: FakeUspeedo;
  beforeAll(async () => {
    upstream = await FakeUspeedo.start();
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    await Promise.all(redises.splice(0).map((r) => r.stop()));
    upstream.reset();
  });
  afterAll(() => upstream.close());

  const redisServer = async (...args: Parameters<typeof RedisServer.start>) => {
    const redis = await RedisServer.start(...args);
    redises.push(redis);
    return redis;
  };
  const serve = async (env: Record<string, string>) => {
    const server = await startServer({ USPEEDO_BASE_URL: upstream.url, API_KEYS, ...env });
    servers.push(server);
    return server;
  };

  it('refuses to start a hardened server on a Redis without AOF, naming the fixes', async () => {
    const redis = await redisServer(undefined, { volatile: true });
    await expect(serve({ REDIS_URL: redis.url })).rejects.toThrow(
      /keeps no append-only file \(appendonly no\)[\s\S]*appendonly yes[\s\S]*REDIS_ALLOW_VOLATILE=true/,
    );
  });

  it('starts with REDIS_ALLOW_VOLATILE=true, or outside the hardened posture, and warns', async () => {
    const redis = await redisServer(undefined, { volatile: true });
    const allowed = await serve({ REDIS_URL: redis.url, REDIS_ALLOW_VOLATILE: 'true' });
    expect(allowed.logs.text).toContain('keeps no append-only file');
    const simulator = await serve({ REDIS_URL: redis.url, USPEEDO_SIMULATOR: 'true' });
    expect(simulator.logs.text).toContain('keeps no append-only file');
  });

  it('notices AOF switched off at runtime (CONFIG SET) within 10 s: not ready, with the reason, sends refused; and its return', async () => {
    const redis = await redisServer();
    const server = await serve({ REDIS_URL: redis.url });
    expect((await server.fetch('/readyz')).status).toBe(200);
    const admin = new Redis(redis.url);
    try {
      await admin.config('SET', 'appendonly', 'no');
      const deadline = Date.now() + 15_000;
      let ready = await server.fetch('/readyz');
      while (ready.status === 200 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        ready = await server.fetch('/readyz');
      }
      expect(ready.status).toBe(503);
      expect(JSON.parse(ready.text).reason).toMatch(/append-only file/);
      const input = { ...batch([{ phone: '13900130019' }]).input, idempotencyKey: 'KEY-RUNTIME-AOF' };
      expect((await server.gql(SEND_BATCH_SMS, { input }, bearer(API_KEY_OPS))).body.data.sendBatchSms).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
      });
      expect(upstream.calls).toHaveLength(0);
      await admin.config('SET', 'appendonly', 'yes');
      const back = Date.now() + 15_000;
      while ((await server.fetch('/readyz')).status !== 200 && Date.now() < back) await new Promise((resolve) => setTimeout(resolve, 250));
      expect((await server.fetch('/readyz')).status).toBe(200);
    } finally {
      admin.disconnect();
    }
  }, 40_000);

  it('refuses to start when REDIS_MIN_REPLICAS_ACKS asks for more replicas than are connected, unless told to wait; unready meanwhile', async () => {
    const redis = await redisServer();
    await expect(serve({ REDIS_URL: redis.url, REDIS_MIN_REPLICAS_ACKS: '1' })).rejects.toThrow(
      /REDIS_MIN_REPLICAS_ACKS is 1 but the Redis primary has 0 replicas connected[\s\S]*REDIS_WAIT_FOR_REPLICAS=true/,
    );
    const waiting = await serve({ REDIS_URL: redis.url, REDIS_MIN_REPLICAS_ACKS: '1', REDIS_WAIT_FOR_REPLICAS: 'true' });
    const unready = await waiting.fetch('/readyz');
    expect(unready.status).toBe(503);
    expect(JSON.parse(unready.text).reason).toBe(
      'fewer Redis replicas connected (0) than REDIS_MIN_REPLICAS_ACKS (1): sends are refused until one is',
    );
    expect((await waiting.fetch('/metrics')).text).toMatch(/^sms_state_store_replicas 0$/m);
    // A replica connects: ready (each answer is reused for a second at most).
    await redisServer(undefined, { args: ['--replicaof', '127.0.0.1', String(redis.port)] });
    const deadline = Date.now() + 10_000;
    while ((await waiting.fetch('/readyz')).status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect((await waiting.fetch('/readyz')).status).toBe(200);
    expect((await waiting.fetch('/metrics')).text).toMatch(/^sms_state_store_replicas 1$/m);
  }, 30_000);

  it('checks a Redis that was down at start when it comes: without AOF, a hardened server refuses sends and is not ready', async () => {
    const port = await freePort();
    const server = await serve({ REDIS_URL: `redis://127.0.0.1:${port}` });
    expect(server.logs.text).toContain('persistence is checked when it is');
    await redisServer(port, { volatile: true });
    const input = { ...batch([{ phone: '13900130009' }]).input, idempotencyKey: 'KEY-LATE-AOF' };
    // The client reconnects within 2 s, and checks the new Redis as it connects.
    const deadline = Date.now() + 10_000;
    while (!server.logs.text.includes('keeps no append-only file') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const answer = (await server.gql(SEND_BATCH_SMS, { input }, bearer(API_KEY_OPS))).body.data.sendBatchSms;
    expect(answer).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
    expect((await server.fetch('/readyz')).status).toBe(503);
    expect(upstream.calls).toHaveLength(0);
  }, 20_000);

  it('keeps an idempotency key across a Redis restart when AOF is on: the retry is a replay, not a second send', async () => {
    const first = await redisServer();
    const server = await serve({ REDIS_URL: first.url });
    expect(server.logs.text).toContain('Redis keeps an append-only file');
    const input = { ...batch([{ phone: '13900130001' }]).input, idempotencyKey: 'KEY-RR-1' };
    const sent = (await server.gql(SEND_BATCH_SMS, { input }, bearer(API_KEY_OPS))).body.data.sendBatchSms;
    expect(sent.__typename).toBe('SendBatchSmsSuccess');
    // appendfsync everysec: what the last second wrote may be lost on a crash (the README says so).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await first.stop();
    redises.push(await RedisServer.start(first.port, { dir: first.dir }));
    let retried;
    for (let i = 0; i < 40; i++) {
      retried = (await server.gql(SEND_BATCH_SMS, { input }, bearer(API_KEY_OPS))).body.data.sendBatchSms;
      if (retried.code !== 'SERVICE_UNAVAILABLE') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(retried).toEqual(sent);
    expect(upstream.calls).toHaveLength(1);
  }, 30_000);
});

(available ? describe : describe.skip)('commands that reach a paused Redis late', () => {
  let redis: RedisServer;
  let upstream: FakeUspeedo;
  let server: TestServer;

  beforeAll(async () => {
    redis = await RedisServer.start();
    upstream = await FakeUspeedo.start();
  });
  afterAll(async () => {
    await server?.close();
    await upstream.close();
    await redis.stop();
  });

  const send = async (idempotencyKey?: string) => {
    const input = { ...batch([{ phone: '13900130000' }]).input, idempotencyKey };
    return (await server.gql(SEND_BATCH_SMS, { input }, bearer(API_KEY_OPS))).body.data.sendBatchSms;
  };

  it('do nothing: the key sends once Redis is back, and the refused sends charged nothing', async () => {
    server = await startServer({ USPEEDO_BASE_URL: upstream.url, API_KEYS, REDIS_URL: redis.url, RATE_LIMIT_PHONE_PER_HOUR: '1' });
    expect((await server.fetch('/readyz')).status).toBe(200);
    redis.pause();
    let refused;
    try {
      const started = performance.now();
      refused = await Promise.all([send('KEY-LATE-1'), send(), send()]);
      expect(performance.now() - started).toBeGreaterThan(1_500);
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      redis.resume();
    }
    for (const answer of refused) expect(answer).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
    expect(upstream.calls).toHaveLength(0);
    // Let the queued scripts run (late, so doing nothing), then retry the key: it sends, once.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const retried = await send('KEY-LATE-1');
    expect(retried.__typename).toBe('SendBatchSmsSuccess');
    expect(upstream.calls).toHaveLength(1);
    // The number's hourly limit of 1 is spent by that send only, not by the refused ones.
    expect(await send('KEY-LATE-1')).toEqual(retried);
    expect((await send()).code).toBe('RATE_LIMITED');
    expect(upstream.calls).toHaveLength(1);
  }, 30_000);
});
