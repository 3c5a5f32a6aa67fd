import { templatesRead } from '../../uspeedo/templates.read';
import type { SmsFeature } from '../feature';
import { DeliveryStatusService } from './delivery-status.service';
import { SmsLookupsResolver } from './sms-lookups.resolver';
import { TemplatesService } from './templates.service';

/** `smsDeliveryStatus` and `smsTemplates`; their services serve the send, the preview and the follower too. */
export const lookupsFeature: SmsFeature = {
  name: 'lookups',
  resolvers: [SmsLookupsResolver],
  reads: [templatesRead],
  rootFields: {
    smsDeliveryStatus: { once: 'ask for every session in one list' },
    smsTemplates: { once: 'ask for every template in one list' },
  },
  build({ config, uspeedo, sessions, refusalsFor }) {
    const templates = new TemplatesService(
      uspeedo,
      refusalsFor({ operation: 'templates', query: 'smsTemplates' }),
      config.lookups.templateCacheSeconds,
    );
    const deliveryStatus = new DeliveryStatusService(
      uspeedo,
      sessions,
      refusalsFor({ operation: 'status', query: 'smsDeliveryStatus' }),
      config.lookups.statusCacheSeconds,
    );
    return {
      resolvers: [[SmsLookupsResolver, new SmsLookupsResolver(deliveryStatus, templates)]],
      services: { templates, deliveryStatus },
    };
  },
};
