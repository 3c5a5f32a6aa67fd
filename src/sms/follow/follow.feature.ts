import { OpenCounts } from '../../guard/open-counts';
import { needs, type SmsFeature } from '../feature';
import { DeliveryFollower } from './delivery-follower';
import { followMetrics } from './follow.metrics';
import { SmsDeliveryUpdatesResolver } from './sms-delivery-updates.resolver';

/** `smsDeliveryUpdates`: delivery status pushed, one poll of uSpeedo for every subscriber of the instance. */
export const followFeature: SmsFeature = {
  name: 'follow',
  resolvers: [SmsDeliveryUpdatesResolver],
  build({ config, metrics, log, refusalsFor }, services) {
    const subscriptionSlots = new OpenCounts();
    const follower = new DeliveryFollower(
      needs(services, 'deliveryStatus', 'follow'),
      refusalsFor({ operation: 'follow', query: 'smsDeliveryUpdates' }),
      config.follow,
      { ...followMetrics(metrics.registry), lookups: metrics.lookups },
      log.child({ follow: true }),
      subscriptionSlots,
    );
    return {
      resolvers: [[SmsDeliveryUpdatesResolver, new SmsDeliveryUpdatesResolver()]],
      subscriptions: {
        smsDeliveryUpdates: (args, context) => follower.follow(args.sessionNos as string[], context.caller, context.log, context.listsCut),
      },
      services: { subscriptionSlots },
      close: async () => follower.close(),
    };
  },
};
