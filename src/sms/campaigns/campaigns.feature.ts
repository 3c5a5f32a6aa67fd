import { Idempotency, LEASE_MARGIN_MS } from '../../guard/idempotency';
import type { GraphQLContext } from '../../graphql/context';
import { needs, type SmsFeature } from '../feature';
import { BatchCheck } from '../send/batch-check';
import { TemplateCheck } from '../send/template-check';
import { CampaignDelivery } from './campaign-delivery';
import { CampaignDocuments } from './campaign-documents';
import { CampaignPageSender } from './campaign-page-sender';
import { CampaignRunner, PACE_SLACK_MS } from './campaign-runner';
import { CampaignUpdates } from './campaign-updates';
import { CampaignsService } from './campaigns.service';
import { campaignMetrics } from './campaigns.metrics';
import type { AddSmsCampaignTargetsInput } from './sms-campaign.input';
import { SmsCampaignFieldsResolver, SmsCampaignsResolver } from './sms-campaigns.resolver';

/** The wait between a runner's looks while no campaign has a page to send. */
const RUNNER_IDLE_MS = 500;

/** Campaigns: lists larger than one batch, page by page, each page once, paced across instances, followed live. */
export const campaignsFeature: SmsFeature = {
  name: 'campaigns',
  resolvers: [SmsCampaignsResolver, SmsCampaignFieldsResolver],
  rootFields: { addSmsCampaignTargets: { once: 'add one page a request' } },
  build({ config, store, uspeedo, rateLimiter, sessions, metrics: shared, log, refusalsFor }, services) {
    const templates = needs(services, 'templates', 'campaigns');
    const metrics = campaignMetrics(shared.registry);
    const docs = new CampaignDocuments(store);
    const { limits, rateLimits, state } = config;
    const settings = {
      ...config.campaigns,
      retentionSeconds: config.lookups.retentionSeconds,
      idempotencyTtlSeconds: config.idempotencyTtlSeconds,
    };
    const replicasWaitMs = state.redis && state.redisMinReplicasAcks > 0 ? state.redisWaitTimeoutMs : 0;
    // A page's claim is held through the replica wait, its wait for the pace and its POST.
    const leaseMs = config.uspeedo.timeoutMs + LEASE_MARGIN_MS + replicasWaitMs + PACE_SLACK_MS;
    // A page's key lives as long as its campaign may, so it can never be sent again while the campaign exists.
    const keyTtlSeconds =
      Math.max(config.idempotencyTtlSeconds, config.lookups.retentionSeconds, config.campaigns.draftTtlSeconds) + 30 * 86_400;
    const sender = new CampaignPageSender(
      uspeedo,
      limits,
      rateLimits.allowedCountryCodes,
      rateLimiter,
      new Idempotency(store, keyTtlSeconds, leaseMs),
      sessions,
      (writes) => store.replicate(writes),
    );
    const runner = new CampaignRunner(
      docs,
      store,
      sender,
      {
        recipientsPerMinute: config.campaigns.recipientsPerMinute,
        pageLeaseMs: leaseMs + LEASE_MARGIN_MS,
        retentionSeconds: settings.retentionSeconds,
        idleMs: RUNNER_IDLE_MS,
      },
      metrics,
      log.child({ campaigns: true }),
    );
    const templateCheck = new TemplateCheck(templates, null, false);
    const campaigns = new CampaignsService(
      docs,
      store,
      new BatchCheck(limits, rateLimits.allowedCountryCodes, templateCheck),
      templates,
      templateCheck,
      limits,
      rateLimits.allowedCountryCodes,
      settings,
      () => runner.wake(),
      metrics,
    );
    const delivery = new CampaignDelivery(
      needs(services, 'deliveryStatus', 'campaigns'),
      refusalsFor({ operation: 'campaign', query: 'smsCampaign' }),
    );
    const updates = new CampaignUpdates(campaigns, delivery, needs(services, 'subscriptionSlots', 'campaigns'), config.follow);
    const resolver = new SmsCampaignsResolver(campaigns);
    runner.start();
    return {
      resolvers: [
        [SmsCampaignsResolver, resolver],
        [SmsCampaignFieldsResolver, new SmsCampaignFieldsResolver(campaigns, delivery)],
      ],
      subscriptions: {
        smsCampaignUpdates: (args, context) => updates.follow(args.campaignId as string, context.caller, context.log),
      },
      coercedArgs: {
        addSmsCampaignTargets: (args, context: GraphQLContext) =>
          resolver.addSmsCampaignTargets(args.input as AddSmsCampaignTargetsInput, context),
      },
      close: async () => {
        updates.close();
        await runner.close();
      },
    };
  },
};
