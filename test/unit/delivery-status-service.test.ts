import { readReceipts } from '../../src/uspeedo/lookup-records';
import type { FastifyBaseLogger } from 'fastify';
import type { Caller } from '../../src/auth/caller';
import { RateLimiter } from '../../src/guard/rate-limits';
import { NO_LIMITS } from '../support/limits';
import { SqliteStateStore } from '../../src/guard/sqlite-state-store';
import { StateStoreUnavailableError, type StateStore } from '../../src/guard/state-store';
import { DeliveryStatusService } from '../../src/sms/lookups/delivery-status.service';
import { LookupRefusals } from '../../src/sms/lookups/lookup-refusals';
import { SentSessions } from '../../src/sms/sessions/sent-sessions';
import { SmsMetrics } from '../../src/sms/shared/sms.metrics';

const sent = (...sessionNos: string[]) => sessionNos.map((sessionNo) => ({ sessionNo, expected: null }));

// Delivery status against fake ports: uSpeedo's reads answer from a table and record what was asked.
const log = { info() {}, warn() {}, error() {} } as unknown as FastifyBaseLogger;
const ops: Caller = { id: 'ops', kind: 'api-key', canSend: true };
const web: Caller = { id: 'web', kind: 'api-key', canSend: true };

function lookups(store: StateStore, statusCacheSeconds = 60) {
  const asked: string[][] = [];
  const uspeedo = {
    chunks: (_kind: string, ids: readonly string[]) => (ids.length > 0 ? [[...ids]] : []),
    async receipts(ids: readonly string[]) {
      asked.push([...ids]);
      const json = {
        RetCode: 0,
        Data: ids.map((id) => ({ SessionNo: id, ReceiptSet: [{ Phone: '8613800138000', ReceiptResult: 'SUCCESS' }] })),
      };
      return { ok: true as const, records: readReceipts(json)!, requestUuid: 'u-1' };
    },
  };
  const sessions = new SentSessions(store, 600);
  const refusals = new LookupRefusals(
    { operation: 'status', query: 'smsDeliveryStatus' },
    new RateLimiter(store, NO_LIMITS),
    new SmsMetrics(),
  );
  const service = new DeliveryStatusService(uspeedo, sessions, refusals, statusCacheSeconds);
  return { service, sessions, asked };
}

describe('DeliveryStatusService.deliveryStatus', () => {
  it("asks uSpeedo only for the caller's own sessions, once while cached, and answers the rest as unknown", async () => {
    const store = new SqliteStateStore(':memory:');
    const { service, sessions, asked } = lookups(store);
    await sessions.record(ops, sent('S-1', 'S-2'), log);
    await sessions.record(web, sent('S-3'), log);
    const first = await service.deliveryStatus(['S-1', 'S-3', 'S-2'], ops, log);
    expect(first).toMatchObject({
      sessions: [
        { sessionNo: 'S-1', known: true },
        { sessionNo: 'S-3', known: false, receipts: [] },
        { sessionNo: 'S-2', known: true },
      ],
    });
    expect(asked).toEqual([['S-1', 'S-2']]);
    await service.deliveryStatus(['S-2'], ops, log);
    expect(asked).toHaveLength(1);
    await store.close();
  });

  it('knows sessions another instance recorded, through the store', async () => {
    const store = new SqliteStateStore(':memory:');
    await store.recordSessions('api-key:ops', [{ sessionNo: 'S-9', expected: 2 }], Date.now() + 60_000);
    const { service, asked } = lookups(store, 0);
    expect(await service.deliveryStatus(['S-9'], ops, log)).toMatchObject({
      sessions: [{ sessionNo: 'S-9', known: true, expectedReceipts: 2, final: false }],
    });
    expect(asked).toEqual([['S-9']]);
    await store.close();
  });

  it('answers SERVICE_UNAVAILABLE, asking uSpeedo nothing, when the store cannot say whose a session is', async () => {
    const store = new SqliteStateStore(':memory:');
    const failing = Object.assign(Object.create(store) as StateStore, {
      knownSessions: () => Promise.reject(new StateStoreUnavailableError(new Error('down'))),
    });
    const { service, asked } = lookups(failing, 0);
    expect(await service.deliveryStatus(['S-1'], ops, log)).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
    expect(asked).toEqual([]);
    await store.close();
  });

  it('asks again within a second for a session that had no receipts yet, while one with receipts stays cached', async () => {
    const store = new SqliteStateStore(':memory:');
    const asked: string[][] = [];
    let receipts = 0;
    const uspeedo = {
      chunks: (_kind: string, ids: readonly string[]) => (ids.length > 0 ? [[...ids]] : []),
      async receipts(ids: readonly string[]) {
        asked.push([...ids]);
        const set = Array.from({ length: receipts }, () => ({ Phone: '8613800138000', ReceiptResult: 'Success' }));
        const json = { RetCode: 0, Data: ids.map((id) => ({ SessionNo: id, ReceiptSet: set })) };
        return { ok: true as const, records: readReceipts(json)!, requestUuid: 'u-1' };
      },
    };
    const sessions = new SentSessions(store, 600);
    const refusals = new LookupRefusals(
      { operation: 'status', query: 'smsDeliveryStatus' },
      new RateLimiter(store, NO_LIMITS),
      new SmsMetrics(),
    );
    const service = new DeliveryStatusService(uspeedo, sessions, refusals, 60);
    await sessions.record(ops, sent('S-1'), log);
    await service.deliveryStatus(['S-1'], ops, log);
    await service.deliveryStatus(['S-1'], ops, log);
    expect(asked).toHaveLength(1);
    receipts = 1;
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await service.deliveryStatus(['S-1'], ops, log)).toMatchObject({ sessions: [{ receipts: [{ status: 'DELIVERED' }] }] });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await service.deliveryStatus(['S-1'], ops, log);
    expect(asked).toHaveLength(2);
    await store.close();
  });
});
