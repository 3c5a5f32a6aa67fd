import { Field, ID, InputType, Int } from 'type-graphql';
import { SmsTaskInput } from '../send/send-batch-sms.input';
import { IDEMPOTENCY_KEY_MAX_LENGTH } from '../shared/sms-limits';
import { CAMPAIGN_NAME_MAX_LENGTH, MAX_CAMPAIGN_PAGES } from './campaign-record';

/** A new campaign. */
@InputType({ description: 'A new campaign: a DRAFT that takes pages until it is started.' })
export class CreateSmsCampaignInput {
  @Field(() => String, { description: `1 to ${CAMPAIGN_NAME_MAX_LENGTH} printable characters, for people.` })
  name!: string;

  @Field(() => String, {
    nullable: true,
    description:
      'The same key (scoped to the caller) answers the same campaign again; with another name it is IDEMPOTENCY_CONFLICT. ' +
      `1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters, kept for smsLimits.idempotencyTtlSeconds.`,
  })
  idempotencyKey?: string | null;
}

/** One page of a campaign's targets. */
@InputType({ description: "One page of a campaign's targets, checked by every rule sendBatchSms checks." })
export class AddSmsCampaignTargetsInput {
  @Field(() => ID)
  campaignId!: string;

  @Field(() => Int, {
    description: `The page's number, 0 to ${MAX_CAMPAIGN_PAGES - 1}: pages are sent in this order; any order of adding, gaps allowed.`,
  })
  page!: number;

  @Field(() => [SmsTaskInput], { description: 'As sendBatchSms takes it: at most smsLimits.maxTargetsPerRequest targets.' })
  taskContent!: SmsTaskInput[];
}
