import type { FastifyBaseLogger } from 'fastify';
import { callerKey, type Caller } from '../../auth/caller';
import type { Idempotency, IdempotencyDecision } from '../../guard/idempotency';
import { chargesNothing, type Charged, type RateLimiter, type RateLimitRefusal } from '../../guard/rate-limits';
import { StateStoreUnavailableError, type ReplicatedWrites } from '../../guard/state-store';
import { sameBatchText, withoutRecipients } from '../../uspeedo/send-request';
import type { UspeedoApi } from '../../uspeedo/uspeedo.api';
import type { SentSessions } from '../sessions/sent-sessions';
import { rateLimitedAnswer } from '../shared/rate-limited';
import type { SmsLimitValues } from '../shared/sms-limits';
import { expectedReceipts } from '../send/expected-receipts';
import { placeFailedTargets } from '../send/failed-rows';
import { prepareBatch, type BatchRecipient } from '../send/prepare-batch';
import { mapSendAnswer } from '../send/send-answer.mapper';
import { sentNothing, UPSTREAM_REFUSED } from '../send/send-outcome';
import { SendBatchSmsErrorCode as Code } from '../send/send-batch-sms-error-code.enum';
import { SendBatchSmsSuccess, type SendBatchSmsError } from '../send/send-batch-sms.result';
import type { FailureEntry, KeptError, PageContent } from './campaign-record';

/** A page's outcome, final: what its record and its failures document keep. */
export interface FinalOutcome {
  kind: 'final';
  state: 'SENT' | 'FAILED' | 'OUTCOME_UNKNOWN';
  sessionNos: string[];
  error: KeptError | null;
  failures: FailureEntry[];
  sent: number;
  failed: number;
  skipped: number;
  unknown: number;
  /** Every later page would fail the same way (uSpeedo refused our credentials): the campaign pauses. */
  pause: boolean;
}

/** A page's outcome: final, or nothing sent and to be tried again after a wait (a limit, a 429, the store). */
export type PageOutcome =
  | FinalOutcome
  | { kind: 'wait'; error: KeptError; retryAfterSeconds: number }
  /** Asked only to settle a page taken over (`settleOnly`): no sender had claimed it, so nothing of it was sent. */
  | { kind: 'untried' }
  /** Other instances' POSTs held the pace longer than it may wait: nothing sent, it goes at its next turn. */
  | { kind: 'later' };

/** The page and its campaign, as the sender needs them. */
export interface PageToSend {
  campaignId: string;
  page: number;
  owner: Caller;
  content: PageContent;
  requestId: string;
  /** For a page taken over in a campaign no longer SENDING: its outcome if it was tried, never a send. */
  settleOnly?: boolean;
  /**
   * Takes the shared pace for `recipients` just before the POST, waiting for it: false when it is too
   * far off to hold the page's claim for (it then goes later). Pacing the POST itself, not the start
   * of the page, keeps the claim, charge and replica wait out of the gaps between POSTs.
   */
  slot: (recipients: number) => Promise<boolean>;
}

/** The wait after a failure that names none. */
const DEFAULT_WAIT_SECONDS = 10;

/** An error as a page keeps it: the SmsError fields, those not given null. */
export const kept = (error: Pick<SendBatchSmsError, 'code' | 'message'> & Partial<SendBatchSmsError>): KeptError => ({
  code: error.code,
  message: error.message,
  retryable: error.retryable ?? false,
  retryAfterSeconds: error.retryAfterSeconds ?? null,
  retCode: error.retCode ?? null,
  httpStatus: error.httpStatus ?? null,
  requestUuid: error.requestUuid ?? null,
});

const byRow = (a: FailureEntry, b: FailureEntry) => a[0] - b[0] || a[1] - b[1];

