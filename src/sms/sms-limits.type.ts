import { Field, Int, ObjectType } from 'type-graphql';
import type { SmsLimitValues } from './sms-limits';

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
}
