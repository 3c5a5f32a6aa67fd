import { Idempotency, LEASE_MARGIN_MS } from '../../guard/idempotency';
import type { GraphQLContext } from '../../graphql/context';
import { needs, type SmsFeature } from '../feature';
import { BatchCheck } from './batch-check';
import type { SendBatchSmsInput } from './send-batch-sms.input';
import { SendBatchSmsResolver } from './send-batch-sms.resolver';
import { SendBatchService } from './send-batch.service';
import { sendMetrics } from './send.metrics';
import { TemplateCheck } from './template-check';

/** `sendBatchSms`: every rule, the caller's limits and key, one call to uSpeedo. */
export const sendFeature: SmsFeature = {
  name: 'send',
  resolvers: [SendBatchSmsResolver],
  rootFields: { sendBatchSms: { once: 'put every task in one batch' } },
  build({ config, store, uspeedo, rateLimiter, sessions, metrics: shared }, services) {
    const metrics = sendMetrics(shared.registry);
    const templates = needs(services, 'templates', 'send');
    const { state } = config;
    // A claimant's lease covers the wait for replicas before the send too.
    const replicasWaitMs = state.redis && state.redisMinReplicasAcks > 0 ? state.redisWaitTimeoutMs : 0;
    const send = new SendBatchService(
      uspeedo,
      new BatchCheck(
        config.limits,
        config.rateLimits.allowedCountryCodes,
        config.lookups.templateCheck ? new TemplateCheck(templates, metrics) : null,
      ),
      rateLimiter,
      new Idempotency(store, config.idempotencyTtlSeconds, config.uspeedo.timeoutMs + LEASE_MARGIN_MS + replicasWaitMs),
      metrics,
      sessions,
      (writes) => store.replicate(writes),
    );
    const resolver = new SendBatchSmsResolver(send);
    return {
      resolvers: [[SendBatchSmsResolver, resolver]],
      coercedArgs: { sendBatchSms: (args, context: GraphQLContext) => resolver.sendBatchSms(args.input as SendBatchSmsInput, context) },
    };
  },
};
