import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../../graphql/context';
import { inSpan } from '../../telemetry/spans';
import { settleResultSpan } from '../shared/result-span';
import { SendBatchSmsInput } from '../send/send-batch-sms.input';
import type { SendBatchSmsError } from '../send/send-batch-sms.result';
import { SendPreviewService } from './send-preview.service';
import { SmsSendPreviewResult, type SmsSendPreview } from './sms-send-preview.result';

/** `smsSendPreview`. */
@Resolver()
export class SmsSendPreviewResolver {
  constructor(private readonly previews: SendPreviewService) {}

  @Query(() => SmsSendPreviewResult, {
    description:
      'What sendBatchSms would send and what it would cost (segments), by message and by country, checked by every rule the send checks, templates always. ' +
      'Sends nothing, charges nothing, claims no idempotencyKey; counts as one lookup against RATE_LIMIT_STATUS_PER_MINUTE.',
  })
  smsSendPreview(
    @Arg('input', () => SendBatchSmsInput) input: SendBatchSmsInput,
    @Ctx() context: GraphQLContext,
  ): Promise<SmsSendPreview | SendBatchSmsError> {
    return inSpan('sms.preview', {}, () => this.previews.preview(input, context.caller, context.log, context.listsCut), settleResultSpan);
  }
}
