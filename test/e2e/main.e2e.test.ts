import { request } from 'node:http';
import { join } from 'node:path';
import { listeningUrl, start, until } from '../support/main-process';

describe('npm start', () => {
  it('ends with one message naming every bad variable, without a stack trace', async () => {
    const run = start({ PORT: 'x', USPEEDO_TIMEOUT_MS: '0', USPEEDO_ACCESS_KEY_SECRET: 'top-secret-value' });
    expect(await run.exited).toBe(1);
    const output = run.output();
    expect(output).toContain('Invalid configuration:');
    expect(output).toMatch(/PORT: .*\n.*USPEEDO_TIMEOUT_MS: .*\n.*USPEEDO_ACCESS_KEY_ID: /);
    expect(output).not.toMatch(/\n\s+at /);
    expect(output).not.toContain('top-secret-value');
  });

  it('refuses to start in production without uSpeedo credentials or callers, naming them', async () => {
    const run = start({ NODE_ENV: 'production' });
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/USPEEDO_ACCESS_KEY_ID: is required in production[\s\S]*USPEEDO_ACCESS_KEY_SECRET: is required/);
    expect(run.output()).toMatch(/API_KEYS: callers are required in production/);
  });

  it('runs on the simulator without credentials, says so loudly, serves, and exits 0 on SIGTERM', async () => {
    const run = start({});
    try {
      const url = await listeningUrl(run);
      expect(run.output()).toContain('NO SMS IS SENT');
      expect(run.output()).toContain('No callers configured');
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query:
            'mutation($i: SendBatchSmsInput!) { sendBatchSms(input: $i) { __typename ... on SendBatchSmsSuccess { failedTargetPhones { phone } } } }',
          variables: {
            i: { taskContent: [{ templateId: 't', senderId: 'S', target: [{ phone: '13800138000' }, { phone: '+85255310000' }] }] },
          },
        }),
      });
      expect((await response.json()).data.sendBatchSms).toEqual({
        __typename: 'SendBatchSmsSuccess',
        failedTargetPhones: [{ phone: '(852)55310000' }],
      });
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    } finally {
      run.child.kill('SIGKILL');
    }
  }, 30_000);

  it.each(['exception', 'rejection'])(
    'logs an uncaught %s as fatal with the requests in flight, finishes them, shuts down gracefully, and exits 1',
    async (fault) => {
      const run = start({
        NODE_OPTIONS: `--require ${join(__dirname, '../support/fault-later.cjs')}`,
        TEST_FAULT: fault,
        TEST_FAULT_AFTER_MS: '2500',
      });
      try {
        const port = Number(new URL(await listeningUrl(run)).port);
        // A request in flight when the fault comes (its body held back until then): the fatal line names it.
        const body = JSON.stringify({ query: '{ smsLimits { maxTargetsPerRequest } }' });
        const slow = request({
          port,
          method: 'POST',
          path: '/graphql',
          headers: { 'content-type': 'application/json', 'content-length': body.length, 'x-request-id': 'in-flight-at-the-fault' },
        });
        const answered = new Promise<number>((resolve, reject) => {
          slow.on('response', (response) => {
            response.resume();
            resolve(response.statusCode!);
          });
          slow.on('error', reject);
        });
        slow.write(body.slice(0, 10));
        await until(() => run.output().includes('"level":60'));
        slow.end(body.slice(10));
        expect(await answered).toBe(200);
        expect(await run.exited).toBe(1);
        const lines = run
          .output()
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line));
        const fatal = lines.find((line) => line.level === 60);
        expect(fatal.msg).toBe('uncaught exception or unhandled rejection: shutting down, finishing the requests in flight');
        expect(fatal.err.message).toMatch(/no code (caught|handled)/);
        expect(fatal.requestsInFlight).toEqual(['in-flight-at-the-fault']);
        expect(lines.at(-1).msg).toBe('shut down cleanly');
      } finally {
        run.child.kill('SIGKILL');
      }
    },
    30_000,
  );
});
