import type { FastifyBaseLogger } from 'fastify';
import type { RateLimiter } from '../../guard/rate-limits';
import { StateStoreUnavailableError } from '../../guard/state-store';
import { isTransient, type UpstreamFailure } from '../../uspeedo/upstream-answer';
import { MAX_IDS_PER_LOOKUP } from '../../uspeedo/uspeedo.types';
import type { FieldError } from '../shared/field-error.result';
import { identifierProblem } from '../shared/printable-text';
import type { SmsMetrics } from '../shared/sms.metrics';
import { SmsQueryErrorCode as Code } from './sms-query-error-code.enum';
import { queryError, type SmsQueryError } from './sms-query-error.result';

/** Which lookup answers: `status` (smsDeliveryStatus) or `templates` (smsTemplates), as logs and metrics name it. */
export type LookupOperation = 'status' | 'templates';

const QUERY_NAMES: Readonly<Record<LookupOperation, string>> = { status: 'smsDeliveryStatus', templates: 'smsTemplates' };

/**
 * Checks a list of ids: 1 to 100, each printable and not too long, none repeated. A list over the
 * ceiling is refused before any id is looked at, at a cost that does not grow with it.
 */
function checkIds(field: string, ids: readonly string[], maxLength: number, listsCut: boolean): FieldError[] {
  if (ids.length === 0) return [{ path: [field], message: 'must contain at least one id' }];
  if (ids.length > MAX_IDS_PER_LOOKUP) {
    // A list cut before coercion (graphql/list-ceiling.ts) held more than is counted here.
    return [
      { path: [field], message: `must contain at most ${MAX_IDS_PER_LOOKUP} ids (found ${ids.length}${listsCut ? ' or more' : ''})` },
    ];
  }
  const errors: FieldError[] = [];
  const seen = new Map<string, number>();
  ids.forEach((id, i) => {
    const path = [field, String(i)];
    const problem = identifierProblem(id, maxLength);
    if (problem) errors.push({ path, message: problem });
    const first = seen.get(id);
    if (first === undefined) seen.set(id, i);
    else errors.push({ path, message: `repeats id ${first}` });
  });
  return errors;
}

const storeUnavailable = () =>
  queryError({
    code: Code.SERVICE_UNAVAILABLE,
    message: 'Ownership and limits cannot be checked right now (the state store is unreachable). Nothing was asked; retry shortly.',
    retryable: true,
  });

/** What every lookup checks before asking uSpeedo (its ids, the caller's limit), and how each refusal is answered, logged and counted. */
export class LookupRefusals {
  constructor(
    private readonly rateLimiter: RateLimiter,
    private readonly metrics: SmsMetrics,
  ) {}

  /** The ids' rule breaks as an INVALID_INPUT refusal, or null when they keep every rule. */
  checkIds(
    operation: LookupOperation,
    field: string,
    ids: readonly string[],
    maxLength: number,
    listsCut: boolean,
    log: FastifyBaseLogger,
  ): SmsQueryError | null {
    const fieldErrors = checkIds(field, ids, maxLength, listsCut);
    if (fieldErrors.length === 0) return null;
    const count = fieldErrors.length;
    return this.refused(
      operation,
      log,
      queryError({
        code: Code.INVALID_INPUT,
        message: `The ids break ${count} rule${count === 1 ? '' : 's'} (see fieldErrors). Nothing was asked of uSpeedo.`,
        fieldErrors,
      }),
    );
  }

  /** Charges a caller's lookups against its per-minute limit: the refusal when over it (or the store is down), else null. */
  async charge(operation: LookupOperation, scope: string, count: number, log: FastifyBaseLogger): Promise<SmsQueryError | null> {
    let retryAfter: number | null;
    try {
      retryAfter = await this.rateLimiter.chargeLookups(operation, scope, count);
    } catch (error) {
      return this.storeFailed(operation, log, error);
    }
    if (retryAfter === null) return null;
    const { statusPerMinute, templatesPerMinute } = this.rateLimiter.limits;
    const limit = operation === 'status' ? `${statusPerMinute} session` : `${templatesPerMinute} template`;
    return this.refused(
      operation,
      log,
      queryError({
        code: Code.RATE_LIMITED,
        message: `This caller's limit of ${limit} lookups per minute is reached. Nothing was asked; retry after ${retryAfter} s.`,
        retryable: true,
        retryAfterSeconds: retryAfter,
      }),
    );
  }

  /** A state store that could not answer; anything else is rethrown as the fault it is. */
  storeFailed(operation: LookupOperation, log: FastifyBaseLogger, error: unknown): SmsQueryError {
    if (!(error instanceof StateStoreUnavailableError)) throw error;
    log.error({ err: error }, `${QUERY_NAMES[operation]} refused: state store unavailable`);
    return this.refused(operation, log, storeUnavailable());
  }

  /** uSpeedo's failure, retryable where asking again may answer. */
  upstreamError(operation: LookupOperation, log: FastifyBaseLogger, failure: UpstreamFailure): SmsQueryError {
    const retryable = isTransient(failure);
    return this.refused(
      operation,
      log,
      queryError({
        code: failure.code,
        message: failure.message,
        retryable,
        retryAfterSeconds: retryable ? failure.retryAfterSeconds : null,
        retCode: failure.retCode,
        httpStatus: failure.httpStatus,
        requestUuid: failure.requestUuid,
      }),
    );
  }

  /** A RetCode 0 answer whose Data could not be read. */
  unreadable(operation: LookupOperation, log: FastifyBaseLogger, requestUuid: string | null): SmsQueryError {
    return this.refused(
      operation,
      log,
      queryError({ code: Code.INVALID_UPSTREAM_RESPONSE, message: "uSpeedo's answer had no readable Data.", retCode: 0, requestUuid }),
    );
  }

  /** Counts a lookup that answered. */
  answered(operation: LookupOperation): void {
    this.metrics.lookups.inc({ operation, result: 'OK' });
  }

  private refused(operation: LookupOperation, log: FastifyBaseLogger, error: SmsQueryError): SmsQueryError {
    log.info({ sms: { operation, result: error.code, retryable: error.retryable } }, `${QUERY_NAMES[operation]} refused`);
    this.metrics.lookups.inc({ operation, result: error.code });
    return error;
  }
}
