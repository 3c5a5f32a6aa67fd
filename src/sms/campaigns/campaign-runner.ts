import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import { StateStoreUnavailableError, type StateStore } from '../../guard/state-store';
import { inRootSpan } from '../../telemetry/spans';
import type { CampaignDocuments } from './campaign-documents';
import { final, kept, wait, type CampaignPageSender, type PageOutcome } from './campaign-page-sender';
import {
  campaignKey,
  contentKey,
  failuresKey,
  isPending,
  keptUntil,
  pageKeys,
  type CampaignRecord,
  type PageContent,
  type PageRecord,
} from './campaign-record';
import type { CampaignMetrics } from './campaigns.metrics';

/**
 * The longest a page, claimed and charged, waits for the pace before its POST: held back longer (by
 * other instances' POSTs meanwhile), it is given back. The page's leases cover it.
 */
export const PACE_SLACK_MS = 2_000;

/** Later than this after its pace was taken, a POST moves the pace to its own time. */
const LATE_MS = 5;

/** How the runner paces and holds pages. */
export interface RunnerSettings {
  recipientsPerMinute: number;
  /** How long a sender holds a page: past it, another instance takes the page over. */
  pageLeaseMs: number;
  retentionSeconds: number;
  /** The wait between looks while nothing is to be sent. */
  idleMs: number;
}

const sleep = (ms: number, wake: Promise<void>) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms).unref();
    void wake.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });

/** A page no sender holds any more. */
function unheld(page: PageRecord): void {
  delete page.leaseUntil;
  delete page.holder;
}

/** A page taken but not tried: PENDING again, or CANCELLED if its campaign was. */
function untried(page: PageRecord, record: CampaignRecord): void {
  page.state = record.state === 'CANCELLED' ? 'CANCELLED' : 'PENDING';
  unheld(page);
}

/**
 * Sends the campaigns SENDING, on every instance: one page at a time per instance, the campaigns
 * taking turns, at the pace every instance shares (`CAMPAIGN_RECIPIENTS_PER_MINUTE`, taken in the
 * store at the moment of each POST). A page is taken by writing SENDING with a lease at the version
 * read, so one instance holds it; one whose lease ran out (its sender died) is taken over and settled
 * through its idempotency key, which answers what became of it and never sends it twice.
 */
export class CampaignRunner {
  private closing = false;
  /** How long the last page took from being taken to asking for the pace. */
  private preparingMs = 0;
  private wakeUp: () => void = () => {};
  private woken: Promise<void> = Promise.resolve();
  private loop: Promise<void> | null = null;
  private stop: () => void = () => {};
  /** Resolves when the runner starts closing: a wait for the pace ends then, and no other wake ends it. */
  private readonly stopping = new Promise<void>((resolve) => (this.stop = resolve));

  constructor(
    private readonly docs: CampaignDocuments,
    private readonly store: Pick<StateStore, 'expireDocuments' | 'deleteDocuments' | 'putDocument'>,
    private readonly sender: Pick<CampaignPageSender, 'send'>,
    private readonly settings: RunnerSettings,
    private readonly metrics: CampaignMetrics,
    private readonly log: FastifyBaseLogger,
  ) {
    this.rearm();
  }

  private rearm(): void {
    this.woken = new Promise((resolve) => (this.wakeUp = resolve));
  }

  /** Starts looking for pages to send. */
  start(): void {
    this.loop ??= this.run();
  }

  /** Looks now (a campaign started or resumed). */
  wake(): void {
    this.wakeUp();
  }

