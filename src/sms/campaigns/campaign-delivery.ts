import type { FastifyBaseLogger } from 'fastify';
import { LRUCache } from 'lru-cache';
import { callerKey, type Caller } from '../../auth/caller';
import type { DeliveryStatusService } from '../lookups/delivery-status.service';
import type { LookupRefusals } from '../lookups/lookup-refusals';
import { SmsReceiptStatus } from '../lookups/sms-delivery-status.result';
import { SmsQueryError } from '../lookups/sms-query-error.result';
import type { CampaignRecord } from './campaign-record';
import { countsOf } from './campaign-view';
import { SmsCampaignDelivery } from './sms-campaign.result';

/** Campaigns whose last counts are remembered, for an answer when a read fails. */
const REMEMBERED = 1000;

const delivery = (delivered: number, undelivered: number, awaiting: number) =>
  Object.assign(new SmsCampaignDelivery(), { delivered, undelivered, awaiting: Math.max(0, awaiting) });

/**
 * A campaign's delivery, from the receipts of its sessions: read only when asked (the query's field,
 * a subscription's poll), through the status cache the follower and smsDeliveryStatus share, in as
 * few GETs as uSpeedo's id count and the response cap allow, each read one lookup of the caller's
 * status budget. Reads of one campaign at one moment are one read.
 */
export class CampaignDelivery {
  private readonly last = new LRUCache<string, SmsCampaignDelivery>({ max: REMEMBERED });
  private readonly inFlight = new Map<string, Promise<SmsCampaignDelivery>>();

  constructor(
    private readonly status: Pick<DeliveryStatusService, 'receipts'>,
    private readonly refusals: LookupRefusals,
  ) {}

  /** Delivered, undelivered and awaiting, over the recipients uSpeedo accepted. */
  of(record: CampaignRecord, caller: Caller, log: FastifyBaseLogger): Promise<SmsCampaignDelivery> {
    const sessionNos = record.pages.flatMap((page) => page.sessionNos);
    const accepted = countsOf(record).sent;
    if (sessionNos.length === 0) return Promise.resolve(delivery(0, 0, accepted));
    const key = `${record.id}:${sessionNos.length}`;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.read(record.id, sessionNos, accepted, caller, log).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  private async read(
    id: string,
    sessionNos: string[],
    accepted: number,
    caller: Caller,
    log: FastifyBaseLogger,
  ): Promise<SmsCampaignDelivery> {
    const known = () => this.last.get(id) ?? delivery(0, 0, accepted);
    const over = await this.refusals.charge('status', callerKey(caller), 1, log).catch(() => null);
    if (over) return known();
    const read = await this.status.receipts(sessionNos, log, this.refusals);
    if (read instanceof SmsQueryError) return known();
    let delivered = 0;
    let undelivered = 0;
    for (const receipts of read.receipts.values()) {
      for (const receipt of receipts) {
        if (receipt.status === SmsReceiptStatus.DELIVERED) delivered++;
        else if (receipt.status === SmsReceiptStatus.FAILED || receipt.status === SmsReceiptStatus.SUBMIT_FAILED) undelivered++;
      }
    }
    const counted = delivery(delivered, undelivered, accepted - delivered - undelivered);
    this.last.set(id, counted);
    return counted;
  }
}
