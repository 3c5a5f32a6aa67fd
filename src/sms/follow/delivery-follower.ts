import type { FastifyBaseLogger } from 'fastify';
import { callerKey, type Caller } from '../../auth/caller';
import { OpenCounts } from '../../guard/open-counts';
import type { DeliveryStatusService } from '../lookups/delivery-status.service';
import type { LookupRefusals } from '../lookups/lookup-refusals';
import { SmsQueryErrorCode } from '../lookups/sms-query-error-code.enum';
import { queryError, SmsQueryError } from '../lookups/sms-query-error.result';
import { sessionStatus, SmsDeliveryStatus, type SmsSessionStatus } from '../lookups/sms-delivery-status.result';
import { settleResultSpan } from '../shared/result-span';
import type { SmsMetrics } from '../shared/sms.metrics';
import type { FollowMetrics } from './follow.metrics';
import { inRootSpan } from '../../telemetry/spans';

/** The longest wait between polls while nothing changes. */
const MAX_POLL_MS = 60_000;

/** How the follower polls and how long it follows. */
export interface FollowSettings {
  /** Seconds between polls while receipts change (DELIVERY_POLL_SECONDS). */
  pollSeconds: number;
  /** Failed polls in a row before subscribers hear of it (DELIVERY_POLL_FAILURES). */
  pollFailures: number;
  /** Seconds after which a subscription completes anyway (DELIVERY_FOLLOW_MAX_SECONDS). */
  maxSeconds: number;
  /** Subscriptions one caller may hold open at once (SUBSCRIPTIONS_PER_CALLER). */
  perCaller: number;
}

/** A session followed by at least one subscription: its last status, and who follows it. */
interface Followed {
  status: SmsSessionStatus;
  /** What the status's receipts said, to tell a change from a repeat. */
  seen: string;
  followers: Set<Follow>;
}

type Next = IteratorResult<SmsDeliveryStatus | SmsQueryError, undefined>;
const DONE: Next = { done: true, value: undefined };

/** What a session's receipts say, as a string: equal when nothing a subscriber sees has changed. */
const receiptsSeen = (status: SmsSessionStatus) => JSON.stringify(status.receipts);

/** Nothing left to follow: every session asked is unknown or final. */
const settled = (sessions: readonly SmsSessionStatus[]) => sessions.every((session) => !session.known || session.final);

/**
 * Follows sessions for `smsDeliveryUpdates`: one poll of uSpeedo for every session any subscription
 * on this instance follows (at most 100 ids a GET, through the status cache), every `pollSeconds`
 * while something changes, backing off to a minute while nothing does. A final session is no longer
 * asked. Subscriptions are told of their own sessions' changes; fifty on one session make the
 * same calls as one.
 */
export class DeliveryFollower {
  private readonly followed = new Map<string, Followed>();
  private readonly follows = new Set<Follow>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  /** The wait while something changes (DELIVERY_POLL_SECONDS), and the wait now, doubled while nothing does. */
  private readonly briskMs: number;
  private waitMs: number;
  private failures = 0;
  private closed = false;

  constructor(
    private readonly status: DeliveryStatusService,
    /** The polls' failures, logged and counted as the `follow` operation. */
    private readonly pollRefusals: LookupRefusals,
    private readonly settings: FollowSettings,
    private readonly metrics: FollowMetrics & Pick<SmsMetrics, 'lookups'>,
    private readonly log: FastifyBaseLogger,
    /** Each caller's open subscriptions, shared with the feature's other subscriptions (SUBSCRIPTIONS_PER_CALLER counts them all). */
    private readonly perCaller = new OpenCounts(),
  ) {
    this.briskMs = settings.pollSeconds * 1000;
    this.waitMs = this.briskMs;
  }

  /**
   * One subscription: the status at once, as `smsDeliveryStatus` answers it (the same checks, and one
   * charge of the status limit), then the status each time a receipt of its sessions changes; done
   * when every known session is final, after `maxSeconds`, or when the caller already holds
   * `perCaller` subscriptions (after one RATE_LIMITED answer).
   */
  follow(
    sessionNos: string[],
    caller: Caller,
    log: FastifyBaseLogger,
    listsCut = false,
  ): AsyncIterableIterator<SmsDeliveryStatus | SmsQueryError> {
    return new Follow(this, sessionNos, caller, log, listsCut);
  }

