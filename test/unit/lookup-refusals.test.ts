import type { FastifyBaseLogger } from 'fastify';
import { RateLimiter } from '../../src/guard/rate-limits';
import { SqliteStateStore } from '../../src/guard/sqlite-state-store';
import { StateStoreUnavailableError, type StateStore } from '../../src/guard/state-store';
import { LookupRefusals } from '../../src/sms/lookups/lookup-refusals';
import { SmsMetrics } from '../../src/sms/shared/sms.metrics';
import { NO_LIMITS } from '../support/limits';

// LookupRefusals on a real in-memory store (or one that fails): the answers a lookup refuses with.
const log = { info() {}, warn() {}, error() {} } as unknown as FastifyBaseLogger;

function refusals(store: StateStore, templatesPerMinute = 0) {
  const metrics = new SmsMetrics();
  return {
    refusals: new LookupRefusals(
      { operation: 'templates', query: 'smsTemplates' },
      new RateLimiter(store, { ...NO_LIMITS, templatesPerMinute }),
      metrics,
    ),
    metrics,
  };
}

describe('LookupRefusals', () => {
  it('answers every broken rule of an id list at once, each at its path, and counts it', async () => {
    const { refusals: r, metrics } = refusals(new SqliteStateStore(':memory:'));
    const refused = r.checkIds('templateIds', ['a', 'b\n', 'a', 'x'.repeat(65)], 64, false, log);
    expect(refused).toMatchObject({ code: 'INVALID_INPUT', retryable: false });
    expect(refused!.fieldErrors.map((e) => e.path)).toEqual([
      ['templateIds', '1'],
      ['templateIds', '2'],
      ['templateIds', '3'],
    ]);
    expect(r.checkIds('templateIds', ['a', 'b'], 64, false, log)).toBeNull();
    expect((await metrics.lookups.get()).values).toEqual([{ labels: { operation: 'templates', result: 'INVALID_INPUT' }, value: 1 }]);
  });

  it("charges the caller's ids against its limit and refuses past it with when to retry", async () => {
    const { refusals: r } = refusals(new SqliteStateStore(':memory:'), 3);
    expect(await r.charge('templates', 'k:ops', 3, log)).toBeNull();
    expect(await r.charge('templates', 'k:ops', 1, log)).toMatchObject({
      code: 'RATE_LIMITED',
      retryable: true,
      retryAfterSeconds: expect.any(Number),
    });
    expect(await r.charge('templates', 'k:web', 1, log)).toBeNull();
    expect(await r.chargeIds('templates', 'k:ops', 1)).toEqual(expect.any(Number));
  });

  it('answers SERVICE_UNAVAILABLE, retryable, when the store cannot count', async () => {
    const failing = new SqliteStateStore(':memory:');
    failing.charge = () => Promise.reject(new StateStoreUnavailableError(new Error('down')));
    const { refusals: r } = refusals(failing, 3);
    expect(await r.charge('templates', 'k:ops', 1, log)).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
  });
});
