import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** The server's Prometheus metrics, in a registry of its own (several apps can share one process in tests). */
export class SmsMetrics {
  readonly registry = new Registry();

  /** Recipients by outcome: accepted by uSpeedo, failed in a partial success, provably not sent, or unknown (a timeout). */
  readonly recipients = new Counter({
    name: 'sms_recipients_total',
    help: 'Recipients of sendBatchSms by outcome: accepted, failed (partial success), not_sent, unknown (may have been sent).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly mutations = new Counter({
    name: 'sms_mutations_total',
    help: 'sendBatchSms answers by result: SUCCESS or the error code.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly upstreamSeconds = new Histogram({
    name: 'sms_upstream_duration_seconds',
    help: 'Time from sending a batch to uSpeedo to having its whole answer, by result.',
    labelNames: ['result'] as const,
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly limitRejections = new Counter({
    name: 'sms_limit_rejections_total',
    help: 'Batches refused by an abuse limit, by limit (caller-minute, caller-day, phone-hour, phone-day, global-day, country).',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
