import { DateTimeResolver } from 'graphql-scalars';
import { createUnionType, Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { SmsQueryError } from './sms-query-error.result';

/** What became of one message, as uSpeedo's receipt says. */
export enum SmsReceiptStatus {
  DELIVERED = 'DELIVERED',
  FAILED = 'FAILED',
  UNKNOWN = 'UNKNOWN',
  SUBMIT_FAILED = 'SUBMIT_FAILED',
}

registerEnumType(SmsReceiptStatus, {
  name: 'SmsReceiptStatus',
  description: "A receipt's result.",
  valuesConfig: {
    DELIVERED: { description: 'uSpeedo: Success. Final.' },
    FAILED: { description: 'uSpeedo: Fail (see receiptCode and description). Final.' },
    UNKNOWN: {
      description: "uSpeedo: Unknow, or a result this server does not know (uSpeedo's word is in description). May still change.",
    },
    SUBMIT_FAILED: { description: 'uSpeedo: SubmitFail, not handed to the carrier. Final.' },
  },
});

/** One recipient's delivery receipt. */
@ObjectType({ description: "One recipient's delivery receipt." })
export class SmsReceipt {
  @Field(() => String, { description: 'The phone as uSpeedo reports it.' })
  phone!: string;

  @Field(() => SmsReceiptStatus)
  status!: SmsReceiptStatus;

  @Field(() => String, { nullable: true, description: "The carrier's or uSpeedo's code for the result." })
  receiptCode!: string | null;

  @Field(() => String, { nullable: true, description: "uSpeedo's description of the result." })
  description!: string | null;

  @Field(() => Int, { nullable: true, description: 'SMS segments billed (uSpeedo: CostCount).' })
  billedSegments!: number | null;

  @Field(() => DateTimeResolver, { nullable: true, description: 'When the receipt came (uSpeedo: ReceiptTime).' })
  receivedAt!: Date | null;

  @Field(() => String, { nullable: true })
  countryCode!: string | null;
}

/** One session asked for, in the order asked. */
@ObjectType({ description: 'One session asked for, in the order asked.' })
export class SmsSessionStatus {
  @Field(() => String)
  sessionNo!: string;

  @Field(() => Boolean, {
    description: 'False for a session this caller did not send through this server, or one past retention: never asked of uSpeedo.',
  })
  known!: boolean;

  @Field(() => [SmsReceipt], { description: 'Empty until receipts arrive (uSpeedo: 5 to 10 minutes), and for unknown sessions.' })
  receipts!: SmsReceipt[];

  @Field(() => Int, {
    nullable: true,
    description:
      "How many receipts this session will have: the recipients uSpeedo accepted in it. Null when uSpeedo's answer did not say which " +
      'session holds which recipients (several sessions, not one per task), and for unknown sessions.',
  })
  expectedReceipts!: number | null;

  @Field(() => Boolean, {
    description:
      'True when nothing more will change: the session is known, has its expected receipts (at least one when that number is null), ' +
      'and every receipt is DELIVERED, FAILED or SUBMIT_FAILED.',
  })
  final!: boolean;
}

/** Receipt statuses that do not change again. */
const FINAL_STATUSES: ReadonlySet<SmsReceiptStatus> = new Set([
  SmsReceiptStatus.DELIVERED,
  SmsReceiptStatus.FAILED,
  SmsReceiptStatus.SUBMIT_FAILED,
]);

/** One session's status: `final` follows from the rest. */
export function sessionStatus(
  sessionNo: string,
  known: boolean,
  expectedReceipts: number | null,
  receipts: SmsReceipt[],
): SmsSessionStatus {
  // Unknown expectations wait for one receipt; none expected (every target refused) waits for nothing.
  const final = known && receipts.length >= (expectedReceipts ?? 1) && receipts.every((receipt) => FINAL_STATUSES.has(receipt.status));
  return Object.assign(new SmsSessionStatus(), { sessionNo, known, receipts, expectedReceipts: known ? expectedReceipts : null, final });
}

/** The sessions' receipts. */
@ObjectType({ description: "The sessions' receipts, one entry per session asked, in order." })
export class SmsDeliveryStatus {
  @Field(() => [SmsSessionStatus])
  sessions!: SmsSessionStatus[];

  @Field(() => String, { nullable: true, description: "uSpeedo's request id, when uSpeedo was asked (not for a cached answer)." })
  requestUuid!: string | null;
}

/** What `smsDeliveryStatus` answers: narrow on `__typename`. */
export const SmsDeliveryStatusResult = createUnionType({
  name: 'SmsDeliveryStatusResult',
  description: 'What smsDeliveryStatus answers: narrow on __typename.',
  types: () => [SmsDeliveryStatus, SmsQueryError] as const,
  resolveType: (value) => (value instanceof SmsDeliveryStatus ? SmsDeliveryStatus : SmsQueryError),
});
