import { Arg, Resolver, Root, Subscription } from 'type-graphql';
import { subscribeFromContext } from '../../graphql/context';
import { SmsDeliveryStatusResult, type SmsDeliveryStatus } from '../lookups/sms-delivery-status.result';
import type { SmsQueryError } from '../lookups/sms-query-error.result';

/** `smsDeliveryUpdates`: delivery status pushed over GraphQL over WebSocket; its events come from the follow feature's follower. */
@Resolver()
export class SmsDeliveryUpdatesResolver {
  @Subscription(() => SmsDeliveryStatusResult, {
    description:
      'The delivery status of sessions this caller sent (1 to 100 sessionNos, no repeats), as smsDeliveryStatus answers it: at once, then each time a receipt ' +
      'changes. Completes when every known session is final, or after DELIVERY_FOLLOW_MAX_SECONDS. Served over WebSocket (graphql-transport-ws) on /graphql. ' +
      'The server polls uSpeedo once for every subscriber; an SmsQueryError is sent after DELIVERY_POLL_FAILURES failed polls in a row, and the subscription stays open. ' +
      'When uSpeedo fails the first read, a retryable SmsQueryError comes first and the subscription stays open: the status follows at the next poll uSpeedo answers.',
    subscribe: subscribeFromContext,
  })
  smsDeliveryUpdates(
    @Root() update: SmsDeliveryStatus | SmsQueryError,
    @Arg('sessionNos', () => [String]) _sessionNos: string[],
  ): SmsDeliveryStatus | SmsQueryError {
    return update;
  }
}