/**
 * Sends one page of a campaign through the send's own steps: its rules, an idempotency claim keyed by
 * campaign and page (so a page taken over after a crash is replayed or answered OUTCOME_UNKNOWN,
 * never sent twice), the caller's limits (a number over its own is skipped, the rest goes), the
 * replicas, one uSpeedo call, and the result kept under the key.
 */
export class CampaignPageSender {
  constructor(
    private readonly uspeedo: Pick<UspeedoApi, 'sendBatch'>,
    private readonly limits: SmsLimitValues,
    private readonly allowedCountryCodes: readonly string[],
    private readonly rateLimiter: RateLimiter,
    /** Keys kept as long as the campaign's sessions, so a page is never sent twice while its campaign exists. */
    private readonly idempotency: Idempotency,
    private readonly sessions: Pick<SentSessions, 'record'>,
    private readonly replicate: (writes: ReplicatedWrites) => Promise<void>,
  ) {}

  /** The page's outcome. Throws `StateStoreUnavailableError` only before anything could be sent. */
  async send(page: PageToSend, log: FastifyBaseLogger): Promise<PageOutcome> {
    const prepared = prepareBatch(page.content, this.limits, this.allowedCountryCodes);
    if (!prepared.ok) {
      // The rules changed since the page was added (ALLOWED_COUNTRY_CODES, say): none of it goes.
      const reason = prepared.fieldErrors[0]?.message ?? 'breaks a rule of this server';
      const failures = allTargets(page.content, 'PAGE_REFUSED', `not sent: the page no longer keeps this server's rules (${reason})`);
      return final('FAILED', {
        skipped: failures.length,
        failures,
        error: kept({
          code: prepared.code,
          message: `The page no longer keeps this server's rules (see smsCampaignFailures). Nothing of it was sent.`,
        }),
      });
    }
    const { request, recipients } = prepared;
    const scope = callerKey(page.owner);
    const claim = await this.idempotency.claim(
      `campaign:${scope}`,
      `${page.campaignId}:${page.page}`,
      sameBatchText(request, (i) => recipients[i].e164),
      page.requestId,
    );
    if (claim.kind !== 'proceed') return this.answerFromKey(claim, recipients.length);
    if (page.settleOnly) {
      await claim.release();
      return { kind: 'untried' };
    }

    let toSend = recipients;
    let skipped: FailureEntry[] = [];
    let charged: Charged | null = null;
    try {
      // A number over its limit is skipped and the rest charged again; the counters of the caller and the server hold the page back.
      for (let round = 0; round < 3 && charged === null; round++) {
        const charge = await this.rateLimiter.charge(scope, toSend);
        if (charge.ok) {
          charged = charge.charged;
          break;
        }
        const refusal = charge.refusal;
        // The caller's and the server's counters hold the page back; the per-number windows only skip numbers.
        const counters = refusal.limits.filter((limit) => !limit.perNumber);
        if (counters.length > 0) {
          const answer = rateLimitedAnswer({ ...refusal, limits: counters, recipients: [], numbers: 0 }, toSend);
          await claim.release();
          if (!answer.retryable) {
            const failures = entries(recipients, 'RATE_LIMITED', `not sent: ${answer.message}`);
            return final('FAILED', {
              skipped: failures.length,
              failures,
              error: kept({ code: Code.RATE_LIMITED, message: answer.message }),
            });
          }
          return wait(
            kept({ code: Code.RATE_LIMITED, message: answer.message, retryable: true }),
            answer.retryAfterSeconds ?? DEFAULT_WAIT_SECONDS,
          );
        }
        const over = overLimit(refusal, toSend);
        skipped = [...skipped, ...over.entries];
        toSend = toSend.filter((_, i) => !over.indexes.has(i));
        if (toSend.length === 0) break;
      }
    } catch (error) {
      await claim.release().catch(() => {});
      throw error;
    }
    skipped.sort(byRow);
    if (charged === null) {
      if (toSend.length > 0) {
        await claim.release();
        return wait(
          kept({
            code: Code.RATE_LIMITED,
            message: 'The limits kept changing while this page was charged. Nothing was sent; it goes again shortly.',
            retryable: true,
          }),
          1,
        );
      }
      const outcome = final('FAILED', {
        skipped: skipped.length,
        failures: skipped,
        error: kept({ code: Code.RATE_LIMITED, message: 'Every number of this page was over its hourly or daily limit: none was sent.' }),
      });
      await this.keep(claim, outcome, log);
      return outcome;
    }
    try {
      await this.replicate({ idempotencyKey: claim.key, limits: !chargesNothing(charged) });
    } catch (error) {
      await this.giveBack(charged, claim.release, log);
      if (!(error instanceof StateStoreUnavailableError)) throw error;
      return wait(
        kept({
          code: Code.SERVICE_UNAVAILABLE,
          message: "The state store could not copy this page's claim to its replicas in time. Nothing was sent; it goes again shortly.",
          retryable: true,
        }),
        5,
      );
    }

    const skip = new Set<number>();
    if (toSend.length < recipients.length) {
      const sending = new Set(toSend);
      recipients.forEach((recipient, i) => sending.has(recipient) || skip.add(i));
    }
    const body = JSON.stringify(skip.size > 0 ? withoutRecipients(request, skip) : request);
    let go: boolean;
    try {
      go = await page.slot(toSend.length);
    } catch (error) {
      await this.giveBack(charged, claim.release, log);
      throw error;
    }
    if (!go) {
      await this.giveBack(charged, claim.release, log);
      return { kind: 'later' };
    }
    const result = placeFailedTargets(mapSendAnswer(await this.uspeedo.sendBatch(body)), toSend);
    const outcome = this.outcomeOf(result, toSend, skipped);
    if (outcome.kind === 'wait') {
      await this.giveBack(charged, claim.release, log);
      return outcome;
    }
    await this.keep(claim, outcome, log);
    if (result instanceof SendBatchSmsSuccess) await this.sessions.record(page.owner, expectedReceipts(result, toSend), log);
    return outcome;
  }

