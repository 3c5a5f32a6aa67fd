import { GraphQLError } from 'graphql';
import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import { READ_SCOPE, SEND_SCOPE } from '../../auth/caller';
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
      'Sends nothing, charges nothing, claims no idempotencyKey; counts as one lookup against RATE_LIMIT_STATUS_PER_MINUTE, and each template id it asks uSpeedo for against RATE_LIMIT_TEMPLATES_PER_MINUTE. ' +
      'Needs the sms:send scope, as the send does. rateLimit counts each number once, however often the batch names it.',
  })
  smsSendPreview(
    @Arg('input', () => SendBatchSmsInput) input: SendBatchSmsInput,
    @Ctx() context: GraphQLContext,
  ): Promise<SmsSendPreview | SendBatchSmsError> {
    if (!context.caller.canSend) {
      // A reader has no batch to preview, and the preview reads the per-number limits every send shares.
      throw new GraphQLError(`The token grants ${READ_SCOPE} only: previewing a send needs ${SEND_SCOPE}.`, {
        extensions: { code: 'FORBIDDEN', http: { status: 403 } },
      });
    }
    return inSpan('sms.preview', {}, () => this.previews.preview(input, context.caller, context.log, context.listsCut), settleResultSpan);
  }
}
