import type { FastifyBaseLogger } from 'fastify';
import { callerKey, type Caller } from '../auth/caller';
import type { Idempotency, IdempotencyDecision } from '../guard/idempotency';
import { chargesNothing, type Charged, type RateLimiter, type Recipient } from '../guard/rate-limits';
import { ReplicationTimeoutError, StateStoreUnavailableError, type ReplicatedWrites } from '../guard/state-store';
import type { SmsMetrics } from './sms.metrics';
import type { UspeedoClient } from '../uspeedo/uspeedo.client';
import { maskPhone } from './mask-phone';
import { capFieldErrors, prepareBatch, type PreparedBatch } from './prepare-batch';
import { identifierProblem } from './printable-text';
import type { SendBatchSmsInput } from './send-batch-sms.input';
import { SendBatchSmsErrorCode as Code } from './send-batch-sms-error-code.enum';
import type { FieldError } from './field-error.result';
import { failure, SendBatchSmsSuccess, type SendBatchSmsError } from './send-batch-sms.result';
import type { SmsLookupService } from './sms-lookup.service';
import { SmsTemplateStatus } from './sms-templates.result';
import { deserializeResult, serializeResult } from './stored-result';
import { TEMPLATE_ID_MAX_LENGTH, type GuardLimitValues, type SmsLimitValues } from './sms-limits';
import { isTransient } from './upstream-answer';
import { mapUspeedoExchange } from './uspeedo-exchange.mapper';

type Result = SendBatchSmsSuccess | SendBatchSmsError;

/** A batch that keeps every rule, as the upstream body and what it charges; or the rules it breaks. */
type Checked = { ok: true; body: string; charges: Recipient[] } | Exclude<PreparedBatch, { ok: true }>;

/** uSpeedo answered with a refusal: it took none of the batch. */
const UPSTREAM_REFUSED: ReadonlySet<Code> = new Set([
  Code.PARAMETER_ERROR,
  Code.MISSING_PARAMETER,
  Code.UPSTREAM_SERVER_ERROR,
  Code.UPSTREAM_AUTH_FAILED,
  Code.UPSTREAM_REJECTED,
]);

/** Failed phones named (masked) in one log line, at most. */
const LOGGED_FAILED_PHONES = 20;

/** Answers that prove nothing reached uSpeedo, besides those marked `retryable`. */
const NOTHING_SENT: ReadonlySet<Code> = new Set([Code.INVALID_INPUT, Code.DESTINATION_NOT_ALLOWED, Code.RATE_LIMITED]);

/** True when the answer proves no SMS went out: its quota is given back and its idempotency key freed. */
const sentNothing = (result: Result): boolean =>
  !(result instanceof SendBatchSmsSuccess) && (result.retryable || NOTHING_SENT.has(result.code));

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
export class SmsService {
  constructor(
    private readonly uspeedo: UspeedoClient,
    readonly limits: SmsLimitValues,
    private readonly rateLimiter: RateLimiter,
    private readonly idempotency: Idempotency,
    private readonly metrics: SmsMetrics,
    private readonly lookups: SmsLookupService,
    /** Waits until the claim and charge are on the store's replicas (`StateStore.replicate`). */
    private readonly replicate: (writes: ReplicatedWrites) => Promise<void>,
    /** Look templates up before sending (SMS_TEMPLATE_CHECK). */
    private readonly templateCheck = false,
  ) {}

  /** The abuse limits and idempotency window, for `smsLimits`. */
  get guardLimits(): GuardLimitValues {
    const limits = this.rateLimiter.limits;
    return {
      rateLimitCallerPerMinute: limits.callerPerMinute,
      rateLimitCallerPerDay: limits.callerPerDay,
      rateLimitPhonePerHour: limits.phonePerHour,
      rateLimitPhonePerDay: limits.phonePerDay,
      rateLimitGlobalPerDay: limits.globalPerDay,
      allowedCountryCodes: limits.allowedCountryCodes,
      idempotencyTtlSeconds: this.idempotency.ttlSeconds,
    };
  }