  /** What uSpeedo's answer makes of the page. */
  private outcomeOf(
    result: SendBatchSmsSuccess | SendBatchSmsError,
    sent: readonly BatchRecipient[],
    skipped: FailureEntry[],
  ): FinalOutcome | Extract<PageOutcome, { kind: 'wait' }> {
    if (result instanceof SendBatchSmsSuccess) {
      const rejected: FailureEntry[] = result.failedTargetPhones
        .filter((failed) => failed.path.length === 4)
        .map((failed) => [
          Number(failed.path[1]),
          Number(failed.path[3]),
          failed.e164,
          'TARGET_REJECTED',
          failed.failureReason || 'uSpeedo did not take this number',
        ]);
      const failures = [...skipped, ...rejected].sort(byRow);
      return final('SENT', {
        sessionNos: result.sessionNos,
        failures,
        sent: sent.length - rejected.length,
        failed: rejected.length,
        skipped: skipped.length,
      });
    }
    if (sentNothing(result)) {
      // uSpeedo's 429 holds the campaign back as a limit of ours does.
      const code = result.httpStatus === 429 ? Code.RATE_LIMITED : result.code;
      return wait(kept({ ...result, code }), result.retryAfterSeconds ?? DEFAULT_WAIT_SECONDS);
    }
    if (UPSTREAM_REFUSED.has(result.code)) {
      const refused = entries(sent, 'PAGE_REFUSED', `not sent: uSpeedo refused the page (${result.code})`);
      return final('FAILED', {
        failures: [...skipped, ...refused].sort(byRow),
        failed: refused.length,
        skipped: skipped.length,
        error: kept(result),
        pause: result.code === Code.UPSTREAM_AUTH_FAILED,
      });
    }
    return final('OUTCOME_UNKNOWN', { failures: skipped, unknown: sent.length, skipped: skipped.length, error: kept(result) });
  }

