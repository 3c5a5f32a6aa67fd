import { Field, Int, ObjectType } from 'type-graphql';
import { SmsQueryErrorCode } from './sms-query-error-code.enum';
import { errorResult, SmsError, type ErrorFields } from '../shared/sms-error.result';

/** A lookup that did not answer; `code` says why, `retryable` whether asking again may help. */
@ObjectType({ description: 'A lookup that did not answer. Switch on code; trust retryable.', implements: SmsError })
export class SmsQueryError extends SmsError {
  @Field(() => SmsQueryErrorCode)
  code!: SmsQueryErrorCode;

  @Field(() => Boolean, { description: 'True where asking again may answer: a lookup is safe to repeat.' })
  declare retryable: boolean;

  @Field(() => Int, { nullable: true, description: 'Seconds to wait before asking again, where known.' })
  declare retryAfterSeconds: number | null;
}

/** Builds an `SmsQueryError`; unspecified fields are null, `retryable` false, no field errors. */
export const queryError = (fields: ErrorFields<SmsQueryError>): SmsQueryError => errorResult(SmsQueryError, fields);
