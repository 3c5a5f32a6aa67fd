import { Field, Int, ObjectType } from 'type-graphql';
import type { RateLimitValues } from '../../guard/rate-limits';
import type { SmsLimitValues } from '../shared/sms-limits';

/** The limits this server enforces, so a client can check a batch before sending it. */
@ObjectType({ description: 'The limits this server enforces, so a client can check a batch before sending it.' })
export class SmsLimits implements SmsLimitValues {
  @Field(() => Int, { description: 'Phone numbers in one request, across all tasks.' })
  maxTargetsPerRequest!: number;

  @Field(() => Int, { description: 'Tasks in one request.' })
  maxTasksPerRequest!: number;

  @Field(() => Int, { description: 'templateParams entries per target.' })
  maxTemplateParamsPerTarget!: number;

  @Field(() => Int, { description: 'Characters (Unicode code points) in one template parameter.' })
  maxTemplateParamLength!: number;

  @Field(() => Int, { description: 'Characters in senderId.' })
  maxSenderIdLength!: number;

  @Field(() => Int, { description: 'Distinct templateIds in one request.' })
  maxTemplatesPerRequest!: number;

  @Field(() => Int, { description: 'Recipients one caller may send to per minute; 0 = no limit.' })
  rateLimitCallerPerMinute!: number;

  @Field(() => Int, { description: 'Recipients one caller may send to per UTC day; 0 = no limit.' })
  rateLimitCallerPerDay!: number;

  @Field(() => Int, { description: 'Messages one phone number may receive per hour, across all callers; 0 = no limit.' })
  rateLimitPhonePerHour!: number;

  @Field(() => Int, { description: 'Messages one phone number may receive per UTC day, across all callers; 0 = no limit.' })
  rateLimitPhonePerDay!: number;

  @Field(() => Int, { description: 'Recipients per UTC day across all callers (the spend ceiling); 0 = no limit.' })
  rateLimitGlobalPerDay!: number;

  @Field(() => [String], { description: 'Country calling codes numbers may be in, e.g. ["86","852"]; empty = all.' })
  allowedCountryCodes!: string[];

  @Field(() => Int, { description: 'How long an idempotencyKey and its result are kept.' })
  idempotencyTtlSeconds!: number;

  /** What `smsLimits` reports, from the configured values. */
  static from(batch: SmsLimitValues, rate: RateLimitValues, idempotencyTtlSeconds: number): SmsLimits {
    return Object.assign(new SmsLimits(), batch, {
      rateLimitCallerPerMinute: rate.callerPerMinute,
      rateLimitCallerPerDay: rate.callerPerDay,
      rateLimitPhonePerHour: rate.phonePerHour,
      rateLimitPhonePerDay: rate.phonePerDay,
      rateLimitGlobalPerDay: rate.globalPerDay,
      allowedCountryCodes: rate.allowedCountryCodes,
      idempotencyTtlSeconds,
    } satisfies Omit<SmsLimits, keyof SmsLimitValues>);
  }
}
