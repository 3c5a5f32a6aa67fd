import { createUnionType, Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { SmsQueryError } from './sms-query-error.result';

/** What a template is for (uSpeedo: Purpose 1, 2, 3). */
export enum SmsTemplatePurpose {
  VERIFICATION = 'VERIFICATION',
  NOTIFICATION = 'NOTIFICATION',
  MARKETING = 'MARKETING',
}

/** Where a template is in uSpeedo's review (uSpeedo: Status 0 to 3). */
export enum SmsTemplateStatus {
  PENDING_REVIEW = 'PENDING_REVIEW',
  UNDER_REVIEW = 'UNDER_REVIEW',
  APPROVED = 'APPROVED',
  REJECTED = 'REJECTED',
  UNKNOWN = 'UNKNOWN',
}

registerEnumType(SmsTemplatePurpose, { name: 'SmsTemplatePurpose', description: 'What a template is for.' });
registerEnumType(SmsTemplateStatus, {
  name: 'SmsTemplateStatus',
  description: "Where a template is in uSpeedo's review. Only APPROVED templates send.",
  valuesConfig: { UNKNOWN: { description: 'A status this server does not know.' } },
});

/** One of uSpeedo's templates. */
@ObjectType({ description: "One of uSpeedo's templates." })
export class SmsTemplate {
  @Field(() => String)
  templateId!: string;

  @Field(() => String, { nullable: true })
  name!: string | null;

  @Field(() => String, { description: 'The text, with variables {1}, {2}, …' })
  content!: string;

  @Field(() => SmsTemplatePurpose, { nullable: true })
  purpose!: SmsTemplatePurpose | null;

  @Field(() => SmsTemplateStatus)
  status!: SmsTemplateStatus;

  @Field(() => Int, { description: 'The highest {n} in the text: how many templateParams a target needs (0 for none).' })
  variableCount!: number;
}

/** The templates found, and the ids uSpeedo does not know. */
@ObjectType({ description: 'The templates found, in the order asked, and the ids uSpeedo does not know.' })
export class SmsTemplateList {
  @Field(() => [SmsTemplate])
  templates!: SmsTemplate[];

  @Field(() => [String])
  missingTemplateIds!: string[];

  @Field(() => String, { nullable: true, description: "uSpeedo's request id, when uSpeedo was asked (not for a cached answer)." })
  requestUuid!: string | null;
}

/** What `smsTemplates` answers: narrow on `__typename`. */
export const SmsTemplatesResult = createUnionType({
  name: 'SmsTemplatesResult',
  description: 'What smsTemplates answers: narrow on __typename.',
  types: () => [SmsTemplateList, SmsQueryError] as const,
  resolveType: (value) => (value instanceof SmsTemplateList ? SmsTemplateList : SmsQueryError),
});
