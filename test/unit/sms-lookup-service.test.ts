import type { FastifyBaseLogger } from 'fastify';
import type { Caller } from '../../src/auth/caller';
import { RateLimiter } from '../../src/guard/rate-limits';
import { NO_LIMITS } from '../support/limits';
import { SqliteStateStore } from '../../src/guard/sqlite-state-store';
import { StateStoreUnavailableError, type StateStore } from '../../src/guard/state-store';
import { SmsLookupService } from '../../src/sms/sms-lookup.service';
import { SmsMetrics } from '../../src/sms/sms.metrics';
import type { UpstreamReads } from '../../src/sms/upstream-reads';
import type { UspeedoCall } from '../../src/uspeedo/uspeedo.client';

// Delivery status against fake ports: uSpeedo's reads answer from a table and record what was asked.
const log = { info() {}, warn() {}, error() {} } as unknown as FastifyBaseLogger;
const ops: Caller = { id: 'ops', kind: 'api-key', canSend: true };
const web: Caller = { id: 'web', kind: 'api-key', canSend: true };

function lookups(store: StateStore, statusCacheSeconds = 60) {
  const asked: string[][] = [];
  const reads = {
    async read(call: UspeedoCall) {
      const ids = [call.query?.id ?? []].flat();
      asked.push(ids);
      return {
        ok: true as const,
        json: {
          RetCode: 0,
          Data: ids.map((id) => ({ SessionNo: id, ReceiptSet: [{ Phone: '8613800138000', ReceiptResult: 'SUCCESS' }] })),
        },
        requestUuid: 'u-1',
      };
    },
  } as unknown as UpstreamReads;
  const service = new SmsLookupService(
    reads,
    store,
    new RateLimiter(store, NO_LIMITS),
    { retentionSeconds: 600, statusCacheSeconds, templateCacheSeconds: 0 },
    new SmsMetrics(),
  );
  return { service, asked };
}

describe('SmsLookupService.deliveryStatus', () => {
  it("asks uSpeedo only for the caller's own sessions, once while cached, and answers the rest as unknown", async () => {
    const store = new SqliteStateStore(':memory:');
    const { service, asked } = lookups(store);
    await service.recordSent(ops, ['S-1', 'S-2'], log);
    await service.recordSent(web, ['S-3'], log);
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
    await store.recordSessions('api-key:ops', ['S-9'], Date.now() + 60_000);
    const { service, asked } = lookups(store, 0);
    expect(await service.deliveryStatus(['S-9'], ops, log)).toMatchObject({ sessions: [{ sessionNo: 'S-9', known: true }] });
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
});