  /** Ends every subscription and stops polling (a shutdown). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const follow of [...this.follows]) void follow.return();
  }

  /** @internal A subscription's start: its slot under the caller's limit, or the refusal. */
  admit(follow: Follow, scope: string, log: FastifyBaseLogger): SmsQueryError | null {
    if (this.closed || !this.perCaller.take(scope, this.settings.perCaller)) {
      const open = this.perCaller.held(scope);
      log.info({ sms: { operation: 'follow', result: 'RATE_LIMITED', open } }, 'smsDeliveryUpdates refused');
      this.metrics.lookups.inc({ operation: 'follow', result: SmsQueryErrorCode.RATE_LIMITED });
      return queryError({
        code: SmsQueryErrorCode.RATE_LIMITED,
        message: this.closed
          ? 'This instance is shutting down: subscribe again (another instance will answer).'
          : `This caller already holds ${open} smsDeliveryUpdates subscriptions, the most it may (SUBSCRIPTIONS_PER_CALLER). Complete one first.`,
        retryable: true,
      });
    }
    this.follows.add(follow);
    this.metrics.subscriptions.inc();
    return null;
  }

  /** @internal A subscription's end: its slot freed, its sessions no longer followed for it. */
  release(follow: Follow, scope: string, sessionNos: readonly string[]): void {
    if (!this.follows.delete(follow)) return;
    this.metrics.subscriptions.dec();
    this.perCaller.giveBack(scope);
    this.unfollow(follow, sessionNos);
  }

  /** @internal Follows the sessions of a first answer that are not final yet. */
  watch(follow: Follow, sessions: readonly SmsSessionStatus[]): void {
    for (const status of sessions) {
      if (!status.known || status.final) continue;
      const followed = this.followed.get(status.sessionNo);
      if (followed) followed.followers.add(follow);
      else this.followed.set(status.sessionNo, { status, seen: receiptsSeen(status), followers: new Set([follow]) });
    }
    this.metrics.followedSessions.set(this.followed.size);
    // Someone new is following: poll at the brisk pace again.
    this.waitMs = this.briskMs;
    this.schedule();
  }

  /**
   * @internal A subscription whose first read failed: its sessions, the caller's known ones without
   * receipts yet, for the polls to answer. Null when the store cannot tell which are the caller's.
   */
  async unread(sessionNos: readonly string[], caller: Caller): Promise<SmsSessionStatus[] | null> {
    try {
      const known = await this.status.known(caller, sessionNos);
      return sessionNos.map((sessionNo) => sessionStatus(sessionNo, known.has(sessionNo), known.get(sessionNo) ?? null, []));
    } catch {
      return null;
    }
  }

  /** @internal The wait a subscription whose first read failed is told: until the next poll. */
  get pollSeconds(): number {
    return this.settings.pollSeconds;
  }

  /** @internal A subscription's first answer: the query's, with its checks and its charge. */
  firstAnswer(sessionNos: string[], caller: Caller, log: FastifyBaseLogger, listsCut: boolean): Promise<SmsDeliveryStatus | SmsQueryError> {
    return this.status.deliveryStatus(sessionNos, caller, log, listsCut);
  }

