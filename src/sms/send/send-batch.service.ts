import type { FastifyBaseLogger } from 'fastify';
import { callerKey, type Caller } from '../../auth/caller';
import type { Idempotency, IdempotencyDecision } from '../../guard/idempotency';
import { chargesNothing, type Charged, type RateLimiter, type Recipient } from '../../guard/rate-limits';
import { ReplicationTimeoutError, StateStoreUnavailableError, type ReplicatedWrites } from '../../guard/state-store';
import { annotate, currentSpan } from '../../telemetry/spans';
import { sameBatchText } from '../../uspeedo/send-request';
import type { UspeedoApi } from '../../uspeedo/uspeedo.api';
import type { SentSessions } from '../sessions/sent-sessions';
import { maskPhone } from '../shared/mask-phone';
import { rateLimitedAnswer } from '../shared/rate-limited';
import type { SendMetrics } from './send.metrics';
import { brokenBatch, type BatchCheck, type BatchReading } from './batch-check';
import { expectedReceipts } from './expected-receipts';
import { placeFailedTargets } from './failed-rows';
import { mapSendAnswer } from './send-answer.mapper';
import { SendBatchSmsErrorCode as Code } from './send-batch-sms-error-code.enum';
import type { SendBatchSmsInput } from './send-batch-sms.input';
import { failure, SendBatchSmsSuccess, type SendBatchSmsError } from './send-batch-sms.result';
import { sentNothing, UPSTREAM_REFUSED } from './send-outcome';
import { deserializeResult, serializeResult } from './stored-result';

type Result = SendBatchSmsSuccess | SendBatchSmsError;

/** What every log line of one send says of it. */
type Who = { caller: string; callerKind: string; tasks: number };

/** A step that either answers the caller now or hands the next step what it needs. */
type Step<T> = { answer: Result } | ({ answer?: undefined } & T);

/** An idempotency key this request now holds. */
type HeldKey = Extract<IdempotencyDecision, { kind: 'proceed' }>;

/**
 * A batch that keeps every rule, as the upstream body, what an idempotency key compares (`sameAs`: the
 * batch with each number in E.164, so `13800138000` and `+8613800138000` are one batch, as the limits
 * count them) and what it charges; or the rules it breaks.
 */
type Checked = { ok: true; body: string; sameAs: string; charges: Recipient[] } | Extract<BatchReading, { ok: false }>;

/** Failed phones named (masked) in one log line, at most. */
const LOGGED_FAILED_PHONES = 20;

const storeUnavailable = () =>
  failure({
    code: Code.SERVICE_UNAVAILABLE,
    message: 'Limits cannot be checked right now (the state store is unreachable). Nothing was sent; retry shortly.',
    retryable: true,
  });

const notReplicated = () =>
  failure({
    code: Code.SERVICE_UNAVAILABLE,
    message:
      "The state store could not copy this send's claim to a replica in time (a Redis failover may be under way). Nothing was sent; retry shortly.",
    retryable: true,
  });

/** The send span's `sms.idempotency`, by what the key's claim found. */
const IDEMPOTENCY_OUTCOME: Record<IdempotencyDecision['kind'], string> = {
  proceed: 'new',
  replay: 'replayed',
  'in-progress': 'in_progress',
  conflict: 'conflict',
  'outcome-unknown': 'unknown',
};

