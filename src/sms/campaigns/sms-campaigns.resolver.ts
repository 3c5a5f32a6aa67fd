import { GraphQLError } from 'graphql';
import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { READ_SCOPE, SEND_SCOPE } from '../../auth/caller';
import { subscribeFromContext, type GraphQLContext } from '../../graphql/context';
import type { CampaignDelivery } from './campaign-delivery';
import type { CampaignsService } from './campaigns.service';
import { AddSmsCampaignTargetsInput, CreateSmsCampaignInput } from './sms-campaign.input';
import {
  SmsCampaign,
  SmsCampaignDelivery,
  SmsCampaignFailuresResult,
  SmsCampaignResult,
  type SmsCampaignError,
  type SmsCampaignFailureList,
} from './sms-campaign.result';

type Answer = Promise<SmsCampaign | SmsCampaignError>;

function mustSend(context: GraphQLContext): void {
  if (!context.caller.canSend) {
    throw new GraphQLError(`The token grants ${READ_SCOPE} only: campaigns are changed with ${SEND_SCOPE}.`, {
      extensions: { code: 'FORBIDDEN', http: { status: 403 } },
    });
  }
}

/** The campaign operations. */
@Resolver()
export class SmsCampaignsResolver {
  constructor(private readonly campaigns: CampaignsService) {}

  @Mutation(() => SmsCampaignResult, { description: 'Creates a DRAFT campaign owned by this caller (sms:send).' })
  createSmsCampaign(@Arg('input', () => CreateSmsCampaignInput) input: CreateSmsCampaignInput, @Ctx() context: GraphQLContext): Answer {
    mustSend(context);
    return this.campaigns.create(input, context.caller, context.log);
  }

  @Mutation(() => SmsCampaignResult, {
    description:
      "Adds (or, while DRAFT, replaces) one page of targets, checked by every rule sendBatchSms checks, paths under ['page', n]. The same page again is a replay.",
  })
  addSmsCampaignTargets(
    @Arg('input', () => AddSmsCampaignTargetsInput) input: AddSmsCampaignTargetsInput,
    @Ctx() context: GraphQLContext,
  ): Answer {
    mustSend(context);
    return this.campaigns.addTargets(input, context.caller, context.log, context.listsCut);
  }

  @Mutation(() => SmsCampaignResult, { description: 'Checks every template of the campaign, then starts sending it (SENDING).' })
  startSmsCampaign(@Arg('campaignId', () => ID) campaignId: string, @Ctx() context: GraphQLContext): Answer {
    mustSend(context);
    return this.campaigns.start(campaignId, context.caller, context.log);
  }

  @Mutation(() => SmsCampaignResult, { description: 'Stops after the page in flight (PAUSED).' })
  pauseSmsCampaign(@Arg('campaignId', () => ID) campaignId: string, @Ctx() context: GraphQLContext): Answer {
    mustSend(context);
    return this.campaigns.pause(campaignId, context.caller, context.log);
  }

  @Mutation(() => SmsCampaignResult, { description: 'Goes on sending a PAUSED campaign.' })
  resumeSmsCampaign(@Arg('campaignId', () => ID) campaignId: string, @Ctx() context: GraphQLContext): Answer {
    mustSend(context);
    return this.campaigns.resume(campaignId, context.caller, context.log);
  }

  @Mutation(() => SmsCampaignResult, {
    description: 'Stops for good: pages not tried become CANCELLED; a page in flight gets its outcome.',
  })
  cancelSmsCampaign(@Arg('campaignId', () => ID) campaignId: string, @Ctx() context: GraphQLContext): Answer {
    mustSend(context);
    return this.campaigns.cancel(campaignId, context.caller, context.log);
  }

  @Query(() => SmsCampaignResult, { description: "A campaign of this caller's (another caller's answers NOT_FOUND, as an unknown id)." })
  smsCampaign(@Arg('campaignId', () => ID) campaignId: string, @Ctx() context: GraphQLContext): Answer {
    return this.campaigns.get(campaignId, context.caller, context.log);
  }

  @Query(() => SmsCampaignFailuresResult, {
    description:
      'Every failed and skipped target, in page, task and target order, with its row: `first` (1 to 1000) after the cursor `after`.',
  })
  smsCampaignFailures(
    @Arg('campaignId', () => ID) campaignId: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: 100 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() context: GraphQLContext,
  ): Promise<SmsCampaignFailureList | SmsCampaignError> {
    return this.campaigns.failures(campaignId, first ?? 100, after, context.caller, context.log);
  }

  @Subscription(() => SmsCampaignResult, {
    description:
      'The campaign at once, then each time its state, counts or delivery change (at most one event a second). Completes after DONE or CANCELLED ' +
      'once nothing awaits delivery, or after DELIVERY_FOLLOW_MAX_SECONDS. Counted with smsDeliveryUpdates against SUBSCRIPTIONS_PER_CALLER.',
    subscribe: subscribeFromContext,
  })
  smsCampaignUpdates(
    @Root() update: SmsCampaign | SmsCampaignError,
    @Arg('campaignId', () => ID) _campaignId: string,
  ): SmsCampaign | SmsCampaignError {
    return update;
  }
}

/** `SmsCampaign.delivery`: the receipts read only when a document asks for them. */
@Resolver(() => SmsCampaign)
export class SmsCampaignFieldsResolver {
  constructor(
    private readonly campaigns: CampaignsService,
    private readonly deliveries: CampaignDelivery,
  ) {}

  @FieldResolver(() => SmsCampaignDelivery)
  async delivery(@Root() campaign: SmsCampaign, @Ctx() context: GraphQLContext): Promise<SmsCampaignDelivery> {
    if (campaign.delivery) return campaign.delivery;
    const record = await this.campaigns.owned(campaign.id, context.caller);
    const fallback = Object.assign(new SmsCampaignDelivery(), { delivered: 0, undelivered: 0, awaiting: campaign.sent });
    return record ? this.deliveries.of(record, context.caller, context.log) : fallback;
  }
}