  private unfollow(follow: Follow, sessionNos: readonly string[]): void {
    for (const sessionNo of sessionNos) {
      const followed = this.followed.get(sessionNo);
      if (!followed) continue;
      followed.followers.delete(follow);
      if (followed.followers.size === 0) this.followed.delete(sessionNo);
    }
    this.metrics.followedSessions.set(this.followed.size);
    if (this.followed.size === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private schedule(): void {
    if (this.closed || this.polling || this.timer || this.followed.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.poll();
    }, this.waitMs);
    this.timer.unref();
  }

  /** One poll: every followed session asked of uSpeedo, each change told to its followers. */
  private async poll(): Promise<void> {
    this.polling = true;
    try {
      const sessionNos = [...this.followed.keys()];
      const read = await inRootSpan(
        'sms.follow.poll',
        { 'sms.sessions': sessionNos.length },
        () => this.status.receipts(sessionNos, this.log, this.pollRefusals, true),
        (span, answer) => answer instanceof SmsQueryError && settleResultSpan(span, answer),
      );
      if (read instanceof SmsQueryError) {
        this.failed(read);
        return;
      }
      // After subscribers were told of failures, each hears the status again, changed or not.
      const recovered = this.failures >= this.settings.pollFailures;
      this.failures = 0;
      const changed = new Set<Follow>();
      for (const sessionNo of sessionNos) {
        const followed = this.followed.get(sessionNo);
        const receipts = read.receipts.get(sessionNo);
        if (!followed || !receipts) continue;
        const status = sessionStatus(sessionNo, true, followed.status.expectedReceipts, receipts);
        const seen = receiptsSeen(status);
        if (seen === followed.seen && status.final === followed.status.final && !recovered) {
          // A subscription whose first read failed has not heard this status yet, changed or not.
          for (const follow of followed.followers) {
            if (!follow.owed) continue;
            follow.update(status);
            changed.add(follow);
          }
          continue;
        }
        Object.assign(followed, { status, seen });
        for (const follow of followed.followers) {
          follow.update(status);
          changed.add(follow);
        }
        if (status.final) this.followed.delete(sessionNo);
      }
      this.metrics.deliveryPolls.inc({ result: changed.size > 0 ? 'changed' : 'unchanged' });
      this.metrics.followedSessions.set(this.followed.size);
      for (const follow of changed) follow.changed(read.requestUuid);
      this.waitMs = changed.size > 0 ? this.briskMs : Math.min(this.waitMs * 2, MAX_POLL_MS);
    } catch (error) {
      // Not a refusal but a fault; it must not stop the polls.
      this.log.error({ err: error }, 'smsDeliveryUpdates poll failed unexpectedly');
      this.metrics.deliveryPolls.inc({ result: 'failed' });
    } finally {
      this.polling = false;
      this.schedule();
    }
  }

  private failed(error: SmsQueryError): void {
    this.metrics.deliveryPolls.inc({ result: 'failed' });
    this.failures += 1;
    // Retried at the next tick, at the brisk pace; subscribers hear of it once the failures pile up.
    this.waitMs = this.briskMs;
    if (this.failures !== this.settings.pollFailures) return;
    const told = new Set<Follow>();
    for (const followed of this.followed.values()) for (const follow of followed.followers) told.add(follow);
    for (const follow of told) follow.failed(error);
  }

  /** @internal For a subscription: how long it may follow. */
  get maxMs(): number {
    return this.settings.maxSeconds * 1000;
  }
}

/**
 * One subscription, as the async iterator graphql-ws reads. Not an async generator: a generator
 * waiting for the next change could not be ended by `return()` until that change came, and a
 * subscriber who left would hold its slot and its sessions until then.
 */
class Follow implements AsyncIterableIterator<SmsDeliveryStatus | SmsQueryError> {
  private readonly scope: string;
  private started = false;
  private done = false;
  private admitted = false;
  /** The last status of each session asked for: unknown ones as such, the others as last polled. */
  private readonly statuses = new Map<string, SmsSessionStatus>();
  /** @internal Its first read failed: the next good poll answers it, whether or not anything changed. */
  owed = false;
  /** What to answer next: a change (with its poll's request id) or a failure; null while there is none. */
  private pending: { requestUuid: string | null } | SmsQueryError | null = null;
  private wake: (() => void) | undefined;
  private deadline: NodeJS.Timeout | undefined;

