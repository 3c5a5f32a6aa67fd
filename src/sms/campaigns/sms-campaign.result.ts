import { DateTimeResolver } from 'graphql-scalars';
import { createUnionType, Field, ID, Int, ObjectType } from 'type-graphql';
import { SmsCountryPreview } from '../preview/sms-send-preview.result';
import { errorResult, SmsError, type ErrorFields } from '../shared/sms-error.result';
import { SmsCampaignErrorCode, SmsCampaignFailureCode, SmsCampaignPageState, SmsCampaignState } from './sms-campaign-enums';

/** A campaign call that did not do what it asked; `code` says why. */
@ObjectType({ description: 'A campaign call that did not do what it asked. Switch on code; trust retryable.', implements: SmsError })
export class SmsCampaignError extends SmsError {
  @Field(() => SmsCampaignErrorCode)
  code!: SmsCampaignErrorCode;
}

/** Builds an `SmsCampaignError`; unspecified fields are null, `retryable` false, no field errors. */
export const campaignError = (fields: ErrorFields<SmsCampaignError>): SmsCampaignError => errorResult(SmsCampaignError, fields);

/** One page of a campaign. */
@ObjectType({ description: 'One page of a campaign: one uSpeedo call at most.' })
export class SmsCampaignPage {
  @Field(() => Int)
  page!: number;

  @Field(() => Int)
  recipients!: number;

  @Field(() => SmsCampaignPageState)
  state!: SmsCampaignPageState;

  @Field(() => [String], { description: "uSpeedo's session numbers for this page, once SENT." })
  sessionNos!: string[];

  @Field(() => SmsCampaignError, { nullable: true, description: 'Why it FAILED or its outcome is unknown; null otherwise.' })
  error!: SmsCampaignError | null;
}

/** What the receipts of a campaign's sessions say. */
@ObjectType({ description: "What the receipts of a campaign's sessions say, counted over the recipients uSpeedo accepted." })
export class SmsCampaignDelivery {
  @Field(() => Int, { description: 'Receipts DELIVERED.' })
  delivered!: number;

  @Field(() => Int, { description: 'Receipts FAILED or SUBMIT_FAILED.' })
  undelivered!: number;

  @Field(() => Int, { description: 'Accepted recipients with no final receipt yet.' })
  awaiting!: number;
}

/** A campaign. */
@ObjectType({ description: 'A campaign: pages of targets sent one uSpeedo call each, exactly once, at a shared pace.' })
export class SmsCampaign {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => SmsCampaignState)
  state!: SmsCampaignState;

  @Field(() => SmsCampaignError, {
    nullable: true,
    description: 'Why it is not sending right now, when the server holds it (a limit, uSpeedo refusing our credentials); else null.',
  })
  blockedBy!: SmsCampaignError | null;

  @Field(() => Int, { description: 'Targets in all pages. Always sent + failed + skipped + outcomeUnknown + pending + cancelled.' })
  recipients!: number;

  @Field(() => [SmsCampaignPage], { description: 'By page number.' })
  pages!: SmsCampaignPage[];

  @Field(() => Int, {
    nullable: true,
    description: 'Billed SMS for the whole campaign, as smsSendPreview counts them; null while any text is unknown.',
  })
  segments!: number | null;

  @Field(() => [SmsCountryPreview], { description: 'By calling code, most recipients first.' })
  countries!: SmsCountryPreview[];

  @Field(() => Int, { description: 'Accepted by uSpeedo.' })
  sent!: number;

  @Field(() => Int, { description: 'Refused by uSpeedo: its FailedTargetPhones, or a refused page.' })
  failed!: number;

  @Field(() => Int, { description: "Not sent by this server's rules at send time (a number over its limit)." })
  skipped!: number;

  @Field(() => Int, { description: 'In pages whose outcome is unknown.' })
  outcomeUnknown!: number;

  @Field(() => Int, { description: 'Not tried yet.' })
  pending!: number;

  @Field(() => Int, { description: 'Never tried: the campaign was cancelled.' })
  cancelled!: number;

  @Field(() => SmsCampaignDelivery, { description: 'From the receipts of its sessions, read only when asked.' })
  delivery!: SmsCampaignDelivery;

  @Field(() => DateTimeResolver)
  createdAt!: Date;

  @Field(() => DateTimeResolver, { nullable: true })
  startedAt!: Date | null;

  @Field(() => DateTimeResolver, { nullable: true })
  finishedAt!: Date | null;
}

/** One target that was not sent, on its row. */
@ObjectType({ description: 'One target of a campaign that was not sent, on its row.' })
export class SmsCampaignFailure {
  @Field(() => [String], { description: 'Its row: ["page","3","taskContent","0","target","17"].' })
  path!: string[];

  @Field(() => String)
  e164!: string;

  @Field(() => SmsCampaignFailureCode)
  code!: SmsCampaignFailureCode;

  @Field(() => String, { description: "Why: uSpeedo's reason (cleaned, as failureReason is), or this server's." })
  reason!: string;
}

/** A page of failures. */
@ObjectType({ description: 'Failed and skipped targets in page, task and target order.' })
export class SmsCampaignFailureList {
  @Field(() => [SmsCampaignFailure])
  items!: SmsCampaignFailure[];

  @Field(() => String, { nullable: true, description: 'Pass as after for the next items; null when there are none.' })
  endCursor!: string | null;

  @Field(() => Boolean)
  hasMore!: boolean;
}

/** What every campaign call answers: narrow on `__typename`. */
export const SmsCampaignResult = createUnionType({
  name: 'SmsCampaignResult',
  description: 'A campaign, or why the call did not do what it asked.',
  types: () => [SmsCampaign, SmsCampaignError] as const,
  resolveType: (value) => (value instanceof SmsCampaign ? SmsCampaign : SmsCampaignError),
});

/** What `smsCampaignFailures` answers. */
export const SmsCampaignFailuresResult = createUnionType({
  name: 'SmsCampaignFailuresResult',
  description: "A campaign's failures, or why they cannot be listed.",
  types: () => [SmsCampaignFailureList, SmsCampaignError] as const,
  resolveType: (value) => (value instanceof SmsCampaignFailureList ? SmsCampaignFailureList : SmsCampaignError),
});
