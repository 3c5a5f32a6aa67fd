import { sendMetrics } from '../../src/sms/send/send.metrics';
import { readSendAnswer } from '../../src/uspeedo/send-answer';
import type { FastifyBaseLogger } from 'fastify';
import type { Caller } from '../../src/auth/caller';
import { Idempotency } from '../../src/guard/idempotency';
import { RateLimiter, type RateLimitValues } from '../../src/guard/rate-limits';
import { NO_LIMITS } from '../support/limits';
import {
  ReplicationTimeoutError,
  type ChargeRequest,
  type ClaimRequest,
  type IdempotencyClaim,
  type ReplicatedWrites,
  type StateStore,
} from '../../src/guard/state-store';
import type { SendBatchSmsInput } from '../../src/sms/send/send-batch-sms.input';
import { SMS_LIMIT_CEILINGS } from '../../src/sms/shared/sms-limits';
import { SmsMetrics } from '../../src/sms/shared/sms.metrics';
import { BatchCheck } from '../../src/sms/send/batch-check';
import { SendBatchService } from '../../src/sms/send/send-batch.service';
import { readUpstream } from '../../src/uspeedo/upstream-answer';
import type { UspeedoExchange } from '../../src/uspeedo/uspeedo.client';

// The send's order against fake ports: claim, charge, replicas, uSpeedo, the result, replicas again.
// Each fake records what it was asked, so a test reads the whole conversation in one list.
class FakeStore implements StateStore {
  readonly kind = 'fake';
  readonly calls: string[] = [];
  replicateFails = false;
  private readonly records = new Map<string, { fingerprint: string; result?: string }>();

  async charge(request: ChargeRequest) {
    this.calls.push(`charge ${request.counters.map((c) => `${c.key}+${c.amount}`).join(',')}`);
    return { ok: true as const };
  }
  async peek() {
    return { ok: true as const };
  }
  async refund(request: ChargeRequest) {
    this.calls.push(`refund ${request.counters.map((c) => `${c.key}-${c.amount}`).join(',')}`);
  }
  async claim({ key, fingerprint }: ClaimRequest): Promise<IdempotencyClaim> {
    this.calls.push(`claim ${key}`);
    const record = this.records.get(key);
    if (!record) {
      this.records.set(key, { fingerprint });
      return { state: 'claimed' };
    }
    return record.result ? { state: 'done', result: record.result } : { state: 'in-progress', leaseEndsAt: Date.now() + 1000 };
  }
  async complete(key: string, fingerprint: string, result: string) {
    this.calls.push(`complete ${key}`);
    this.records.set(key, { fingerprint, result });
    return true;
  }
  async release(key: string) {
    this.calls.push(`release ${key}`);
    this.records.delete(key);
  }
  async replicate(writes: ReplicatedWrites) {
    this.calls.push(`replicate ${writes.idempotencyKey ?? '-'} ${writes.limits ? 'limits' : '-'}`);
    if (this.replicateFails) throw new ReplicationTimeoutError(0, 1);
  }
  async recordSessions() {}
  async knownSessions() {
    return new Map<string, number | null>();
  }
  async readiness() {
    return null;
  }
  async getDocument() {
    return null;
  }
  async putDocument() {
    return null;
  }
  async expireDocuments() {}
  async deleteDocuments() {}
  async close() {}
}

const LIMITS: RateLimitValues = { ...NO_LIMITS, callerPerMinute: 100 };
const OK: UspeedoExchange = {
  kind: 'answered',
  status: 200,
  body: '{"RetCode":0,"Message":"ok","SessionNo":"S-1"}',
  requestUuid: 'u-1',
  retryAfter: null,
};
const caller: Caller = { id: 'ops', kind: 'api-key', canSend: true };
const log = { info() {}, warn() {}, error() {} } as unknown as FastifyBaseLogger;
const input = (idempotencyKey?: string) =>
  ({
    taskContent: [{ templateId: 't-1', senderId: 'USpeedo', target: [{ phone: '+8613800138000', templateParams: [] }] }],
    ...(idempotencyKey ? { idempotencyKey } : {}),
  }) as unknown as SendBatchSmsInput;

function service(store: FakeStore, exchange: UspeedoExchange = OK) {
  const bodies: string[] = [];
  const uspeedo = {
    async sendBatch(body: string) {
      bodies.push(body);
      store.calls.push('uspeedo');
      return readSendAnswer(readUpstream(exchange), (text) => text);
    },
  };
  const sessions = { async record() {} };
  const sms = new SendBatchService(
    uspeedo,
    new BatchCheck(SMS_LIMIT_CEILINGS, LIMITS.allowedCountryCodes, null),
    new RateLimiter(store, LIMITS),
    new Idempotency(store, 600, 10_000),
    sendMetrics(new SmsMetrics().registry),
    sessions,
    (writes) => store.replicate(writes),
  );
  return { sms, bodies };
}