  /** Sends one batch. Never throws for anything a caller can act on: those come back as `SendBatchSmsError`. */
  async sendBatch(input: SendBatchSmsInput, caller: Caller, log: FastifyBaseLogger, requestId: string, listsCut = false): Promise<Result> {
    const tasks = input.taskContent.length;
    const who = { caller: caller.id, callerKind: caller.kind, tasks };
    const scope = callerKey(caller);
    const checked = await this.check(input, log, listsCut);
    if (!checked.ok) {
      const count = checked.fieldErrors.length;
      log.info({ sms: { ...who, result: checked.code, fieldErrors: count } }, 'sendBatchSms refused');
      this.metrics.mutations.inc({ result: checked.code });
      if (checked.code === Code.DESTINATION_NOT_ALLOWED) this.metrics.limitRejections.inc({ limit: 'country' });
      return failure({
        code: checked.code,
        message:
          checked.code === Code.INVALID_INPUT
            ? `The batch breaks ${count} rule${count === 1 ? '' : 's'} (see fieldErrors). Nothing was sent.`
            : `${count} number${count === 1 ? ' is' : 's are'} in countries this server does not send to (see fieldErrors). Nothing was sent.`,
        fieldErrors: checked.fieldErrors,
      });
    }
    const { body, charges } = checked;
    const recipients = charges.length;

    let claim: IdempotencyDecision | undefined;
    if (input.idempotencyKey) {
      try {
        claim = await this.idempotency.claim(scope, input.idempotencyKey, body, requestId);
      } catch (error) {
        return this.refuse(log, who, error);
      }
      if (claim.kind !== 'proceed') {
        const answer = answerFromKey(claim);
        const label = claim.kind === 'replay' ? 'REPLAYED' : (answer as SendBatchSmsError).code;
        log.info({ sms: { ...who, recipients, idempotency: claim.kind, result: label } }, 'sendBatchSms answered from its idempotency key');
        this.metrics.mutations.inc({ result: label });
        return answer;
      }
    }
    const release = claim?.kind === 'proceed' ? claim.release : async () => {};

    let charged: Charged;
    try {
      const charge = await this.rateLimiter.charge(scope, charges);
      if (!charge.ok) {
        await release().catch((error: unknown) => log.error({ err: error }, 'could not free an idempotency key'));
        log.info({ sms: { ...who, recipients, result: Code.RATE_LIMITED, limits: charge.limits } }, 'sendBatchSms refused');
        this.metrics.mutations.inc({ result: Code.RATE_LIMITED });
        for (const limit of charge.limits) this.metrics.limitRejections.inc({ limit });
        this.metrics.recipients.inc({ outcome: 'not_sent' }, recipients);
        return failure({ code: Code.RATE_LIMITED, ...charge.refusal });
      }
      charged = charge.charged;
    } catch (error) {
      await release().catch(() => {});
      return this.refuse(log, who, error);
    }
    // A claim only the primary holds vanishes if a replica is promoted, and the retry would send again.
    const key = claim?.kind === 'proceed' ? claim.key : undefined;
    try {
      await this.replicate({ idempotencyKey: key, limits: !chargesNothing(charged) });
    } catch (error) {
      await this.giveBack(charged, release, log);
      return this.refuse(log, who, error);
    }

    const started = performance.now();
    const exchange = await this.uspeedo.sendBatch(body);
    const result = mapUspeedoExchange(exchange, (text) => this.uspeedo.redact(text));
    const upstreamMs = Math.round(performance.now() - started);

    // After the send, a failing store must not change the answer: the caller hears what uSpeedo said.
    if (sentNothing(result)) await this.giveBack(charged, release, log);
    if (!sentNothing(result) && claim?.kind === 'proceed') {
      // Not stored (the lease ran out first): once the lease is over, retries with this key answer
      // OUTCOME_UNKNOWN rather than sending again. A store whose answer never came reads the record
      // back; only when that fails too is it unknown whether the result was stored.
      const stored = await claim.complete(serializeResult(result)).catch((error: unknown) => {
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
        await this.replicate({ idempotencyKey: key }).catch((error: unknown) =>
          log.warn({ err: error, sms: { ...who, idempotency: 'result-not-replicated' } }, 'idempotent result stored on the primary only'),
        );
      }
    }
    // The sessions become this caller's, for smsDeliveryStatus.
    if (result instanceof SendBatchSmsSuccess) await this.lookups.recordSent(caller, result.sessionNos, log);

    const outcome =
      result instanceof SendBatchSmsSuccess
        ? {
            result: 'SUCCESS',
            failedRecipients: result.failedTargetPhones.length,
            failedPhones: result.failedTargetPhones.slice(0, LOGGED_FAILED_PHONES).map((f) => maskPhone(f.phone)),
          }
        : { result: result.code, retryable: result.retryable, httpStatus: result.httpStatus, retCode: result.retCode };
    log.info({ sms: { ...who, recipients, ...outcome, upstreamMs, requestUuid: result.requestUuid } }, 'sendBatchSms answered');
    this.count(result, recipients, upstreamMs);
    return result;
  }

  /**
   * Every rule of the batch, the template check's among them, and the upstream body as a string. A
   * function of its own so that the upstream body's objects (one per target) die with its frame:
   * V8 keeps every local of a suspended async function, and sendBatch waits on the store and on
   * uSpeedo, so they would have stayed alive until the answer.
   */
  private async check(input: SendBatchSmsInput, log: FastifyBaseLogger, listsCut: boolean): Promise<Checked> {
    const prepared = prepareBatch(input, this.limits, this.rateLimiter.limits.allowedCountryCodes, listsCut);
    if (!prepared.ok && prepared.oversized) return prepared;
    // Every rule at once: the template's with the batch's own.
    const templateErrors = this.templateCheck ? await this.checkTemplates(input, log) : [];
    if (templateErrors.length > 0) {
      const fieldErrors = capFieldErrors([...(prepared.ok ? [] : prepared.fieldErrors), ...templateErrors]);
      return { ok: false, code: Code.INVALID_INPUT, fieldErrors };
    }
    if (!prepared.ok) return prepared;
    // Stringified once: the idempotency fingerprint and the upstream body are the same bytes.
    return { ok: true, body: JSON.stringify(prepared.request), charges: prepared.recipients };
  }

  /**
   * The pre-send template check: each task's template must be one uSpeedo knows and has approved, and
   * each target must send as many params as it has variables. Only well-formed ids are looked up. A
   * lookup that failed on the way (the network, a timeout, a 429, a 5xx) skips the check, logged and
   * counted: a metadata outage must not stop OTPs. Any other failure is an answer the batch itself may
   * have provoked (a 4xx, a RetCode, an unreadable body), so the batch is refused at its templates.
   */
  private async checkTemplates(input: SendBatchSmsInput, log: FastifyBaseLogger): Promise<FieldError[]> {
    const ids = input.taskContent
      .map((task) => task.templateId)
      .filter((id) => identifierProblem(id, TEMPLATE_ID_MAX_LENGTH) === undefined);
    if (ids.length === 0) return [];
    const lookup = await this.lookups.lookupTemplates(ids, log);
    if (!lookup.ok) {
      const reason = lookup.failure === 'unreadable' ? 'INVALID_UPSTREAM_RESPONSE' : lookup.failure.code;
      if (lookup.failure !== 'unreadable' && isTransient(lookup.failure)) {
        log.warn({ sms: { templateCheck: 'skipped', reason } }, 'template lookup failed: sending without the template check');
        this.metrics.templateCheckSkipped.inc();
        return [];
      }
      log.warn({ sms: { templateCheck: 'refused', reason } }, 'template lookup refused by uSpeedo: the batch is refused');
      const message = `could not be checked: uSpeedo refused the template lookup (${reason}); nothing was sent`;
      return input.taskContent.flatMap((task, t) =>
        ids.includes(task.templateId) ? [{ path: ['taskContent', String(t), 'templateId'], message }] : [],
      );
    }
    const errors: FieldError[] = [];
    input.taskContent.forEach((task, t) => {
      const template = lookup.templates.get(task.templateId);
      const path = ['taskContent', String(t), 'templateId'];
      if (template === undefined) return;
      if (template === null) return void errors.push({ path, message: 'is not a template uSpeedo knows' });
      if (template.status !== SmsTemplateStatus.APPROVED) {
        return void errors.push({ path, message: `is not approved by uSpeedo (status ${template.status})` });
      }
      task.target.forEach((target, i) => {
        const count = target.templateParams?.length ?? 0;
        if (count !== template.variableCount) {
          errors.push({
            path: ['taskContent', String(t), 'target', String(i), 'templateParams'],
            message: `must have ${template.variableCount} entr${template.variableCount === 1 ? 'y' : 'ies'} for this template (found ${count})`,
          });
        }
      });
    });
    return errors;
  }

  private count(result: Result, recipients: number, upstreamMs: number): void {
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

  private refuse(log: FastifyBaseLogger, who: object, error: unknown): SendBatchSmsError {
    if (!(error instanceof StateStoreUnavailableError)) throw error;
    log.error({ err: error, sms: { ...who, result: Code.SERVICE_UNAVAILABLE } }, 'sendBatchSms refused: state store unavailable');
    this.metrics.mutations.inc({ result: Code.SERVICE_UNAVAILABLE });
    return error instanceof ReplicationTimeoutError ? notReplicated() : storeUnavailable();
  }
}
