import type { ChildProcess } from 'node:child_process';
import { FakeUspeedo } from '../support/fake-uspeedo';
import { start, until } from '../support/main-process';
import { RedisClusterSet, RedisSentinelSet, topologiesAvailable } from '../support/redis-topologies';
import { batch, SEND_BATCH_SMS, startServer, TEST_KEY_ID, TEST_SECRET, type TestServer } from '../support/server';
import { API_KEY_OPS, API_KEYS, bearer } from '../support/tokens';

const available = topologiesAvailable();
if (!available) it.skip('Redis Sentinel and Cluster tests need redis-sentinel and redis-cli', () => {});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const phones = (count: number, from = 0) =>
  Array.from({ length: count }, (_, i) => ({ phone: `1390014${String(from + i).padStart(4, '0')}` }));
const withKey = (idempotencyKey: string, targets = phones(1)) => ({ input: { ...batch(targets).input, idempotencyKey } });

// Real redis-server and redis-sentinel processes on loopback; a primary is SIGKILLed mid-send.
(available ? describe.each : describe.skip.each)([
  ['Sentinel', () => RedisSentinelSet.start()],
  ['Cluster', () => RedisClusterSet.start()],
] as const)('the guard on Redis %s', (_name, startSet) => {
  let set: RedisSentinelSet | RedisClusterSet;
  let upstream: FakeUspeedo;
  const servers: TestServer[] = [];
  const processes: ChildProcess[] = [];

  beforeAll(async () => {
    [set, upstream] = await Promise.all([startSet(), FakeUspeedo.start()]);
  }, 60_000);
  afterEach(async () => {
    upstream.reset();
    await Promise.all(servers.splice(0).map((s) => s.close()));
    for (const child of processes.splice(0)) child.kill('SIGKILL');
  });
  afterAll(async () => {
    await upstream.close();
    await set.stop();
  });

  async function serve(env: Record<string, string> = {}): Promise<TestServer> {
    const server = await startServer({ USPEEDO_BASE_URL: upstream.url, API_KEYS, ...set.env, ...env });
    servers.push(server);
    return server;
  }

  async function send(server: TestServer, variables: Record<string, unknown>) {
    const { status, body } = await server.gql(SEND_BATCH_SMS, variables, bearer(API_KEY_OPS));
    expect(status).toBe(200);
    return body.data.sendBatchSms;
  }

  async function metric(server: TestServer, name: string): Promise<number> {
    const { text } = await server.fetch('/metrics');
    const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
    return line ? Number(line.split(' ').pop()) : 0;
  }

  // Two real server processes (src/main.ts, as npm start runs it), each with its own connections.
  async function serveProcess(env: Record<string, string>): Promise<{ send: (variables: Record<string, unknown>) => Promise<any> }> {
    const run = start({
      USPEEDO_BASE_URL: upstream.url,
      USPEEDO_ACCESS_KEY_ID: TEST_KEY_ID,
      USPEEDO_ACCESS_KEY_SECRET: TEST_SECRET,
      API_KEYS,
      ...set.env,
      ...env,
    });
    processes.push(run.child);
    await until(() => /Server listening at http:\/\/127\.0\.0\.1:\d+/.test(run.output()) || run.child.exitCode !== null, 30_000);
    const port = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(run.output())?.[1];
    if (!port) throw new Error(`the server did not start:\n${run.output()}`);
    return {
      send: async (variables) => {
        const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...bearer(API_KEY_OPS) },
          body: JSON.stringify({ query: SEND_BATCH_SMS, variables }),
        });
        expect(response.status).toBe(200);
        return (await response.json()).data.sendBatchSms;
      },
    };
  }

  it('two server processes racing one key and one number: one upstream call, limits exact', async () => {
    const env = { RATE_LIMIT_PHONE_PER_HOUR: '3' };
    const [a, b] = await Promise.all([serveProcess(env), serveProcess(env)]);
    upstream.reply({ delayMs: 200 });
    const variables = withKey('race-1', phones(1, 100));
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).send(variables)));
    expect(upstream.calls).toHaveLength(1);
    expect(results.filter((r) => r.__typename === 'SendBatchSmsSuccess').length).toBeGreaterThanOrEqual(1);
    expect(results.every((r) => r.__typename === 'SendBatchSmsSuccess' || r.code === 'IDEMPOTENCY_IN_PROGRESS')).toBe(true);
    // The same number under 12 other keys, from both processes at once: 2 more fit in its hour.
    const others = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).send(withKey(`race-n-${i}`, phones(1, 100)))));
    expect(others.map((r) => r.code ?? r.__typename).sort()).toEqual(
      [...Array(2).fill('SendBatchSmsSuccess'), ...Array(10).fill('RATE_LIMITED')].sort(),
    );
    expect(upstream.calls).toHaveLength(3);
  }, 60_000);

  it('a primary killed mid-send: the retry never sends again, no primary fails fast, readiness tells the truth, and it recovers by itself', async () => {
    const server = await serve({ USPEEDO_TIMEOUT_MS: '20000' });
    upstream.reply({ delayMs: 12_000 });
    const first = send(server, withKey('KEY-FO-1'));
    while (upstream.calls.length === 0) await sleep(20);
    const primary = await set.primaryHolding('uspeedo-sms:idem:*:KEY-FO-1');
    const killedAt = Date.now();
    await primary.stop();

    // The key's primary is gone: its retry is refused quickly, nothing sent, and the server is not ready.
    const started = Date.now();
    expect(await send(server, withKey('KEY-FO-1'))).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
    const refusedMs = Date.now() - started;
    expect(refusedMs).toBeLessThan(5_000);
    expect((await server.fetch('/readyz')).status).toBe(503);

    const promotionMs = await set.promotedFrom(primary);
    const logs = () =>
      server.logs.text
        .split('\n')
        .filter((l) => /redis/i.test(l))
        .slice(-8)
        .join('\n');
    // A primary again, but no replica left for a send to wait for: still not ready, and it says why.
    const reasonOf = async () => JSON.parse((await server.fetch('/readyz')).text).reason as string | undefined;
    while (!/^fewer Redis replicas connected \(0\)/.test((await reasonOf()) ?? '')) {
      if (Date.now() - killedAt > 20_000) throw new Error(`no primary again:\n${logs()}`);
      await sleep(50);
    }
    const primaryAfterMs = Date.now() - killedAt;
    // The claim was on the replica before uSpeedo was called: the promoted one still holds it.
    expect(await send(server, withKey('KEY-FO-1'))).toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
    expect(upstream.calls).toHaveLength(1);

    expect((await first).__typename).toBe('SendBatchSmsSuccess');
    const retried = await send(server, withKey('KEY-FO-1'));
    expect(['SendBatchSmsSuccess', 'SendBatchSmsError']).toContain(retried.__typename);
    if (retried.__typename === 'SendBatchSmsError') expect(retried.code).toMatch(/IDEMPOTENCY_IN_PROGRESS|OUTCOME_UNKNOWN/);
    expect(upstream.calls).toHaveLength(1);
    expect(await metric(server, 'sms_state_store_failovers_total')).toBeGreaterThanOrEqual(1);

    // With the old primary back as a replica, ready again, and a new send goes through, without a restart of this server.
    const rejoinedAt = Date.now();
    await set.rejoin(primary);
    while ((await server.fetch('/readyz')).status !== 200) {
      if (Date.now() - rejoinedAt > 20_000) throw new Error(`never ready again:\n${logs()}`);
      await sleep(50);
    }
    const readyAfterMs = Date.now() - rejoinedAt;
    upstream.reply({});
    // A replica just synced may take a moment to acknowledge WAIT: the refusal is retryable, and a
    // client retries it with the same key, as the docs say (nothing was sent, the key was freed).
    let after = await send(server, withKey('KEY-FO-3', phones(1, 3)));
    for (let retry = 0; retry < 10 && after.code === 'SERVICE_UNAVAILABLE' && after.retryable; retry++) {
      await sleep(300);
      after = await send(server, withKey('KEY-FO-3', phones(1, 3)));
    }
    if (after.__typename !== 'SendBatchSmsSuccess') console.log(after, server.logs.text.split('\n').slice(-6).join('\n'));
    expect(after.__typename).toBe('SendBatchSmsSuccess');
    expect(upstream.calls).toHaveLength(2);
    process.stdout.write(
      `failover timings (${_name}): refused in ${refusedMs} ms with no primary; promoted ${promotionMs} ms after the kill; a primary answered ${primaryAfterMs} ms after it; /readyz 200 ${readyAfterMs} ms after a replica rejoined\n`,
    );
  }, 90_000);

  it('with the replicas stopped, WAIT refuses the send: nothing sent, key freed, charge refunded', async () => {
    const server = await serve({ RATE_LIMIT_PHONE_PER_HOUR: '1', REDIS_WAIT_TIMEOUT_MS: '300' });
    expect((await server.fetch('/readyz')).status).toBe(200);
    const replicas = await set.replicas();
    await Promise.all(replicas.map((r) => r.stop()));
    // Not ready, with the reason, before any send is refused for it (once the primary has seen them go,
    // and the last answer, reused for a second, is out of date).
    const stoppedAt = Date.now();
    let unready = await server.fetch('/readyz');
    while (unready.status === 200 && Date.now() - stoppedAt < 5_000) {
      await sleep(100);
      unready = await server.fetch('/readyz');
    }
    expect(unready.status).toBe(503);
    expect(JSON.parse(unready.text).reason).toMatch(/^fewer Redis replicas connected \(0\) than REDIS_MIN_REPLICAS_ACKS \(1\)/);
    const started = Date.now();
    const refused = await send(server, withKey('KEY-W-1', phones(1, 50)));
    expect(refused).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true, message: expect.stringMatching(/replica/) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(upstream.calls).toHaveLength(0);
    expect(await metric(server, 'sms_state_store_wait_timeouts_total')).toBeGreaterThanOrEqual(1);
    expect(server.logs.text).toContain('fewer Redis replicas than REDIS_MIN_REPLICAS_ACKS took its claim in time');
    for (const replica of replicas) await set.rejoin(replica);
    const deadline = Date.now() + 15_000;
    while ((await server.fetch('/readyz')).status !== 200 && Date.now() < deadline) await sleep(250);
    expect((await server.fetch('/readyz')).status).toBe(200);
    // The same key and the same number (limit 1 an hour) go through: nothing of the refusal was kept.
    // A replica just back may still miss its first WAIT; the caller retries a retryable refusal, as told.
    let again = await send(server, withKey('KEY-W-1', phones(1, 50)));
    for (let tries = 1; again.code === 'SERVICE_UNAVAILABLE' && again.retryable && tries < 10; tries++) {
      await sleep(500);
      again = await send(server, withKey('KEY-W-1', phones(1, 50)));
    }
    expect(again.__typename).toBe('SendBatchSmsSuccess');
    expect(upstream.calls).toHaveLength(1);
  }, 90_000);
});