/** What a key already taken answers, instead of a send. */
function answerFromKey(claim: Exclude<IdempotencyDecision, { kind: 'proceed' }>): Result {
  switch (claim.kind) {
    case 'replay':
      return deserializeResult(claim.payload);
    case 'conflict':
      return failure({
        code: Code.IDEMPOTENCY_CONFLICT,
        message: 'This idempotencyKey was already used with a different batch. Nothing was sent; use a new key for a new batch.',
      });
    case 'in-progress':
      return failure({
        code: Code.IDEMPOTENCY_IN_PROGRESS,
        message: 'A request with this idempotencyKey is still in progress. Nothing was sent; retry shortly to get its result.',
        retryable: true,
        retryAfterSeconds: claim.retryAfterSeconds,
      });
    case 'outcome-unknown': {
      const when = claim.claimedAt ? ` at ${claim.claimedAt.toISOString()}` : '';
      const which = claim.requestId ? ` (request id ${claim.requestId} in this server's logs)` : '';
      return failure({
        code: Code.OUTCOME_UNKNOWN,
        message:
          `An earlier request with this idempotencyKey${which}${when} may have been sent to uSpeedo, but its outcome was never recorded ` +
          '(the server stopped or lost its state store mid-send). Sending the batch again risks a duplicate SMS. ' +
          "Check uSpeedo's console (its send records for that time) before sending it under a new key. Nothing was sent now.",
      });
    }
  }
}

/** Validates a batch, checks the caller's limits and idempotency key, and sends it to uSpeedo in one call, or not at all. */
export class SendBatchService {
  constructor(
    private readonly uspeedo: Pick<UspeedoApi, 'sendBatch'>,
    /** The batch's rules, the templates' among them when SMS_TEMPLATE_CHECK is on. */
    private readonly batch: Pick<BatchCheck, 'read'>,
    private readonly rateLimiter: RateLimiter,
    private readonly idempotency: Idempotency,
    private readonly metrics: SendMetrics,
    private readonly sessions: Pick<SentSessions, 'record'>,
    /** Waits until the claim and charge are on the store's replicas (`StateStore.replicate`). */
    private readonly replicate: (writes: ReplicatedWrites) => Promise<void>,
  ) {}

  /** Sends one batch. Never throws for anything a caller can act on: those come back as `SendBatchSmsError`. */
  async sendBatch(input: SendBatchSmsInput, caller: Caller, log: FastifyBaseLogger, requestId: string, listsCut = false): Promise<Result> {
    const who: Who = { caller: caller.id, callerKind: caller.kind, tasks: input.taskContent.length };
    const scope = callerKey(caller);
    currentSpan()?.setAttributes({
      'sms.tasks': who.tasks,
      'sms.targets': input.taskContent.reduce((n, task) => n + task.target.length, 0),
    });
    let checked: Checked;
    try {
      checked = await this.check(input, caller, log, listsCut);
    } catch (error) {
      return this.refuse(log, who, error);
    }
    if (!checked.ok) return this.refuseBreaks(checked, log, who);
    const { body, sameAs, charges } = checked;
    const recipients = charges.length;
    annotate({ 'sms.recipients': recipients });

    const claimed = await this.claim(input.idempotencyKey, scope, sameAs, requestId, log, who, recipients);
    if (claimed.answer) return placeFailedTargets(claimed.answer, charges);
    const { held } = claimed;
    const release = held ? held.release : async () => {};
    const charge = await this.charge(scope, charges, release, log, who);
    if (charge.answer) return charge.answer;
    const { charged } = charge;
    // A claim only the primary holds vanishes if a replica is promoted, and the retry would send again.
    try {
      await this.replicate({ idempotencyKey: held?.key, limits: !chargesNothing(charged) });
    } catch (error) {
      await this.giveBack(charged, release, log);
      return this.refuse(log, who, error);
    }

    const started = performance.now();
    const result = placeFailedTargets(mapSendAnswer(await this.uspeedo.sendBatch(body)), charges);
    const upstreamMs = Math.round(performance.now() - started);

    // After the send, a failing store must not change the answer: the caller hears what uSpeedo said.
    if (sentNothing(result)) await this.giveBack(charged, release, log);
    else if (held) await this.keepResult(held, result, log, who);
    // The sessions become this caller's, for smsDeliveryStatus.
    if (result instanceof SendBatchSmsSuccess) await this.sessions.record(caller, expectedReceipts(result, charges), log);
    this.report(result, log, who, recipients, upstreamMs);
    return result;
  }

