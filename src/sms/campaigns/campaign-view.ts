import { SmsCountryPreview } from '../preview/sms-send-preview.result';
import { isPending, type CampaignRecord, type KeptError } from './campaign-record';
import type { SmsCampaignErrorCode } from './sms-campaign-enums';
import { campaignError, SmsCampaign, SmsCampaignPage, type SmsCampaignDelivery, type SmsCampaignError } from './sms-campaign.result';

const asError = (kept: KeptError): SmsCampaignError => campaignError({ ...kept, code: kept.code as SmsCampaignErrorCode });

/** The counts of a campaign, from its pages: they always add up to its recipients. */
export function countsOf(record: CampaignRecord) {
  const counts = { recipients: 0, sent: 0, failed: 0, skipped: 0, outcomeUnknown: 0, pending: 0, cancelled: 0 };
  for (const page of record.pages) {
    counts.recipients += page.recipients;
    if (isPending(page)) counts.pending += page.recipients;
    else if (page.state === 'CANCELLED') counts.cancelled += page.recipients;
    else {
      counts.sent += page.sent;
      counts.failed += page.failed;
      counts.skipped += page.skipped;
      counts.outcomeUnknown += page.unknown;
    }
  }
  return counts;
}

/** What the server holding a campaign back says now; null once its wait is over. */
export function blockedNow(record: CampaignRecord, now: number): CampaignRecord['blocked'] {
  const blocked = record.blocked;
  if (!blocked || (blocked.until !== null && blocked.until <= now)) return null;
  if (record.state !== 'SENDING' && record.state !== 'PAUSED') return null;
  const retryAfterSeconds = blocked.until === null ? blocked.retryAfterSeconds : Math.max(1, Math.ceil((blocked.until - now) / 1000));
  return { ...blocked, retryAfterSeconds };
}

/** A campaign as the API shows it; `delivery`, when given, is what its field answers without reading again. */
export function campaignView(record: CampaignRecord, now: number, delivery?: SmsCampaignDelivery): SmsCampaign {
  let segments: number | null = 0;
  const countries = new Map<string, { recipients: number; segments: number | null }>();
  for (const page of record.pages) {
    segments = segments !== null && page.segments !== null ? segments + page.segments : null;
    for (const [code, recipients, pageSegments] of page.countries) {
      const country = countries.get(code) ?? { recipients: 0, segments: 0 };
      country.recipients += recipients;
      country.segments = country.segments !== null && pageSegments !== null ? country.segments + pageSegments : null;
      countries.set(code, country);
    }
  }
  const blocked = blockedNow(record, now);
  return Object.assign(new SmsCampaign(), {
    id: record.id,
    name: record.name,
    state: record.state,
    blockedBy: blocked ? asError(blocked) : null,
    ...countsOf(record),
    pages: record.pages.map((page) =>
      Object.assign(new SmsCampaignPage(), {
        page: page.page,
        recipients: page.recipients,
        state: page.state,
        sessionNos: page.sessionNos,
        error: page.error ? asError(page.error) : null,
      }),
    ),
    segments,
    countries: [...countries]
      .sort(([a, x], [b, y]) => y.recipients - x.recipients || a.localeCompare(b))
      .map(([countryCode, country]) => Object.assign(new SmsCountryPreview(), { countryCode, ...country })),
    delivery,
    createdAt: new Date(record.createdAt),
    startedAt: record.startedAt === null ? null : new Date(record.startedAt),
    finishedAt: record.finishedAt === null ? null : new Date(record.finishedAt),
  });
}
