import { GraphQLError } from 'graphql';
import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { READ_SCOPE, SEND_SCOPE } from '../../auth/caller';
import type { GraphQLContext } from '../../graphql/context';
import { inSpan } from '../../telemetry/spans';
import { settleResultSpan } from '../shared/result-span';
import { SendBatchSmsInput } from './send-batch-sms.input';
import { SendBatchSmsResult, type SendBatchSmsError, type SendBatchSmsSuccess } from './send-batch-sms.result';
import { SendBatchService } from './send-batch.service';

/** `sendBatchSms`. */
@Resolver()
export class SendBatchSmsResolver {
  constructor(private readonly send: SendBatchService) {}

  @Mutation(() => SendBatchSmsResult, {
    description: 'Validates a batch and sends it to uSpeedo in one request. Rule breaks and upstream failures are SendBatchSmsError.',
  })
  sendBatchSms(
    @Arg('input', () => SendBatchSmsInput) input: SendBatchSmsInput,
    @Ctx() context: GraphQLContext,
  ): Promise<SendBatchSmsSuccess | SendBatchSmsError> {
    if (!context.caller.canSend) {
      // A read-only token: authenticated, but not for this.
      throw new GraphQLError(`The token grants ${READ_SCOPE} only: sending needs ${SEND_SCOPE}.`, {
        extensions: { code: 'FORBIDDEN', http: { status: 403 } },
      });
    }
    return inSpan(
      'sms.send',
      {},
      () => this.send.sendBatch(input, context.caller, context.log, context.requestId, context.listsCut),
      settleResultSpan,
    );
  }
}