  /**
   * Every rule of the batch, the template check's among them, and the upstream body as a string. A
   * function of its own so that the upstream body's objects (one per target) die with its frame:
   * V8 keeps every local of a suspended async function, and sendBatch waits on the store and on
   * uSpeedo, so they would have stayed alive until the answer.
   */
  private async check(input: SendBatchSmsInput, caller: Caller, log: FastifyBaseLogger, listsCut: boolean): Promise<Checked> {
    const reading = await this.batch.read(input, caller, log, listsCut);
    if (!reading.ok) return reading;
    // A valid batch has one recipient per target, in order. Without a key, nothing compares batches.
    const { request, recipients } = reading;
    const body = JSON.stringify(request);
    const sameAs = input.idempotencyKey ? sameBatchText(request, (i) => recipients[i].e164) : body;
    return { ok: true, body, sameAs, charges: recipients };
  }

  /** The answer to a batch that breaks rules: every break, nothing sent. */
  private refuseBreaks(checked: Exclude<Checked, { ok: true }>, log: FastifyBaseLogger, who: Who): SendBatchSmsError {
    log.info({ sms: { ...who, result: checked.code, fieldErrors: checked.fieldErrors.length } }, 'sendBatchSms refused');
    this.metrics.mutations.inc({ result: checked.code });
    if (checked.code === Code.DESTINATION_NOT_ALLOWED) this.metrics.limitRejections.inc({ limit: 'country' });
    if (checked.code === Code.RATE_LIMITED) this.metrics.limitRejections.inc({ limit: 'templates-minute' });
    return brokenBatch(checked);
  }

  /** Claims the idempotency key, if there is one: the key held, or the answer a key already taken gives. */
  private async claim(
    idempotencyKey: string | null | undefined,
    scope: string,
    sameAs: string,
    requestId: string,
    log: FastifyBaseLogger,
    who: Who,
    recipients: number,
  ): Promise<Step<{ held?: HeldKey }>> {
    if (!idempotencyKey) return {};
    let claim: IdempotencyDecision;
    try {
      claim = await this.idempotency.claim(scope, idempotencyKey, sameAs, requestId);
    } catch (error) {
      return { answer: this.refuse(log, who, error) };
    }
    annotate({ 'sms.idempotency': IDEMPOTENCY_OUTCOME[claim.kind] });
    if (claim.kind === 'proceed') return { held: claim };
    const answer = answerFromKey(claim);
    const label = claim.kind === 'replay' ? 'REPLAYED' : (answer as SendBatchSmsError).code;
    log.info({ sms: { ...who, recipients, idempotency: claim.kind, result: label } }, 'sendBatchSms answered from its idempotency key');
    this.metrics.mutations.inc({ result: label });
    return { answer };
  }

  /** Charges the batch against the abuse limits: the charge, or the refusal (the key freed). */
  private async charge(
    scope: string,
    charges: Recipient[],
    release: () => Promise<void>,
    log: FastifyBaseLogger,
    who: Who,
  ): Promise<Step<{ charged: Charged }>> {
    const recipients = charges.length;
    try {
      const charge = await this.rateLimiter.charge(scope, charges);
      annotate({ 'sms.rate_limited': !charge.ok });
      if (charge.ok) return { charged: charge.charged };
      await release().catch((error: unknown) => log.error({ err: error }, 'could not free an idempotency key'));
      const limits = charge.refusal.limits.map((limit) => limit.name);
      log.info({ sms: { ...who, recipients, result: Code.RATE_LIMITED, limits } }, 'sendBatchSms refused');
      this.metrics.mutations.inc({ result: Code.RATE_LIMITED });
      for (const limit of limits) this.metrics.limitRejections.inc({ limit });
      this.metrics.recipients.inc({ outcome: 'not_sent' }, recipients);
      return { answer: failure({ code: Code.RATE_LIMITED, ...rateLimitedAnswer(charge.refusal, charges) }) };
    } catch (error) {
      await release().catch(() => {});
      return { answer: this.refuse(log, who, error) };
    }
  }

