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

/** A lookup as logs and metrics name it: the `operation` label, and its GraphQL field. */
export interface LookupNames {
  operation: string;
  query: string;
}

/** The per-minute lookup limits a caller has, by what they count. */
type LookupLimit = 'status' | 'templates';

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

/** What a lookup checks before asking uSpeedo (its ids, the caller's limit), and how each of its refusals is answered, logged and counted. */
export class LookupRefusals {
  constructor(
    private readonly names: LookupNames,
    private readonly rateLimiter: RateLimiter,
    private readonly metrics: SmsMetrics,
  ) {}

  /** The ids' rule breaks as an INVALID_INPUT refusal, or null when they keep every rule. */
  checkIds(field: string, ids: readonly string[], maxLength: number, listsCut: boolean, log: FastifyBaseLogger): SmsQueryError | null {
    const fieldErrors = checkIds(field, ids, maxLength, listsCut);
    if (fieldErrors.length === 0) return null;
    const count = fieldErrors.length;
    return this.refused(
      log,
      queryError({
        code: Code.INVALID_INPUT,
        message: `The ids break ${count} rule${count === 1 ? '' : 's'} (see fieldErrors). Nothing was asked of uSpeedo.`,
        fieldErrors,
      }),
    );
  }

  /** Charges a caller's lookups against its per-minute limit: the refusal when over it (or the store is down), else null. */
  async charge(limit: LookupLimit, scope: string, count: number, log: FastifyBaseLogger): Promise<SmsQueryError | null> {
    let retryAfter: number | null;
    try {
      retryAfter = await this.rateLimiter.chargeLookups(limit, scope, count);
    } catch (error) {
      return this.storeFailed(log, error);
    }
    return retryAfter === null ? null : this.overBudget(limit, retryAfter, log);
  }

  /** Charges `count` ids against a caller's per-minute limit: the seconds to wait when over it, else null. Throws when the store is down. */
  chargeIds(limit: LookupLimit, scope: string, count: number): Promise<number | null> {
    return this.rateLimiter.chargeLookups(limit, scope, count);
  }

  /** The RATE_LIMITED answer of a caller over its per-minute lookup limit. */
  overBudget(limit: LookupLimit, retryAfter: number, log: FastifyBaseLogger): SmsQueryError {
    const { statusPerMinute, templatesPerMinute } = this.rateLimiter.limits;
    const what = limit === 'status' ? `${statusPerMinute} session` : `${templatesPerMinute} template`;
    return this.refused(
      log,
      queryError({
        code: Code.RATE_LIMITED,
        message: `This caller's limit of ${what} lookups per minute is reached. Nothing was asked; retry after ${retryAfter} s.`,
        retryable: true,
        retryAfterSeconds: retryAfter,
      }),
    );
  }

  /** A state store that could not answer; anything else is rethrown as the fault it is. */
  storeFailed(log: FastifyBaseLogger, error: unknown): SmsQueryError {
    if (!(error instanceof StateStoreUnavailableError)) throw error;
    log.error({ err: error }, `${this.names.query} refused: state store unavailable`);
    return this.refused(log, storeUnavailable());
  }

  /** uSpeedo's failure, retryable where asking again may answer. */
  upstreamError(log: FastifyBaseLogger, failure: UpstreamFailure): SmsQueryError {
    const retryable = isTransient(failure);
    return this.refused(
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
  unreadable(log: FastifyBaseLogger, requestUuid: string | null): SmsQueryError {
    return this.refused(
      log,
      queryError({ code: Code.INVALID_UPSTREAM_RESPONSE, message: "uSpeedo's answer had no readable Data.", retCode: 0, requestUuid }),
    );
  }

  /** Counts a lookup that answered. */
  answered(): void {
    this.metrics.lookups.inc({ operation: this.names.operation, result: 'OK' });
  }

  private refused(log: FastifyBaseLogger, error: SmsQueryError): SmsQueryError {
    const { operation, query } = this.names;
    log.info({ sms: { operation, result: error.code, retryable: error.retryable } }, `${query} refused`);
    this.metrics.lookups.inc({ operation, result: error.code });
    return error;
  }
}
