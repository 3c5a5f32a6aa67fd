import type { GraphQLContext } from '../../graphql/context';
import { needs, type SmsFeature } from '../feature';
import { BatchCheck } from '../send/batch-check';
import type { SendBatchSmsInput } from '../send/send-batch-sms.input';
import { TemplateCheck } from '../send/template-check';
import { SendPreviewService } from './send-preview.service';
import { SmsSendPreviewResolver } from './sms-send-preview.resolver';

/** `smsSendPreview`: the send's rules, templates always (a failed lookup leaves the texts unknown), and the cost. */
export const previewFeature: SmsFeature = {
  name: 'preview',
  resolvers: [SmsSendPreviewResolver],
  rootFields: { smsSendPreview: { once: 'preview one batch a request' } },
  build({ config, rateLimiter, metrics }, services) {
    const templates = needs(services, 'templates', 'preview');
    const check = new BatchCheck(config.limits, config.rateLimits.allowedCountryCodes, new TemplateCheck(templates, null, false));
    const resolver = new SmsSendPreviewResolver(new SendPreviewService(check, rateLimiter, metrics));
    return {
      resolvers: [[SmsSendPreviewResolver, resolver]],
      coercedArgs: { smsSendPreview: (args, context: GraphQLContext) => resolver.smsSendPreview(args.input as SendBatchSmsInput, context) },
    };
  },
};
