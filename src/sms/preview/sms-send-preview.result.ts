import { createUnionType, Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { SendBatchSmsError } from '../send/send-batch-sms.result';

/** How a message is encoded, which sets how many characters fit in one SMS. */
export const SmsEncoding = { GSM_7: 'GSM_7', UCS_2: 'UCS_2' } as const;
export type SmsEncoding = (typeof SmsEncoding)[keyof typeof SmsEncoding];

registerEnumType(SmsEncoding, {
  name: 'SmsEncoding',
  description: 'How a message is encoded.',
  valuesConfig: {
    GSM_7: { description: 'GSM 03.38: 160 characters in one SMS, 153 a part once split; € [ ] { } ~ ^ | \\ count two.' },
    UCS_2: { description: 'Any character outside GSM-7 makes the whole message UCS-2: 70 UTF-16 units, 67 a part; an emoji is two.' },
  },
});

/** One message as its recipient will receive it. */
@ObjectType({ description: 'One message as its recipient will receive it.' })
export class SmsMessagePreview {
  @Field(() => [String], { description: 'Its target in the input: ["taskContent","0","target","3"].' })
  path!: string[];

  @Field(() => String, { description: 'The number in E.164, as this server understood the input.' })
  phone!: string;

  @Field(() => String, { description: 'The calling code without "+", as receipts write it ("86").' })
  countryCode!: string;

  @Field(() => String, {
    nullable: true,
    description: 'The template with its {n} filled in; null when the templates could not be looked up.',
  })
  text!: string | null;

  @Field(() => SmsEncoding, { nullable: true })
  encoding!: SmsEncoding | null;

  @Field(() => Int, { nullable: true, description: "Its length in the encoding's units (GSM-7 septets, UTF-16 units)." })
  characters!: number | null;

  @Field(() => Int, { nullable: true, description: 'The SMS it is billed as: 1, or the parts of a split message.' })
  segments!: number | null;
}

/** The messages to one country. */
@ObjectType({ description: 'The messages to one country.' })
export class SmsCountryPreview {
  @Field(() => String, { description: 'The calling code without "+".' })
  countryCode!: string;

  @Field(() => Int)
  recipients!: number;

  @Field(() => Int, { nullable: true, description: 'Their segments; null when any text is unknown.' })
  segments!: number | null;
}

/** What a batch will send and cost, before anything is sent. */
@ObjectType({ description: 'What a batch will send and cost, before anything is sent. A preview spends nothing.' })
export class SmsSendPreview {
  @Field(() => Int)
  recipients!: number;

  @Field(() => Int, { nullable: true, description: 'The SMS uSpeedo bills: the sum over messages; null when any text is unknown.' })
  segments!: number | null;

  @Field(() => Boolean, { description: 'False when the template lookup failed: the texts are then null, every other rule still checked.' })
  templatesChecked!: boolean;

  @Field(() => [SmsMessagePreview], { description: 'One per target, in input order.' })
  messages!: SmsMessagePreview[];

  @Field(() => [SmsCountryPreview], { description: 'By calling code, most recipients first.' })
  countries!: SmsCountryPreview[];

  @Field(() => SendBatchSmsError, {
    nullable: true,
    description: 'The RATE_LIMITED answer sendBatchSms would give now (nothing was charged), or null.',
  })
  rateLimit!: SendBatchSmsError | null;
}

/** What `smsSendPreview` answers: narrow on `__typename`. */
export const SmsSendPreviewResult = createUnionType({
  name: 'SmsSendPreviewResult',
  description: 'What smsSendPreview answers: the preview, or the SendBatchSmsError sendBatchSms would give this batch.',
  types: () => [SmsSendPreview, SendBatchSmsError] as const,
  resolveType: (value) => (value instanceof SmsSendPreview ? SmsSendPreview : SendBatchSmsError),
});
