import { useFakeUspeedo } from '../support/fake-uspeedo';
import { loadFake, runLoad } from '../support/load';
import { start, until } from '../support/main-process';
import { batch, SEND_BATCH_SMS, TEST_KEY_ID, TEST_SECRET } from '../support/server';

const upstream = useFakeUspeedo();

const listening = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/;

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
  await until(() => listening.test(run.output()));
  return `http://127.0.0.1:${listening.exec(run.output())![1]}/graphql`;
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
