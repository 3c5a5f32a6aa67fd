import type { FastifyBaseLogger } from 'fastify';
import type { Caller } from '../../src/auth/caller';
import { SqliteStateStore } from '../../src/guard/sqlite-state-store';
import { RateLimiter } from '../../src/guard/rate-limits';
import { DeliveryFollower } from '../../src/sms/follow/delivery-follower';
import { followMetrics } from '../../src/sms/follow/follow.metrics';
import type { DeliveryStatusService } from '../../src/sms/lookups/delivery-status.service';
import { LookupRefusals } from '../../src/sms/lookups/lookup-refusals';
import { sessionStatus, SmsDeliveryStatus, SmsReceiptStatus, type SmsReceipt } from '../../src/sms/lookups/sms-delivery-status.result';
import { queryError, type SmsQueryError } from '../../src/sms/lookups/sms-query-error.result';
import { SmsMetrics } from '../../src/sms/shared/sms.metrics';
import { NO_LIMITS } from '../support/limits';

// DeliveryFollower against a fake delivery-status port: one poll for every subscriber of a session,
// each told of its change, and completion once the session is final.
const log = { info() {}, warn() {}, error() {}, child: () => log } as unknown as FastifyBaseLogger;
const caller: Caller = { id: 'ops', kind: 'api-key', canSend: true };
const receipt = (status: SmsReceiptStatus): SmsReceipt =>
  Object.assign({} as SmsReceipt, {
    phone: '8613800138000',
    status,
    receiptCode: null,
    description: null,
    billedSegments: 1,
    receivedAt: null,
    countryCode: '86',
  });

/** The port: `S1` is the caller's and expects one receipt; what each poll answers is `answer`. */
function fakeStatus() {
  const port = {
    polls: [] as string[][],
    answer: [] as SmsReceipt[],
    failing: null as SmsQueryError | null,
    async deliveryStatus(sessionNos: string[]) {
      return Object.assign(new SmsDeliveryStatus(), {
        sessions: sessionNos.map((s) => sessionStatus(s, s === 'S1', 1, [])),
        requestUuid: null,
      });
    },
    async receipts(sessionNos: readonly string[]) {
      port.polls.push([...sessionNos]);
      if (port.failing) return port.failing;
      return { receipts: new Map(sessionNos.map((s) => [s, port.answer])), requestUuid: 'r', asked: sessionNos.length };
    },
    async known() {
      return new Map([['S1', 1]]);
    },
  };
  return port;
}

function follower(port: ReturnType<typeof fakeStatus>) {
  const metrics = new SmsMetrics();
  const refusals = new LookupRefusals(
    { operation: 'follow', query: 'smsDeliveryUpdates' },
    new RateLimiter(new SqliteStateStore(':memory:'), NO_LIMITS),
    metrics,
  );
  return new DeliveryFollower(
    port as unknown as DeliveryStatusService,
    refusals,
    { pollSeconds: 0.05, pollFailures: 2, maxSeconds: 60, perCaller: 5 },
    { ...followMetrics(metrics.registry), lookups: metrics.lookups },
    log,
  );
}

describe('DeliveryFollower', () => {
  it('polls once for every subscriber of a session, tells each its change, and completes them when the session is final', async () => {
    const port = fakeStatus();
    const f = follower(port);
    const a = f.follow(['S1'], caller, log);
    const b = f.follow(['S1', 'S9'], caller, log);
    expect((await a.next()).value).toMatchObject({ sessions: [{ sessionNo: 'S1', known: true, final: false }] });
    expect((await b.next()).value).toMatchObject({ sessions: [{ known: true }, { sessionNo: 'S9', known: false }] });
    port.answer = [receipt(SmsReceiptStatus.DELIVERED)];
    const [nextA, nextB] = await Promise.all([a.next(), b.next()]);
    expect(nextA.value).toMatchObject({ sessions: [{ final: true }] });
    expect(nextB.value).toMatchObject({ sessions: [{ final: true }, { known: false }] });
    // Every poll asked S1 once, for both; S9 (not the caller's) never.
    expect(port.polls.every((asked) => asked.length === 1 && asked[0] === 'S1')).toBe(true);
    expect((await a.next()).done).toBe(true);
    expect((await b.next()).done).toBe(true);
    f.close();
  });

  it('waits out a failing first read: the retryable error first, then the status at the next good poll', async () => {
    const port = fakeStatus();
    const f = follower(port);
    port.deliveryStatus = async () =>
      queryError({ code: 'UPSTREAM_UNAVAILABLE', message: 'uSpeedo could not be reached.', retryable: true }) as never;
    const sub = f.follow(['S1'], caller, log);
    const first = (await sub.next()).value as SmsQueryError;
    expect(first).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', retryable: true, retryAfterSeconds: 1 });
    expect((await sub.next()).value).toMatchObject({ sessions: [{ sessionNo: 'S1', known: true, final: false }] });
    await sub.return?.();
    f.close();
  });
});
