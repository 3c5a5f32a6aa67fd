import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../../graphql/context';
import { inSpan } from '../../telemetry/spans';
import { settleResultSpan } from '../shared/result-span';
import { DeliveryStatusService } from './delivery-status.service';
import { SmsDeliveryStatusResult, type SmsDeliveryStatus } from './sms-delivery-status.result';
import type { SmsQueryError } from './sms-query-error.result';
import { SmsTemplatesResult, type SmsTemplateList } from './sms-templates.result';
import { TemplatesService } from './templates.service';

/** After the send: `smsDeliveryStatus` and `smsTemplates`. */
@Resolver()
export class SmsLookupsResolver {
  constructor(
    private readonly status: DeliveryStatusService,
    private readonly templateLookups: TemplatesService,
  ) {}

  @Query(() => SmsDeliveryStatusResult, {
    description:
      'Delivery receipts for sessions this caller sent through this server (1 to 100 sessionNos, no repeats), one entry per session in the order asked. ' +
      'Any other session is known: false and is never asked of uSpeedo. Receipts take 5 to 10 minutes to appear; poll with backoff.',
  })
  smsDeliveryStatus(
    @Arg('sessionNos', () => [String]) sessionNos: string[],
    @Ctx() context: GraphQLContext,
  ): Promise<SmsDeliveryStatus | SmsQueryError> {
    return inSpan(
      'sms.delivery_status',
      { 'sms.sessions': sessionNos.length },
      () => this.status.deliveryStatus(sessionNos, context.caller, context.log, context.listsCut),
      settleResultSpan,
    );
  }

  @Query(() => SmsTemplatesResult, {
    description: "uSpeedo's templates by id (1 to 100, no repeats); ids uSpeedo does not know are in missingTemplateIds.",
  })
  smsTemplates(
    @Arg('templateIds', () => [String]) templateIds: string[],
    @Ctx() context: GraphQLContext,
  ): Promise<SmsTemplateList | SmsQueryError> {
    return inSpan(
      'sms.templates',
      { 'sms.templates': templateIds.length },
      () => this.templateLookups.templates(templateIds, context.caller, context.log, context.listsCut),
      settleResultSpan,
    );
  }
}