  /** A page whose key was taken before: its kept outcome, or unknown. */
  private answerFromKey(claim: Exclude<IdempotencyDecision, { kind: 'proceed' }>, recipients: number): PageOutcome {
    switch (claim.kind) {
      case 'replay':
        return JSON.parse(claim.payload) as FinalOutcome;
      case 'in-progress':
        return wait(
          kept({ code: Code.IDEMPOTENCY_IN_PROGRESS, message: 'This page is still being sent by another instance.', retryable: true }),
          claim.retryAfterSeconds,
        );
      default: {
        const message =
          'This page was handed to uSpeedo by a sender that stopped (a crash or a lost state store) before its outcome was recorded: ' +
          "it may have been sent. It is never sent again; check uSpeedo's send records for it.";
        return final('OUTCOME_UNKNOWN', { unknown: recipients, error: kept({ code: Code.OUTCOME_UNKNOWN, message }) });
      }
    }
  }

  private async keep(
    claim: Extract<IdempotencyDecision, { kind: 'proceed' }>,
    outcome: FinalOutcome,
    log: FastifyBaseLogger,
  ): Promise<void> {
    const stored = await claim.complete(JSON.stringify(outcome)).catch((error: unknown) => {
      log.error({ err: error }, "could not keep a campaign page's outcome under its key: taken over, it answers OUTCOME_UNKNOWN");
      return false;
    });
    if (stored) await this.replicate({ idempotencyKey: claim.key }).catch(() => {});
  }

  private async giveBack(charged: Charged, release: () => Promise<void>, log: FastifyBaseLogger): Promise<void> {
    await this.rateLimiter.refund(charged).catch((error: unknown) => log.error({ err: error }, 'could not refund a charge'));
    await release().catch((error: unknown) => log.error({ err: error }, 'could not free an idempotency key'));
  }
}

/** A final outcome; what is not given is none. */
export function final(state: FinalOutcome['state'], fields: Partial<Omit<FinalOutcome, 'kind' | 'state'>>): FinalOutcome {
  return {
    kind: 'final',
    state,
    sessionNos: [],
    error: null,
    failures: [],
    sent: 0,
    failed: 0,
    skipped: 0,
    unknown: 0,
    pause: false,
    ...fields,
  };
}

/** Nothing sent: the page goes again after `retryAfterSeconds`. */
export function wait(error: KeptError, retryAfterSeconds: number): Extract<PageOutcome, { kind: 'wait' }> {
  return { kind: 'wait', error: { ...error, retryAfterSeconds }, retryAfterSeconds };
}

/** Recipients as failure entries. */
function entries(recipients: readonly BatchRecipient[], code: FailureEntry[3], reason: string): FailureEntry[] {
  return recipients.map((r): FailureEntry => [r.task, r.target, r.e164, code, reason]);
}

/** Every target of a page as a failure entry, its phone as given (for a page that no longer reads). */
function allTargets(content: PageContent, code: FailureEntry[3], reason: string): FailureEntry[] {
  return content.taskContent.flatMap((task, t) => task.target.map((target, i): FailureEntry => [t, i, target.phone, code, reason]));
}

/** The recipients a per-number limit refuses: their indexes, and their failure entries. */
function overLimit(refusal: RateLimitRefusal, recipients: readonly BatchRecipient[]) {
  const indexes = new Set<number>();
  const entries: FailureEntry[] = [];
  for (const { index, name, limit } of refusal.recipients) {
    if (indexes.has(index)) continue;
    indexes.add(index);
    const { task, target, e164 } = recipients[index];
    const window = name === 'phone-hour' ? 'hour' : 'day';
    entries.push([
      task,
      target,
      e164,
      'RATE_LIMITED',
      `skipped: this number has reached the limit of ${limit} messages per number per ${window}`,
    ]);
  }
  return { indexes, entries };
}
