import { Field, Int, ObjectType } from 'type-graphql';
import { SmsQueryErrorCode } from './sms-query-error-code.enum';
import { FieldError } from './send-batch-sms.result';

/** A lookup that did not answer; `code` says why, `retryable` whether asking again may help. */
@ObjectType({ description: 'A lookup that did not answer. Switch on code; trust retryable.' })
export class SmsQueryError {
  @Field(() => SmsQueryErrorCode)
  code!: SmsQueryErrorCode;

  @Field(() => String)
  message!: string;

  @Field(() => Boolean, { description: 'True where asking again may answer: a lookup is safe to repeat.' })
  retryable!: boolean;

  @Field(() => Int, { nullable: true, description: 'Seconds to wait before asking again, where known.' })
  retryAfterSeconds!: number | null;

  @Field(() => Int, { nullable: true, description: "uSpeedo's RetCode, where it answered with one." })
  retCode!: number | null;

  @Field(() => Int, { nullable: true, description: "uSpeedo's HTTP status, where it answered." })
  httpStatus!: number | null;

  @Field(() => [FieldError], { description: 'Every rule the input broke (INVALID_INPUT); empty otherwise.' })
  fieldErrors!: FieldError[];

  @Field(() => String, { nullable: true, description: "uSpeedo's request id (X-Speedo-Request-Uuid), where it answered." })
  requestUuid!: string | null;
}

/** Builds an `SmsQueryError`; unspecified fields are null, `retryable` false, no field errors. */
export function queryError(fields: Pick<SmsQueryError, 'code' | 'message'> & Partial<SmsQueryError>): SmsQueryError {
  return Object.assign(new SmsQueryError(), {
    retryable: false,
    retryAfterSeconds: null,
    retCode: null,
    httpStatus: null,
    fieldErrors: [],
    requestUuid: null,
    ...fields,
  });
}
