import { createUnionType, Field, Int, ObjectType } from 'type-graphql';
import { SendBatchSmsErrorCode } from './send-batch-sms-error-code.enum';
import { errorResult, SmsError, type ErrorFields } from '../shared/sms-error.result';

/** A recipient uSpeedo did not accept, though the batch as a whole succeeded. */
@ObjectType({ description: 'A recipient uSpeedo did not accept, though the batch as a whole succeeded.' })
export class FailedTargetPhone {
  @Field(() => String, { description: 'The phone number as uSpeedo reported it.' })
  phone!: string;

  @Field(() => [String])
  templateParams!: string[];

  @Field(() => String, { description: "uSpeedo's reason, e.g. a blacklisted number." })
  failureReason!: string;

  @Field(() => [String], {
    description:
      'The input row of this target, as fieldErrors write paths: ["taskContent","0","target","3"]. Empty only when uSpeedo named a number this batch does not hold.',
  })
  path!: string[];

  @Field(() => String, { description: 'The number in E.164 (+85255310000), as this server reads the phone uSpeedo wrote.' })
  e164!: string;
}

/** uSpeedo accepted the batch (RetCode 0); some recipients may still have failed. */
@ObjectType({ description: 'uSpeedo accepted the batch (RetCode 0). Check failedTargetPhones: success can be partial.' })
export class SendBatchSmsSuccess {
  @Field(() => [String], { description: 'Session numbers for querying delivery status later.' })
  sessionNos!: string[];

  @Field(() => [FailedTargetPhone])
  failedTargetPhones!: FailedTargetPhone[];

  @Field(() => String, { description: "uSpeedo's Message." })
  message!: string;

  @Field(() => String, { nullable: true, description: "uSpeedo's request id (X-Speedo-Request-Uuid): quote it to their support." })
  requestUuid!: string | null;
}

/** The batch was not sent, or its outcome is unknown; `code` says which. */
@ObjectType({ description: 'The batch was not sent, or its outcome is unknown. Switch on code; trust retryable.', implements: SmsError })
export class SendBatchSmsError extends SmsError {
  @Field(() => SendBatchSmsErrorCode)
  code!: SendBatchSmsErrorCode;

  @Field(() => Boolean, { description: 'True only where a retry cannot send the same SMS twice.' })
  declare retryable: boolean;

  @Field(() => Int, { nullable: true, description: 'Seconds to wait before retrying, where uSpeedo said so.' })
  declare retryAfterSeconds: number | null;
}

/** What `sendBatchSms` answers: narrow on `__typename`. */
export const SendBatchSmsResult = createUnionType({
  name: 'SendBatchSmsResult',
  description: 'What sendBatchSms answers: narrow on __typename.',
  types: () => [SendBatchSmsSuccess, SendBatchSmsError] as const,
  resolveType: (value) => (value instanceof SendBatchSmsSuccess ? SendBatchSmsSuccess : SendBatchSmsError),
});

/** Builds a `SendBatchSmsSuccess` from plain fields. */
export function success(fields: SendBatchSmsSuccess): SendBatchSmsSuccess {
  return Object.assign(new SendBatchSmsSuccess(), fields);
}

/** Builds a `SendBatchSmsError`; unspecified fields are null, `retryable` false, no field errors. */
export const failure = (fields: ErrorFields<SendBatchSmsError>): SendBatchSmsError => errorResult(SendBatchSmsError, fields);