  constructor(
    private readonly follower: DeliveryFollower,
    private readonly sessionNos: string[],
    private readonly caller: Caller,
    private readonly log: FastifyBaseLogger,
    private readonly listsCut: boolean,
  ) {
    this.scope = callerKey(caller);
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  async next(): Promise<Next> {
    if (this.done) return DONE;
    if (!this.started) return this.first();
    while (!this.pending && !this.done) await new Promise<void>((resolve) => (this.wake = resolve));
    const pending = this.pending;
    this.pending = null;
    if (this.done || !pending) return DONE;
    if (pending instanceof SmsQueryError) return { done: false, value: pending };
    const answer = this.answer(pending.requestUuid);
    if (settled(answer.sessions)) this.finish('final');
    return { done: false, value: answer };
  }

  async return(): Promise<Next> {
    this.finish('unsubscribed');
    return DONE;
  }

  async throw(): Promise<Next> {
    this.finish('unsubscribed');
    return DONE;
  }

  /** @internal A followed session's new status. */
  update(status: SmsSessionStatus): void {
    this.statuses.set(status.sessionNo, status);
  }

  /** @internal Followed sessions changed (`update` gave their statuses): the next answer is due. */
  changed(requestUuid: string | null): void {
    this.owed = false;
    if (!(this.pending instanceof SmsQueryError)) this.pending = { requestUuid };
    this.wake?.();
  }

  /** @internal The polls keep failing. */
  failed(error: SmsQueryError): void {
    this.pending = error;
    this.wake?.();
  }

  private async first(): Promise<Next> {
    this.started = true;
    const refused = this.follower.admit(this, this.scope, this.log);
    if (refused) {
      this.done = true;
      return { done: false, value: refused };
    }
    this.admitted = true;
    const first = await this.follower.firstAnswer(this.sessionNos, this.caller, this.log, this.listsCut);
    if (this.done) return DONE;
    if (first instanceof SmsQueryError && first.retryable && first.code !== SmsQueryErrorCode.RATE_LIMITED) {
      const waiting = await this.waitAfter(first);
      if (waiting) return waiting;
    }
    if (first instanceof SmsQueryError || settled(first.sessions)) {
      this.finish(first instanceof SmsQueryError ? first.code : 'final');
      return { done: false, value: first };
    }
    for (const session of first.sessions) this.statuses.set(session.sessionNo, session);
    this.follower.watch(this, first.sessions);
    this.deadline = setTimeout(() => this.finish('max-seconds'), this.follower.maxMs);
    this.deadline.unref();
    const known = first.sessions.filter((session) => session.known).length;
    this.log.info({ sms: { operation: 'follow', sessions: this.sessionNos.length, known } }, 'smsDeliveryUpdates following');
    return { done: false, value: first };
  }

  /**
   * uSpeedo failed the first read (or its breaker is open): the error, retryable after the next poll,
   * and the subscription stays open; the next good poll sends the status. Null when there is nothing
   * to wait for (no session of the caller's not final), or the store cannot tell.
   */
  private async waitAfter(error: SmsQueryError): Promise<Next | null> {
    const statuses = await this.follower.unread(this.sessionNos, this.caller);
    if (this.done || !statuses || settled(statuses)) return null;
    for (const status of statuses) this.statuses.set(status.sessionNo, status);
    this.owed = true;
    this.follower.watch(this, statuses);
    this.deadline = setTimeout(() => this.finish('max-seconds'), this.follower.maxMs);
    this.deadline.unref();
    this.log.info(
      { sms: { operation: 'follow', sessions: this.sessionNos.length, firstRead: error.code } },
      'smsDeliveryUpdates waiting for uSpeedo',
    );
    const retryAfterSeconds = Math.max(error.retryAfterSeconds ?? 0, Math.ceil(this.follower.pollSeconds));
    const value = Object.assign(new SmsQueryError(), {
      ...error,
      retryAfterSeconds,
      message: `${error.message} The subscription stays open: the status follows at the next poll that uSpeedo answers.`,
    });
    return { done: false, value };
  }

  /** The status of every session asked, in the order asked. */
  private answer(requestUuid: string | null): SmsDeliveryStatus {
    const sessions = this.sessionNos.map((sessionNo) => this.statuses.get(sessionNo)!);
    return Object.assign(new SmsDeliveryStatus(), { sessions, requestUuid });
  }

  private finish(reason: string): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.deadline);
    if (this.admitted) {
      this.follower.release(this, this.scope, this.sessionNos);
      this.log.info({ sms: { operation: 'follow', ended: reason } }, 'smsDeliveryUpdates completed');
    }
    this.wake?.();
  }
}
