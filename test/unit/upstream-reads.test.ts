import type { FastifyBaseLogger } from 'fastify';
import { SmsMetrics } from '../../src/sms/shared/sms.metrics';
import { readUpstream, type UpstreamAnswer } from '../../src/uspeedo/upstream-answer';
import { BREAKER_VOLUME, UpstreamReads } from '../../src/uspeedo/upstream-reads';
import type { UspeedoCall, UspeedoClient, UspeedoExchange } from '../../src/uspeedo/uspeedo.client';

// UpstreamReads against a fake client port: what it asks, how often, and what it answers.
const log = { info() {}, warn() {}, error() {} } as unknown as FastifyBaseLogger;
const ok: UspeedoExchange = { kind: 'answered', status: 200, body: '{"RetCode":0,"Data":[]}', requestUuid: 'u', retryAfter: null };
const down: UspeedoExchange = { kind: 'answered', status: 503, body: '{}', requestUuid: 'u', retryAfter: null };
const call = (id: string): UspeedoCall => ({ method: 'GET', path: 'api/v1/usms/USMSTemplate', query: { id: [id] } });

function reads(answers: (call: UspeedoCall) => UspeedoExchange, delayMs = 0) {
  const asked: UspeedoCall[] = [];
  const client = {
    async answer(made: UspeedoCall): Promise<UpstreamAnswer> {
      asked.push(made);
      if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
      return readUpstream(answers(made));
    },
  } as unknown as UspeedoClient;
  const metrics = new SmsMetrics();
  return { reads: new UpstreamReads(client, 2000, 4, metrics), asked, metrics };
}

describe('UpstreamReads', () => {
  it('shares one read among identical ones in flight, and asks again once it has answered', async () => {
    const { reads: r, asked, metrics } = reads(() => ok, 50);
    const answers = await Promise.all([
      r.read(call('T1'), log, 'templates'),
      r.read(call('T1'), log, 'templates'),
      r.read(call('T2'), log, 'templates'),
    ]);
    expect(answers.every((answer) => answer.ok)).toBe(true);
    expect(asked.map((made) => made.query)).toEqual([{ id: ['T1'] }, { id: ['T2'] }]);
    expect((await metrics.readsShared.get()).values).toEqual([{ labels: { operation: 'templates' }, value: 1 }]);
    await r.read(call('T1'), log, 'templates');
    expect(asked).toHaveLength(3);
    r.close();
  });

  it('retries a 503 at most twice, then answers the failure', async () => {
    const { reads: r, asked } = reads(() => down);
    const answer = await r.read(call('T1'), log, 'templates');
    expect(answer).toMatchObject({ ok: false, failure: { httpStatus: 503 } });
    expect(asked).toHaveLength(3);
    r.close();
  });

  it('opens its breaker after repeated transient failures and then asks nothing', async () => {
    const { reads: r, asked, metrics } = reads(() => down);
    for (let i = 0; i < BREAKER_VOLUME; i++) await r.read(call(`T${i}`), log, 'templates');
    const before = asked.length;
    const refused = await r.read(call('later'), log, 'templates');
    expect(refused).toMatchObject({ ok: false, failure: { code: 'UPSTREAM_UNAVAILABLE', retryAfterSeconds: 30 } });
    expect(asked).toHaveLength(before);
    expect((await metrics.breakerOpenings.get()).values[0].value).toBe(1);
    r.close();
  });

  it('keeps one breaker per operation: templates failing leave delivery status alone', async () => {
    const { reads: r, asked } = reads((made) => (made.path.includes('USMSTemplate') ? down : ok));
    for (let i = 0; i < BREAKER_VOLUME; i++) await r.read(call(`T${i}`), log, 'templates');
    expect(await r.read(call('later'), log, 'templates')).toMatchObject({ ok: false, failure: { retryAfterSeconds: 30 } });
    const before = asked.length;
    const status = await r.read({ method: 'GET', path: 'api/v1/usms/USMSSendReceipt', query: { id: ['S1'] } }, log, 'status');
    expect(status.ok).toBe(true);
    expect(asked).toHaveLength(before + 1);
    r.close();
  });
});