  /** Takes no more pages; resolves once the page in flight has its outcome (or was given back). */
  async close(): Promise<void> {
    this.closing = true;
    this.stop();
    this.wakeUp();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.closing) {
      let worked = false;
      try {
        worked = await this.tick();
      } catch (error) {
        this.log.error({ err: error }, 'campaign runner: a look at the campaigns failed; trying again');
      }
      if (!worked && !this.closing) {
        await sleep(this.settings.idleMs, this.woken);
        this.rearm();
      }
    }
  }

  /** One look: the next page of the campaign whose turn it is. True when something was done. */
  private async tick(): Promise<boolean> {
    const running = await this.docs.running();
    const now = Date.now();
    const turns = Object.entries(running)
      .filter(([, turn]) => turn.notBefore <= now)
      .sort(([, a], [, b]) => a.turnAt - b.turnAt);
    for (const [id] of turns) {
      if (this.closing) return false;
      if (await this.step(id)) return true;
    }
    return false;
  }

  private async step(id: string): Promise<boolean> {
    const record = await this.docs.campaign(id);
    if (!record) {
      await this.docs.changeRunning(id, undefined);
      return false;
    }
    const now = Date.now();
    const inFlight = record.pages.find((page) => page.state === 'SENDING');
    if (inFlight && (inFlight.leaseUntil ?? 0) > now) return false;
    if (inFlight) {
      // Its sender stopped mid-page: the key says what became of it.
      const holder = await this.take(id, inFlight.page, (page) => page.state === 'SENDING' && (page.leaseUntil ?? 0) <= Date.now());
      if (!holder) return false;
      this.log.warn(
        { sms: { campaign: id, page: inFlight.page } },
        'campaign page taken over: its sender stopped before recording its outcome',
      );
      await this.drive(record, inFlight, holder, record.state !== 'SENDING');
      return true;
    }
    if (record.state !== 'SENDING') {
      await this.docs.changeRunning(id, undefined);
      return false;
    }
    const next = record.pages.find((page) => page.state === 'PENDING');
    if (!next) {
      await this.finish(id);
      return true;
    }
    // Not taken while it waits for the pace, so a pause or cancel meanwhile finds it PENDING. Preparing
    // starts as long before the slot as it took last time, so the POST, not the preparing, meets it.
    const paceAt = (await this.docs.paceAt()) - this.preparingMs;
    if (paceAt > Date.now()) {
      await sleep(paceAt - Date.now(), this.stopping);
      return !this.closing;
    }
    const preparedFrom = Date.now();
    const holder = await this.take(id, next.page, (page, current) => page.state === 'PENDING' && current.state === 'SENDING');
    if (!holder) return false;
    await this.drive(record, next, holder, false, preparedFrom);
    return true;
  }

  /**
   * The page's turn in the shared pace, taken at the moment of its POST and waited for: false when it
   * is further off than the page may wait holding its claim (other instances posted meanwhile).
   */
  private async slot(recipients: number, preparedFrom: number): Promise<boolean> {
    this.preparingMs = Math.min(Date.now() - preparedFrom, PACE_SLACK_MS / 2);
    const deadline = Date.now() + PACE_SLACK_MS;
    const { recipientsPerMinute } = this.settings;
    for (;;) {
      const taken = await this.docs.takePace(recipients, recipientsPerMinute, deadline - Date.now());
      if (taken === null) return false;
      if (taken.wait === 0) {
        // Past a round trip's worth since it was taken, this process was busy: the next POST counts from
        // now. Not waited for: the next POST is a share of the minute away.
        if (Date.now() - taken.at > LATE_MS) void this.docs.postingLate(recipients, recipientsPerMinute).catch(() => {});
        return true;
      }
      await delay(taken.wait);
    }
  }

  /** Takes a page (SENDING, with a lease) if `may` still holds at the version read: the holder's token, or null. */
  private take(id: string, pageNo: number, may: (page: PageRecord, record: CampaignRecord) => boolean): Promise<string | null> {
    const holder = randomUUID();
    return this.docs.changeCampaign<string | null>(id, (current, now) => {
      const page = current?.pages.find((p) => p.page === pageNo);
      if (!current || !page || !may(page, current)) return { answer: null };
      Object.assign(page, { state: 'SENDING', leaseUntil: now + this.settings.pageLeaseMs, holder });
      return { write: { value: current, expiresAt: null }, answer: holder };
    });
  }

  /** Changes a page this runner still holds (and its campaign); nothing when it no longer does. */
  private changePage(
    id: string,
    pageNo: number,
    holder: string,
    change: (page: PageRecord, record: CampaignRecord, now: number) => void,
  ): Promise<CampaignRecord | null> {
    return this.docs.changeCampaign<CampaignRecord | null>(id, (current, now) => {
      const page = current?.pages.find((p) => p.page === pageNo);
      if (!current || !page || page.holder !== holder) return { answer: null };
      change(page, current, now);
      return { write: { value: current, expiresAt: keptUntil(current, this.settings.retentionSeconds, now) }, answer: current };
    });
  }

  /** A page taken but not tried: PENDING again, or CANCELLED if its campaign was. */
  private async giveBack(id: string, pageNo: number, holder: string): Promise<void> {
    await this.changePage(id, pageNo, holder, untried).catch((error: unknown) =>
      this.log.warn(
        { err: error, sms: { campaign: id, page: pageNo } },
        'could not give a campaign page back; it is taken over once its lease ends',
      ),
    );
  }

  /** Sends (or settles) a page held, and records its outcome. */
  private async drive(
    record: CampaignRecord,
    page: PageRecord,
    holder: string,
    settleOnly: boolean,
    preparedFrom = Date.now(),
  ): Promise<void> {
    const id = record.id;
    const log = this.log.child({ campaign: id, page: page.page });
    const content = await this.docs.read<PageContent>(contentKey(id, page.page, page.fingerprint));
    let outcome: PageOutcome;
    if (!content) {
      outcome = final('OUTCOME_UNKNOWN', {
        unknown: page.recipients,
        error: kept({
          code: 'OUTCOME_UNKNOWN',
          message: "This page's targets are gone from the state store: whether it was sent cannot be told.",
        }),
      });
    } else {
      const owner = { ...record.owner, canSend: true };
      const requestId = `campaign-${id}-page-${page.page}`;
      try {
        outcome = await inRootSpan(
          'sms.campaign.page',
          { 'sms.campaign.id': id, 'sms.campaign.page': page.page, 'sms.recipients': page.recipients },
          () => {
            const slot = (recipients: number) => this.slot(recipients, preparedFrom);
            return this.sender.send({ campaignId: id, page: page.page, owner, content: content.value, requestId, settleOnly, slot }, log);
          },
          (span, answer) => span.setAttribute('sms.campaign.page_outcome', answer.kind === 'final' ? answer.state : answer.kind),
        );
      } catch (error) {
        if (!(error instanceof StateStoreUnavailableError)) throw error;
        log.error({ err: error }, 'campaign page not sent: state store unavailable');
        outcome = wait(
          kept({
            code: 'SERVICE_UNAVAILABLE',
            message: 'The state store is unreachable: nothing was sent; the page goes again shortly.',
            retryable: true,
          }),
          5,
        );
      }
    }
    await this.record(id, page.page, holder, outcome, log);
  }

  private async record(id: string, pageNo: number, holder: string, outcome: PageOutcome, log: FastifyBaseLogger): Promise<void> {
    if (outcome.kind === 'later') return this.giveBack(id, pageNo, holder);
    this.metrics.pages.inc({ outcome: outcome.kind === 'final' ? outcome.state : outcome.kind === 'wait' ? 'WAIT' : 'UNTRIED' });
    if (outcome.kind !== 'final') {
      const until = outcome.kind === 'wait' ? Date.now() + outcome.retryAfterSeconds * 1000 : 0;
      await this.changePage(id, pageNo, holder, (page, record) => {
        untried(page, record);
        if (outcome.kind === 'wait' && record.state === 'SENDING') record.blocked = { ...outcome.error, until };
      });
      if (outcome.kind === 'wait') {
        log.info(
          { sms: { result: outcome.error.code, retryAfterSeconds: outcome.retryAfterSeconds } },
          'campaign page held back: nothing sent, it goes again after the wait',
        );
        await this.docs.changeRunning(id, { turnAt: Date.now(), notBefore: until });
      }
      return;
    }
    // The failures first: a record that counts them always has them.
    if (outcome.failures.length > 0) {
      await this.docs.change(failuresKey(id, pageNo), () => ({ write: { value: outcome.failures, expiresAt: null }, answer: undefined }));
    }
    let fingerprint = '';
    const after = await this.changePage(id, pageNo, holder, (page, record, now) => {
      fingerprint = page.fingerprint;
      Object.assign(page, {
        state: outcome.state,
        sessionNos: outcome.sessionNos,
        error: outcome.error,
        sent: outcome.sent,
        failed: outcome.failed,
        skipped: outcome.skipped,
        unknown: outcome.unknown,
        failures: outcome.failures.length,
      });
      unheld(page);
      if (record.state === 'SENDING') record.blocked = null;
      if (outcome.pause && record.state === 'SENDING') {
        record.state = 'PAUSED';
        record.blocked = { ...outcome.error!, until: null };
      }
      if (record.state === 'SENDING' && !record.pages.some(isPending)) Object.assign(record, { state: 'DONE', finishedAt: now });
    });
    log.info(
      { sms: { result: outcome.state, sent: outcome.sent, failed: outcome.failed, skipped: outcome.skipped, unknown: outcome.unknown } },
      'campaign page sent',
    );
    if (!after) return;
    await this.store.deleteDocuments([contentKey(id, pageNo, fingerprint)]).catch(() => {});
    await this.settled(after);
  }

  /** A campaign with no page left to try: DONE. */
  private async finish(id: string): Promise<void> {
    const after = await this.docs.changeCampaign<CampaignRecord | null>(id, (current, now) => {
      if (!current || current.state !== 'SENDING' || current.pages.some(isPending)) return { answer: null };
      Object.assign(current, { state: 'DONE', finishedAt: now, blocked: null });
      return { write: { value: current, expiresAt: keptUntil(current, this.settings.retentionSeconds, now) }, answer: current };
    });
    if (after) await this.settled(after);
    else await this.docs.changeRunning(id, { turnAt: Date.now(), notBefore: 0 });
  }

  /** After a page: the campaign's turn taken, and its owner's list, the runner's list and its documents' lives as its state says. */
  private async settled(record: CampaignRecord): Promise<void> {
    const scope = `${record.owner.kind}:${record.owner.id}`;
    if (record.state === 'SENDING') {
      await this.docs.changeRunning(record.id, { turnAt: Date.now(), notBefore: 0 });
      return;
    }
    await this.docs.noteOwner(scope, record.id, record.state, record.draftExpiresAt);
    if (record.state === 'DONE') {
      this.metrics.campaigns.inc({ state: 'DONE' });
      await this.store.expireDocuments(
        [campaignKey(record.id), ...pageKeys(record)],
        keptUntil(record, this.settings.retentionSeconds, Date.now()),
      );
      this.log.info({ sms: { campaign: record.id, result: 'DONE' } }, 'campaign done');
    }
    // Paused by the server (its blocked says why); a caller's pause was counted and logged by its call.
    if (record.state === 'PAUSED' && record.blocked !== null) {
      this.metrics.campaigns.inc({ state: 'PAUSED' });
      this.log.warn({ sms: { campaign: record.id, result: 'PAUSED', blockedBy: record.blocked.code } }, 'campaign paused by the server');
    }
    if (!record.pages.some((page) => page.state === 'SENDING')) await this.docs.changeRunning(record.id, undefined);
  }
}
