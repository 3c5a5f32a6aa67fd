import { Field, Int, InterfaceType } from 'type-graphql';
import { FieldError } from './field-error.result';

/** What both error results share, so a client can select them once with `... on SmsError`. */
@InterfaceType({ description: 'What SendBatchSmsError and SmsQueryError share: select them once with ... on SmsError.' })
export abstract class SmsError {
  @Field(() => String)
  message!: string;

  @Field(() => Boolean, { description: 'True where trying again cannot do harm and may help.' })
  retryable!: boolean;

  @Field(() => Int, { nullable: true, description: 'Seconds to wait before trying again, where known.' })
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

/** The fields an error result names; `code` and `message` it must. */
export type ErrorFields<T extends SmsError & { code: string }> = Pick<T, 'code' | 'message'> & Partial<T>;

/** Builds an error result of `type`; unspecified fields are null, `retryable` false, no field errors. */
export function errorResult<T extends SmsError & { code: string }>(type: new () => T, fields: ErrorFields<T>): T {
  return Object.assign(new type(), {
    retryable: false,
    retryAfterSeconds: null,
    retCode: null,
    httpStatus: null,
    fieldErrors: [],
    requestUuid: null,
    ...fields,
  });
}
