import { GraphQLError } from 'graphql';
import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { READ_SCOPE, SEND_SCOPE } from '../auth/caller';
import type { GraphQLContext } from '../graphql/context';
import { SendBatchSmsInput } from './send-batch-sms.input';
import { SendBatchSmsResult, type SendBatchSmsError, type SendBatchSmsSuccess } from './send-batch-sms.result';
import { SmsLimits } from './sms-limits.type';
import { SmsService } from './sms.service';

/** The SMS API: `smsLimits` and `sendBatchSms`. */
@Resolver()
export class SmsResolver {
  constructor(private readonly sms: SmsService) {}

  @Query(() => SmsLimits, { description: 'The limits this server enforces, so a client can check a batch before sending it.' })
  smsLimits(): SmsLimits {
    return Object.assign(new SmsLimits(), this.sms.limits, this.sms.guardLimits);
  }

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
    return this.sms.sendBatch(input, context.caller, context.log, context.requestId, context.listsCut);
  }
}
