import { Counter, type Registry } from 'prom-client';

/** The campaigns' metrics. */
export interface CampaignMetrics {
  /** Pages tried, by what became of them (SENT, FAILED, OUTCOME_UNKNOWN; WAIT: held back, nothing sent). */
  pages: Counter<'outcome'>;
  /** Campaigns that entered a state on this instance. */
  campaigns: Counter<'state'>;
}

/** Registers the campaigns' metrics. */
export function campaignMetrics(registry: Registry): CampaignMetrics {
  return {
    pages: new Counter({
      name: 'sms_campaign_pages_total',
      help: 'Campaign pages tried on this instance, by outcome (SENT, FAILED, OUTCOME_UNKNOWN; WAIT: held back by a limit or a 429, nothing sent).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    campaigns: new Counter({
      name: 'sms_campaigns_total',
      help: 'Campaigns that entered a state on this instance (DRAFT when created, SENDING, PAUSED, DONE, CANCELLED).',
      labelNames: ['state'],
      registers: [registry],
    }),
  };
}