  /**
   * Stores a sent batch's result under its key, and waits for the replicas to have it. Not stored (the
   * lease ran out first): once the lease is over, retries with this key answer OUTCOME_UNKNOWN rather
   * than sending again. A store whose answer never came reads the record back; only when that fails
   * too is it unknown whether the result was stored.
   */
  private async keepResult(held: HeldKey, result: Result, log: FastifyBaseLogger, who: Who): Promise<void> {
    const stored = await held.complete(serializeResult(result)).catch((error: unknown) => {
      log.error(
        { err: error, sms: { ...who, idempotency: 'store-unknown' } },
        'could not store an idempotent result (or confirm it was stored): retries with this key get it if it was, OUTCOME_UNKNOWN after the lease if not',
      );
      return null;
    });
    if (stored === false) {
      log.warn(
        { sms: { ...who, idempotency: 'not-stored' } },
        'idempotent result not stored: retries with this key will answer OUTCOME_UNKNOWN',
      );
    } else if (stored) {
      // Answered either way: a result lost in a failover leaves its replicated claim, so a retry
      // answers IN_PROGRESS, then OUTCOME_UNKNOWN, never a second send.
      await this.replicate({ idempotencyKey: held.key }).catch((error: unknown) =>
        log.warn({ err: error, sms: { ...who, idempotency: 'result-not-replicated' } }, 'idempotent result stored on the primary only'),
      );
    }
  }

  /** The answer's log line and metrics. */
  private report(result: Result, log: FastifyBaseLogger, who: Who, recipients: number, upstreamMs: number): void {
    const outcome =
      result instanceof SendBatchSmsSuccess
        ? {
            result: 'SUCCESS',
            failedRecipients: result.failedTargetPhones.length,
            failedPhones: result.failedTargetPhones.slice(0, LOGGED_FAILED_PHONES).map((f) => maskPhone(f.phone)),
          }
        : { result: result.code, retryable: result.retryable, httpStatus: result.httpStatus, retCode: result.retCode };
    log.info({ sms: { ...who, recipients, ...outcome, upstreamMs, requestUuid: result.requestUuid } }, 'sendBatchSms answered');
    const metrics = this.metrics;
    const label = result instanceof SendBatchSmsSuccess ? 'SUCCESS' : result.code;
    metrics.mutations.inc({ result: label });
    metrics.upstreamSeconds.observe({ result: label }, upstreamMs / 1000);
    if (result instanceof SendBatchSmsSuccess) {
      const failed = Math.min(result.failedTargetPhones.length, recipients);
      metrics.recipients.inc({ outcome: 'accepted' }, recipients - failed);
      if (failed > 0) metrics.recipients.inc({ outcome: 'failed' }, failed);
    } else {
      const outcome = sentNothing(result) || UPSTREAM_REFUSED.has(result.code) ? 'not_sent' : 'unknown';
      metrics.recipients.inc({ outcome }, recipients);
    }
  }

  /** For a batch that provably never reached uSpeedo: its charge given back and its key freed, failures logged. */
  private async giveBack(charged: Charged, release: () => Promise<void>, log: FastifyBaseLogger): Promise<void> {
    await this.rateLimiter.refund(charged).catch((error: unknown) => log.error({ err: error }, 'could not refund a charge'));
    await release().catch((error: unknown) => log.error({ err: error }, 'could not free an idempotency key'));
  }

  private refuse(log: FastifyBaseLogger, who: Who, error: unknown): SendBatchSmsError {
    if (!(error instanceof StateStoreUnavailableError)) throw error;
    const why =
      error instanceof ReplicationTimeoutError
        ? 'sendBatchSms refused: fewer Redis replicas than REDIS_MIN_REPLICAS_ACKS took its claim in time'
        : 'sendBatchSms refused: state store unavailable';
    log.error({ err: error, sms: { ...who, result: Code.SERVICE_UNAVAILABLE } }, why);
    this.metrics.mutations.inc({ result: Code.SERVICE_UNAVAILABLE });
    return error instanceof ReplicationTimeoutError ? notReplicated() : storeUnavailable();
  }
}
