import { Counter, Gauge, type Registry } from 'prom-client';

/** smsDeliveryUpdates's metrics, registered in the app's registry. */
export function followMetrics(registry: Registry) {
  return {
    subscriptions: new Gauge({
      name: 'sms_subscriptions_active',
      help: 'smsDeliveryUpdates subscriptions open on this instance.',
      registers: [registry],
    }),

    /** Sessions this instance's subscribers follow and that are not final yet: what each poll asks. */
    followedSessions: new Gauge({
      name: 'sms_followed_sessions',
      help: 'Sessions followed by smsDeliveryUpdates subscribers on this instance and not final yet (asked of uSpeedo at each poll).',
      registers: [registry],
    }),

    /** The follower's polls of uSpeedo, by result. */
    deliveryPolls: new Counter({
      name: 'sms_delivery_polls_total',
      help: 'Polls of uSpeedo for followed sessions, by result: changed (a receipt changed), unchanged, or failed.',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
  };
}

/** smsDeliveryUpdates's metrics. */
export type FollowMetrics = ReturnType<typeof followMetrics>;
