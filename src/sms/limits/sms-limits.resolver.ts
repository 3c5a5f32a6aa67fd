import { Query, Resolver } from 'type-graphql';
import { SmsLimits } from './sms-limits.result';

/** `smsLimits`: what this server enforces, as configured. */
@Resolver()
export class SmsLimitsResolver {
  constructor(private readonly limits: SmsLimits) {}

  @Query(() => SmsLimits, { description: 'The limits this server enforces, so a client can check a batch before sending it.' })
  smsLimits(): SmsLimits {
    return this.limits;
  }
}
