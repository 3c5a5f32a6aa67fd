import { connect } from 'node:net';
import { useFakeUspeedo } from '../support/fake-uspeedo';
import { loadFake, runLoad } from '../support/load';
import { listeningUrl, start, until } from '../support/main-process';
import { batch, SEND_BATCH_SMS, TEST_KEY_ID, TEST_SECRET } from '../support/server';

const upstream = useFakeUspeedo();

function startMain(env: Record<string, string> = {}) {
  const run = start({
    USPEEDO_BASE_URL: upstream.url,
    USPEEDO_ACCESS_KEY_ID: TEST_KEY_ID,
    USPEEDO_ACCESS_KEY_SECRET: TEST_SECRET,
    USPEEDO_TIMEOUT_MS: '3000',
    STATE_DB_PATH: ':memory:',
    // Real credentials need callers or an explicit opt-out; callers have tests of their own.
    AUTH_DISABLED: 'true',
    ...env,
  });
  return run;
}

/** Waits for the process to listen; its /graphql URL. */
async function graphqlUrl(run: ReturnType<typeof start>): Promise<string> {
  return `${await listeningUrl(run)}/graphql`;
}

/** One send, as a client would post it. */
const sendOne = (url: string) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: SEND_BATCH_SMS, variables: batch([{ phone: '13800138000' }]) }),
  });

describe('SIGTERM', () => {
  it('lets a send in flight finish and answer, refuses new connections, and exits 0', async () => {
    const run = startMain();
    try {
      const url = await graphqlUrl(run);
      upstream.reply({ delayMs: 1000 });
      const inFlight = sendOne(url);
      await until(() => upstream.calls.length === 1);
      run.child.kill('SIGTERM');
      await until(() => run.output().includes('shutting down'));
      await expect(fetch(url.replace('/graphql', '/healthz'))).rejects.toThrow();

      const response = await inFlight;
      expect(response.status).toBe(200);
      expect((await response.json()).data.sendBatchSms.__typename).toBe('SendBatchSmsSuccess');
      expect(await run.exited).toBe(0);
      expect(run.output()).toContain('shut down cleanly');
      expect(upstream.calls).toHaveLength(1);
    } finally {
      run.child.kill('SIGKILL');
    }
  }, 30_000);

  it('answers a request still arriving on an open connection when the shutdown starts, in full, and closes that connection', async () => {
    const run = startMain();
    try {
      const url = new URL(await graphqlUrl(run));
      upstream.reply({ delayMs: 500 });
      // A send in flight holds the shutdown open while the second request arrives.
      const inFlight = sendOne(url.href);
      await until(() => upstream.calls.length === 1);
      const body = JSON.stringify({ query: SEND_BATCH_SMS, variables: batch([{ phone: '13800138001' }]) });
      const raw = connect(Number(url.port), '127.0.0.1');
      let answer = '';
      raw.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      const ended = new Promise((resolve) => raw.on('close', resolve));
      // Its first bytes make the connection busy, so the shutdown does not close it as idle.
      raw.write(`POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\n`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      run.child.kill('SIGTERM');
      await until(() => run.output().includes('shutting down'));
      raw.write(`content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      await ended;

      const [head, payload] = answer.split('\r\n\r\n');
      expect(head).toMatch(/^HTTP\/1\.1 200/);
      expect(head.toLowerCase()).toContain('connection: close');
      expect(JSON.parse(payload).data.sendBatchSms.__typename).toBe('SendBatchSmsSuccess');
      expect((await inFlight).status).toBe(200);
      expect(await run.exited).toBe(0);
      expect(upstream.calls).toHaveLength(2);
    } finally {
      run.child.kill('SIGKILL');
    }
  }, 30_000);

  it('gives up after SHUTDOWN_GRACE_MS, saying so, with exit 1', async () => {
    const run = startMain({ SHUTDOWN_GRACE_MS: '300' });
    try {
      const url = await graphqlUrl(run);
      upstream.reply({ delayMs: 2000 });
      const inFlight = sendOne(url).catch(() => null);
      await until(() => upstream.calls.length === 1);
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain('shutdown grace period over');
      expect(run.output()).toContain('SHUTDOWN_GRACE_MS is shorter than USPEEDO_TIMEOUT_MS');
      await inFlight;
    } finally {
      run.child.kill('SIGKILL');
    }
  }, 30_000);

  it('in the middle of load: every request that got an answer agrees with what uSpeedo received', async () => {
    const run = startMain({ USPEEDO_TIMEOUT_MS: '200', RATE_LIMIT_PHONE_PER_HOUR: '3' });
    try {
      const url = await graphqlUrl(run);
      upstream.reply(loadFake(400));
      const report = await runLoad({
        url,
        upstream,
        durationMs: 2000,
        concurrency: 10,
        midway: () => run.child.kill('SIGTERM'),
      });
      expect(await run.exited).toBe(0);
      expect(report.violations).toEqual([]);
      expect(report.answered).toBeGreaterThan(20);
      expect(report.noAnswer).toBeGreaterThan(0);
    } finally {
      run.child.kill('SIGKILL');
    }
  }, 30_000);
});
