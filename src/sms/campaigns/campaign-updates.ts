import type { FastifyBaseLogger } from 'fastify';
import { callerKey, type Caller } from '../../auth/caller';
import type { OpenCounts } from '../../guard/open-counts';
import type { CampaignDelivery } from './campaign-delivery';
import type { CampaignRecord } from './campaign-record';
import { blockedNow, campaignView, countsOf } from './campaign-view';
import type { CampaignsService } from './campaigns.service';
import { SmsCampaignErrorCode as Code } from './sms-campaign-enums';
import { campaignError, type SmsCampaign, type SmsCampaignDelivery, type SmsCampaignError } from './sms-campaign.result';

/** How campaign subscriptions follow. */
export interface UpdatesSettings {
  /** Seconds between reads of the receipts (DELIVERY_POLL_SECONDS). */
  pollSeconds: number;
  /** Seconds after which a subscription completes anyway (DELIVERY_FOLLOW_MAX_SECONDS). */
  maxSeconds: number;
  /** Subscriptions one caller may hold open at once (SUBSCRIPTIONS_PER_CALLER). */
  perCaller: number;
}

/** The campaign is read this often; an event goes at most this often. */
const LOOK_MS = 1000;

/** What a subscriber sees of a campaign: equal when nothing it would see has changed. */
const seenOf = (record: CampaignRecord, delivery: SmsCampaignDelivery, now: number) =>
  JSON.stringify([record.state, countsOf(record), blockedNow(record, now)?.code ?? null, record.pages.map((p) => p.state), delivery]);

/**
 * `smsCampaignUpdates`: the campaign at once, then each time its state, counts or delivery change (at
 * most one event a second); done after DONE or CANCELLED once nothing awaits delivery, or after
 * `maxSeconds`. Counted with the caller's other subscriptions.
 */
export class CampaignUpdates {
  private closed = false;
  /** The last read of each campaign, by campaign and caller: subscribers of one campaign share one read a look. */
  private readonly reads = new Map<string, { at: number; record: Promise<CampaignRecord | null | undefined> }>();
  private readonly closing: Promise<void>;
  private close_: () => void = () => {};

  constructor(
    private readonly campaigns: Pick<CampaignsService, 'owned'>,
    private readonly delivery: Pick<CampaignDelivery, 'of'>,
    private readonly slots: OpenCounts,
    private readonly settings: UpdatesSettings,
  ) {
    this.closing = new Promise((resolve) => (this.close_ = resolve));
  }

  async *follow(campaignId: string, caller: Caller, log: FastifyBaseLogger): AsyncGenerator<SmsCampaign | SmsCampaignError> {
    const scope = callerKey(caller);
    if (this.closed || !this.slots.take(scope, this.settings.perCaller)) {
      yield campaignError({
        code: Code.RATE_LIMITED,
        message: this.closed
          ? 'This instance is shutting down: subscribe again (another instance will answer).'
          : `This caller already holds ${this.slots.held(scope)} subscriptions, the most it may (SUBSCRIPTIONS_PER_CALLER). Complete one first.`,
        retryable: true,
      });
      return;
    }
    try {
      const started = Date.now();
      let seen = '';
      let delivery: SmsCampaignDelivery | undefined;
      let deliveryAt = 0;
      while (!this.closed) {
        const record = await this.read(campaignId, caller, scope);
        if (record === null) {
          yield campaignError({ code: Code.NOT_FOUND, message: 'No such campaign for this caller.' });
          return;
        }
        const now = Date.now();
        if (record) {
          if (!delivery || now - deliveryAt >= this.settings.pollSeconds * 1000) {
            delivery = await this.delivery.of(record, caller, log);
            deliveryAt = now;
          }
          const next = seenOf(record, delivery, now);
          if (next !== seen) {
            seen = next;
            yield campaignView(record, now, delivery);
          }
          if ((record.state === 'DONE' || record.state === 'CANCELLED') && delivery.awaiting === 0) return;
        }
        if (now - started >= this.settings.maxSeconds * 1000) return;
        await Promise.race([new Promise((resolve) => setTimeout(resolve, LOOK_MS).unref()), this.closing]);
      }
    } finally {
      this.slots.giveBack(scope);
    }
  }

  /** The campaign as its owner may see it, read at most once a look for every subscriber (undefined: the store did not answer). */
  private read(campaignId: string, caller: Caller, scope: string): Promise<CampaignRecord | null | undefined> {
    const key = `${campaignId}\n${scope}`;
    const now = Date.now();
    const last = this.reads.get(key);
    if (last && now - last.at < LOOK_MS / 2) return last.record;
    const record = this.campaigns.owned(campaignId, caller).catch(() => undefined);
    this.reads.set(key, { at: now, record });
    // Forgotten once stale: the map holds the campaigns followed now, not every one ever followed.
    setTimeout(() => {
      if (this.reads.get(key)?.record === record) this.reads.delete(key);
    }, LOOK_MS).unref();
    return record;
  }

  /** Ends every subscription at its next look (a shutdown). */
  close(): void {
    this.closed = true;
    this.close_();
  }
}
