import { Counter, Histogram, type Registry } from 'prom-client';

/** sendBatchSms's metrics, registered in the app's registry. */
export function sendMetrics(registry: Registry) {
  return {
    /** Recipients by outcome: accepted by uSpeedo, failed in a partial success, provably not sent, or unknown (a timeout). */
    recipients: new Counter({
      name: 'sms_recipients_total',
      help: 'Recipients of sendBatchSms by outcome: accepted, failed (partial success), not_sent, unknown (may have been sent).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),

    mutations: new Counter({
      name: 'sms_mutations_total',
      help: 'sendBatchSms answers by result: SUCCESS or the error code.',
      labelNames: ['result'] as const,
      registers: [registry],
    }),

    upstreamSeconds: new Histogram({
      name: 'sms_upstream_duration_seconds',
      help: 'Time from sending a batch to uSpeedo to having its whole answer, by result.',
      labelNames: ['result'] as const,
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),

    limitRejections: new Counter({
      name: 'sms_limit_rejections_total',
      help: 'Batches refused by an abuse limit, by limit (caller-minute, caller-day, phone-hour, phone-day, global-day, country, templates-minute).',
      labelNames: ['limit'] as const,
      registers: [registry],
    }),

    /** Sends whose pre-send template check could not run (the lookup failed) and went ahead without it. */
    templateCheckSkipped: new Counter({
      name: 'sms_template_check_skipped_total',
      help: 'Batches sent without the SMS_TEMPLATE_CHECK because the template lookup failed.',
      registers: [registry],
    }),
  };
}

/** sendBatchSms's metrics. */
export type SendMetrics = ReturnType<typeof sendMetrics>;
