import type { SmsFeature } from '../feature';
import { SmsLimits } from './sms-limits.result';
import { SmsLimitsResolver } from './sms-limits.resolver';

/** `smsLimits`: the limits in force, as configured. */
export const limitsFeature: SmsFeature = {
  name: 'limits',
  resolvers: [SmsLimitsResolver],
  build({ config }) {
    const limits = SmsLimits.from(config.limits, config.rateLimits, config.idempotencyTtlSeconds);
    return { resolvers: [[SmsLimitsResolver, new SmsLimitsResolver(limits)]] };
  },
};