describe('SendBatchService.sendBatch, in order', () => {
  it('claims, charges, waits for replicas, sends once, stores the result and waits for it again', async () => {
    const store = new FakeStore();
    const { sms, bodies } = service(store);
    const result = await sms.sendBatch(input('k-1'), caller, log, 'req-1');
    expect(result).toMatchObject({ sessionNos: ['S-1'] });
    const key = '11:api-key:ops:k-1';
    expect(store.calls).toEqual([
      `claim ${key}`,
      expect.stringMatching(/^charge rl:caller-minute:api-key:ops:\d+\+1$/),
      `replicate ${key} limits`,
      'uspeedo',
      `complete ${key}`,
      `replicate ${key} -`,
    ]);
    expect(bodies).toHaveLength(1);
  });

  it('refuses when the replicas do not acknowledge: nothing sent, the charge given back, the key freed', async () => {
    const store = new FakeStore();
    store.replicateFails = true;
    const { sms, bodies } = service(store);
    const result = await sms.sendBatch(input('k-2'), caller, log, 'req-2');
    expect(result).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true, message: expect.stringMatching(/replica/) });
    expect(bodies).toHaveLength(0);
    const key = '11:api-key:ops:k-2';
    expect(store.calls).toEqual([
      `claim ${key}`,
      expect.stringMatching(/^charge /),
      `replicate ${key} limits`,
      expect.stringMatching(/^refund rl:caller-minute:api-key:ops:\d+-1$/),
      `release ${key}`,
    ]);
  });

  it('without a key waits for the charge alone, and a retry with a key answered from the store never sends again', async () => {
    const store = new FakeStore();
    const { sms, bodies } = service(store);
    await sms.sendBatch(input(), caller, log, 'req-3');
    expect(store.calls).toEqual([expect.stringMatching(/^charge /), 'replicate - limits', 'uspeedo']);
    store.calls.length = 0;
    await sms.sendBatch(input('k-4'), caller, log, 'req-4');
    const replay = await sms.sendBatch(input('k-4'), caller, log, 'req-5');
    expect(replay).toMatchObject({ sessionNos: ['S-1'] });
    expect(bodies).toHaveLength(2);
  });
});

describe('SendBatchService.sendBatch, failed targets', () => {
  // Two tasks, the same Hong Kong number in both, written two ways; uSpeedo fails it twice, in its own form.
  const batch = (idempotencyKey?: string) =>
    ({
      taskContent: [
        { templateId: 't-1', senderId: 'USpeedo', target: [{ phone: '+8613800138000' }, { phone: '+852 5531 0000' }] },
        { templateId: 't-2', senderId: 'USpeedo', target: [{ phone: '(852)55310000' }] },
      ],
      ...(idempotencyKey ? { idempotencyKey } : {}),
    }) as unknown as SendBatchSmsInput;
  const failedTwice: UspeedoExchange = {
    ...OK,
    body: JSON.stringify({
      RetCode: 0,
      SessionNo: ['S-1'],
      FailedTargetPhones: [
        { Phone: '(852)55310000', FailureReason: 'black list' },
        { Phone: '(852)55310000', FailureReason: 'black list' },
        { Phone: '(86)13900000000', FailureReason: 'not ours' },
      ],
    }),
  };
  const rows = (result: unknown) =>
    (result as { failedTargetPhones: { path: string[]; e164: string }[] }).failedTargetPhones.map((f) => [f.e164, f.path.join('.')]);

  it('puts each failure on its input row, in input order, and a number the batch does not hold on none', async () => {
    const { sms } = service(new FakeStore(), failedTwice);
    expect(rows(await sms.sendBatch(batch(), caller, log, 'req-6'))).toEqual([
      ['+85255310000', 'taskContent.0.target.1'],
      ['+85255310000', 'taskContent.1.target.0'],
      ['+8613900000000', ''],
    ]);
  });

  it('answers a replay with the same rows, a record stored before rows existed too', async () => {
    const store = new FakeStore();
    const { sms, bodies } = service(store, failedTwice);
    await sms.sendBatch(batch('k-5'), caller, log, 'req-7');
    // As an older version stored it: uSpeedo's failures without e164 or path.
    const records = (store as unknown as { records: Map<string, { result?: string }> }).records;
    for (const record of records.values()) {
      const stored = JSON.parse(record.result!);
      for (const failed of stored.fields.failedTargetPhones) {
        delete failed.e164;
        delete failed.path;
      }
      record.result = JSON.stringify(stored);
    }
    const replay = await sms.sendBatch(batch('k-5'), caller, log, 'req-8');
    expect(bodies).toHaveLength(1);
    expect(rows(replay)).toEqual([
      ['+85255310000', 'taskContent.0.target.1'],
      ['+85255310000', 'taskContent.1.target.0'],
      ['+8613900000000', ''],
    ]);
  });
});
