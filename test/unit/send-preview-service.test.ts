import type { FastifyBaseLogger } from 'fastify';
import type { Caller } from '../../src/auth/caller';
import { RateLimiter } from '../../src/guard/rate-limits';
import { SqliteStateStore } from '../../src/guard/sqlite-state-store';
import { StateStoreUnavailableError } from '../../src/guard/state-store';
import { SendPreviewService } from '../../src/sms/preview/send-preview.service';
import { SmsSendPreview } from '../../src/sms/preview/sms-send-preview.result';
import type { BatchCheck, BatchReading } from '../../src/sms/send/batch-check';
import type { SendBatchSmsInput } from '../../src/sms/send/send-batch-sms.input';
import { SmsMetrics } from '../../src/sms/shared/sms.metrics';
import { NO_LIMITS } from '../support/limits';

// SendPreviewService with a fake batch check (what the send's rules answered) and a real limiter.
const log = { info() {}, warn() {}, error() {} } as unknown as FastifyBaseLogger;
const ops: Caller = { id: 'ops', kind: 'api-key', canSend: true };
const input = (phones: string[]) =>
  ({ taskContent: phones.map((phone) => ({ templateId: 'T', senderId: 'S', target: [{ phone }] })) }) as unknown as SendBatchSmsInput;

/** What the send's rules read from `phones`, one task each, no templates looked up. */
const reading = (phones: string[]): BatchReading => ({
  ok: true,
  request: { TaskContent: [] },
  recipients: phones.map((e164, task) => ({ e164, task, target: 0, countryCode: '86' })),
  templates: null,
});

function preview(read: (phones: string[]) => Promise<BatchReading>, phonePerHour = 0, statusPerMinute = 0) {
  const store = new SqliteStateStore(':memory:');
  const limiter = new RateLimiter(store, { ...NO_LIMITS, phonePerHour, statusPerMinute });
  const batch: Pick<BatchCheck, 'read'> = { read: (given) => read(given.taskContent.map((task) => task.target[0].phone)) };
  return { service: new SendPreviewService(batch, limiter, new SmsMetrics()), limiter, store };
}

describe('SendPreviewService', () => {
  it('answers the rules the send would answer for a broken batch, previewing nothing', async () => {
    const { service } = preview(async () => ({ ok: false, code: 'INVALID_INPUT', fieldErrors: [{ path: ['taskContent'], message: 'x' }] }));
    expect(await service.preview(input(['1']), ops, log)).toMatchObject({
      code: 'INVALID_INPUT',
      fieldErrors: [{ path: ['taskContent'] }],
    });
  });

  it('peeks at the limits with each number once, however often the batch names it, and charges nothing', async () => {
    const { service, limiter } = preview(async (phones) => reading(phones), 2);
    // One message of the number's two this hour is used.
    expect((await limiter.charge('k:ops', [{ e164: '+8613800138000', task: 0, target: 0 }])).ok).toBe(true);
    const thrice = await service.preview(input(['+8613800138000', '+8613800138000', '+8613800138000']), ops, log);
    expect(thrice).toBeInstanceOf(SmsSendPreview);
    expect((thrice as SmsSendPreview).rateLimit).toBeNull();
    expect((await limiter.charge('k:ops', [{ e164: '+8613800138000', task: 0, target: 0 }])).ok).toBe(true);
    const full = await service.preview(input(['+8613800138000']), ops, log);
    expect((full as SmsSendPreview).rateLimit).toMatchObject({
      code: 'RATE_LIMITED',
      fieldErrors: [{ path: ['taskContent', '0', 'target', '0', 'phone'] }],
    });
  });

  it('answers SERVICE_UNAVAILABLE, retryable, when the store cannot count its lookup', async () => {
    const { service, store } = preview(async (phones) => reading(phones), 0, 10);
    store.charge = () => Promise.reject(new StateStoreUnavailableError(new Error('down')));
    expect(await service.preview(input(['1']), ops, log)).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
  });
});
