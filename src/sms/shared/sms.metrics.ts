import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The server's Prometheus registry (one per app: several apps can share one process in tests), with
 * the metrics several parts share: lookups, uSpeedo reads, the state store, the sockets. A feature's own
 * metrics are its `*.metrics.ts`, registered here.
 */
export class SmsMetrics {
  readonly registry = new Registry();

  /** Delivery-status and template lookups by answer. */
  readonly lookups = new Counter({
    name: 'sms_lookups_total',
    help: 'smsDeliveryStatus (operation status), smsTemplates (operation templates), smsSendPreview (operation preview) answers, and smsDeliveryUpdates refusals and failed polls (operation follow): OK or the error code.',
    labelNames: ['operation', 'result'] as const,
    registers: [this.registry],
  });

  /** Each lookup attempt's time at uSpeedo, retries counted one by one. */
  readonly lookupSeconds = new Histogram({
    name: 'sms_lookup_upstream_duration_seconds',
    help: 'Time of each attempt of a lookup at uSpeedo, by operation (status, templates) and result (OK or the error code).',
    labelNames: ['operation', 'result'] as const,
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  /** Reads not made: the breaker was open, the retry budget was spent, or the wait in line ran out. */
  readonly readsRefused = new Counter({
    name: 'sms_upstream_reads_refused_total',
    help: 'uSpeedo reads (or retries) not made, by reason: breaker (open after repeated failures), retry_budget, queue (waited too long).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly breakerOpenings = new Counter({
    name: 'sms_upstream_breaker_openings_total',
    help: 'Times the breaker on uSpeedo reads opened after repeated failures (it then refuses reads for a while).',
    registers: [this.registry],
  });

  readonly readsShared = new Counter({
    name: 'sms_upstream_reads_shared_total',
    help: 'Reads (receipts, templates) answered by the same read already at uSpeedo, rather than asked again, by operation.',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });
  readonly storeReplicas = new Gauge({
    name: 'sms_state_store_replicas',
    help: 'Redis replicas connected to the primary (the fewest of any primary in a Cluster), counted every 10 s and on each readiness check; below REDIS_MIN_REPLICAS_ACKS every send is refused.',
    registers: [this.registry],
  });
  readonly sockets = new Gauge({
    name: 'sms_ws_sockets',
    help: 'Open WebSocket connections by state: unauthenticated (no caller yet, at most 1000 an instance) or authenticated.',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  readonly storeErrors = new Counter({
    name: 'sms_state_store_errors_total',
    help: 'Redis state store commands that failed, by kind: timeout, connection, late (ran after its deadline, did nothing), cluster, readonly, replication, other.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly storeFailovers = new Counter({
    name: 'sms_state_store_failovers_total',
    help: 'Times a different Redis primary answered than before (a Sentinel promotion, or a Cluster slot moving).',
    registers: [this.registry],
  });

  readonly storeWaitTimeouts = new Counter({
    name: 'sms_state_store_wait_timeouts_total',
    help: 'Sends refused because fewer Redis replicas than REDIS_MIN_REPLICAS_ACKS acknowledged their claim and charge in time (WAIT).',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
