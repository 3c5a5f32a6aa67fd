import type { FastifyBaseLogger } from 'fastify';
import { LRUCache } from 'lru-cache';
import { callerKey, type Caller } from '../auth/caller';
import type { RateLimiter } from '../guard/rate-limits';
import { StateStoreUnavailableError, type StateStore } from '../guard/state-store';
import { MAX_IDS_PER_LOOKUP, RetCode, USPEEDO_PATHS } from '../uspeedo/uspeedo.types';
import { maskPhone } from './mask-phone';
import { identifierProblem } from './printable-text';
import type { FieldError } from './field-error.result';
import { SmsDeliveryStatus, SmsSessionStatus, type SmsReceipt } from './sms-delivery-status.result';
import type { SmsMetrics } from './sms.metrics';
import { SmsQueryErrorCode as Code } from './sms-query-error-code.enum';
import { queryError, type SmsQueryError } from './sms-query-error.result';
import { SmsTemplateList, type SmsTemplate } from './sms-templates.result';
import { TEMPLATE_ID_MAX_LENGTH } from './sms-limits';
import { isTransient, type UpstreamFailure } from './upstream-answer';
import { chunkIds, type ReadAnswer, type ReadOperation, type UpstreamReads } from './upstream-reads';
import { readReceipts, readTemplates } from './uspeedo-lookup.mapper';

/** Longest session number accepted. */
const SESSION_NO_MAX_LENGTH = 128;
/** Receipts named (masked) in one log line, at most. */
const LOGGED_RECEIPTS = 20;
/** Cache entries kept at most (sessions or templates). */
const CACHE_ENTRIES = 50_000;

/** What the lookups need to know. */
export interface LookupSettings {
  /** How long a caller's sent sessions are remembered as theirs. */
  retentionSeconds: number;
  statusCacheSeconds: number;
  templateCacheSeconds: number;
}

/** A template lookup for the pre-send check: each id's template, or null for an id uSpeedo does not know. */
export type TemplateLookup =
  | { ok: true; templates: Map<string, SmsTemplate | null>; requestUuid: string | null }
  | { ok: false; failure: UpstreamFailure | 'unreadable' };

const recordedKey = (scope: string, sessionNo: string) => `${scope}\n${sessionNo}`;

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

/** After the send: delivery receipts for a caller's own sessions, and templates, read from uSpeedo with retries and a cache. */
export class SmsLookupService {
  private readonly receiptCache: LRUCache<string, SmsReceipt[]> | undefined;
  private readonly templateCache: LRUCache<string, { template: SmsTemplate | null }> | undefined;
  /**
   * Sessions this process recorded, by scope and session, with when they stop being the caller's:
   * the store's answer for them, without asking it. Only what the store took, and never past its
   * expiry, so it cannot know a session the store would not.
   */
  private readonly recorded = new LRUCache<string, number>({ max: CACHE_ENTRIES });

  constructor(
    private readonly reads: UpstreamReads,
    private readonly store: StateStore,
    private readonly rateLimiter: RateLimiter,
    private readonly settings: LookupSettings,
    private readonly metrics: SmsMetrics,
  ) {
    const { statusCacheSeconds, templateCacheSeconds } = settings;
    this.receiptCache = statusCacheSeconds > 0 ? new LRUCache({ max: CACHE_ENTRIES, ttl: statusCacheSeconds * 1000 }) : undefined;
    this.templateCache = templateCacheSeconds > 0 ? new LRUCache({ max: CACHE_ENTRIES, ttl: templateCacheSeconds * 1000 }) : undefined;
  }

  /** Remembers a successful send's sessions as the caller's, for the retention period. A failure is logged, not thrown. */
  async recordSent(caller: Caller, sessionNos: readonly string[], log: FastifyBaseLogger): Promise<void> {
    if (sessionNos.length === 0) return;
    const expiresAt = Date.now() + this.settings.retentionSeconds * 1000;
    const scope = callerKey(caller);
    try {
      await this.store.recordSessions(scope, sessionNos, expiresAt);
    } catch (error) {
      log.error({ err: error, sessions: sessionNos.length }, "could not record a send's sessions: smsDeliveryStatus will not know them");
      return;
    }
    for (const sessionNo of sessionNos) this.recorded.set(recordedKey(scope, sessionNo), expiresAt);
  }

  /** The sessions that are the caller's: those this process recorded, and the store's answer for the rest. */
  private async knownSessions(scope: string, sessionNos: readonly string[]): Promise<Set<string>> {
    const now = Date.now();
    const known = new Set<string>();
    const unsure: string[] = [];
    for (const sessionNo of sessionNos) {
      if ((this.recorded.get(recordedKey(scope, sessionNo)) ?? 0) > now) known.add(sessionNo);
      else unsure.push(sessionNo);
    }
    if (unsure.length === 0) return known;
    for (const sessionNo of await this.store.knownSessions(scope, unsure, now)) known.add(sessionNo);
    return known;
  }

  /** One answer per session asked, in order: the caller's own sessions with their receipts, any other as unknown. */
  async deliveryStatus(
    sessionNos: string[],
    caller: Caller,
    log: FastifyBaseLogger,
    listsCut = false,
  ): Promise<SmsDeliveryStatus | SmsQueryError> {
    const fieldErrors = checkIds('sessionNos', sessionNos, SESSION_NO_MAX_LENGTH, listsCut);
    if (fieldErrors.length > 0) return this.refused('status', log, invalid(fieldErrors));
    const scope = callerKey(caller);
    const over = await this.charge('status', scope, sessionNos.length, log);
    if (over) return over;
    let known: Set<string>;
    try {
      known = await this.knownSessions(scope, sessionNos);
    } catch (error) {
      return this.storeFailed('status', log, error);
    }

    const receipts = new Map<string, SmsReceipt[]>();
    const toAsk: string[] = [];
    for (const sessionNo of sessionNos) {
      if (!known.has(sessionNo)) continue;
      const cached = this.receiptCache?.get(sessionNo);
      if (cached) receipts.set(sessionNo, cached);
      else toAsk.push(sessionNo);
    }
    let requestUuid: string | null = null;
    for (const chunk of chunkIds(USPEEDO_PATHS.receipts, toAsk, MAX_IDS_PER_LOOKUP)) {
      const answer = await this.reads.read({ method: 'GET', path: USPEEDO_PATHS.receipts, query: { id: chunk } }, log, 'status');
      if (!answer.ok) return this.upstreamError('status', log, answer.failure);
      const read = readReceipts(answer.json);
      if (!read) return this.unreadable('status', log, answer.requestUuid);
      requestUuid = answer.requestUuid;
      for (const sessionNo of chunk) {
        const found = read.get(sessionNo) ?? [];
        receipts.set(sessionNo, found);
        this.receiptCache?.set(sessionNo, found);
      }
    }

    const sessions = sessionNos.map((sessionNo) =>
      Object.assign(new SmsSessionStatus(), { sessionNo, known: known.has(sessionNo), receipts: receipts.get(sessionNo) ?? [] }),
    );
    // The log line names the first few receipts, masked; no more are masked than it names.
    const phones: string[] = [];
    for (const session of sessions) {
      for (const receipt of session.receipts.slice(0, LOGGED_RECEIPTS - phones.length)) {
        phones.push(`${maskPhone(receipt.phone)}:${receipt.status}`);
      }
    }
    log.info(
      { sms: { caller: caller.id, sessions: sessionNos.length, known: known.size, asked: toAsk.length, receipts: phones, requestUuid } },
      'smsDeliveryStatus answered',
    );
    this.metrics.lookups.inc({ operation: 'status', result: 'OK' });
    return Object.assign(new SmsDeliveryStatus(), { sessions, requestUuid });
  }

  /** The templates asked for, and the ids uSpeedo does not know. */
  async templates(
    templateIds: string[],
    caller: Caller,
    log: FastifyBaseLogger,
    listsCut = false,
  ): Promise<SmsTemplateList | SmsQueryError> {
    const fieldErrors = checkIds('templateIds', templateIds, TEMPLATE_ID_MAX_LENGTH, listsCut);
    if (fieldErrors.length > 0) return this.refused('templates', log, invalid(fieldErrors));
    const over = await this.charge('templates', callerKey(caller), templateIds.length, log);
    if (over) return over;
    const lookup = await this.lookupTemplates(templateIds, log);
    if (!lookup.ok) {
      return lookup.failure === 'unreadable'
        ? this.unreadable('templates', log, null)
        : this.upstreamError('templates', log, lookup.failure);
    }
    const templates: SmsTemplate[] = [];
    const missingTemplateIds: string[] = [];
    for (const id of templateIds) {
      const template = lookup.templates.get(id);
      if (template) templates.push(template);
      else missingTemplateIds.push(id);
    }
    log.info({ sms: { caller: caller.id, templates: templateIds.length, missing: missingTemplateIds.length } }, 'smsTemplates answered');
    this.metrics.lookups.inc({ operation: 'templates', result: 'OK' });
    return Object.assign(new SmsTemplateList(), { templates, missingTemplateIds, requestUuid: lookup.requestUuid });
  }

  /**
   * Templates by id, through the cache; for smsTemplates and the pre-send check. Asked in lookups
   * whose request line stays short. A template is cached as missing only from a lookup that asked for
   * it alone: uSpeedo answers "template not found" for a whole lookup when one id of it is unknown, so
   * a lookup of several ids with that answer is asked again id by id (each id once more at most), and
   * one caller's unknown id can never make another's template look missing.
   */
  async lookupTemplates(ids: readonly string[], log: FastifyBaseLogger): Promise<TemplateLookup> {
    const templates = new Map<string, SmsTemplate | null>();
    const toAsk: string[] = [];
    for (const id of new Set(ids)) {
      const cached = this.templateCache?.get(id);
      if (cached) templates.set(id, cached.template);
      else toAsk.push(id);
    }
    let requestUuid: string | null = null;
    const chunks = chunkIds(USPEEDO_PATHS.templates, toAsk, MAX_IDS_PER_LOOKUP);
    for (let c = 0; c < chunks.length; c++) {
      const chunk = chunks[c];
      const answer = await this.reads.read({ method: 'GET', path: USPEEDO_PATHS.templates, query: { id: chunk } }, log, 'templates');
      const notFound = !answer.ok && answer.failure.kind === 'retcode' && answer.failure.retCode === RetCode.TEMPLATE_NOT_FOUND;
      if (notFound && chunk.length > 1) {
        // Which of them uSpeedo does not know, it does not say: each is asked alone.
        chunks.splice(c + 1, 0, ...chunk.map((id) => [id]));
        continue;
      }
      if (!answer.ok && !notFound) return { ok: false, failure: answer.failure };
      const read = answer.ok ? readTemplates(answer.json) : new Map<string, SmsTemplate>();
      if (!read) return { ok: false, failure: 'unreadable' };
      requestUuid = requestUuidOf(answer);
      for (const id of chunk) {
        const template = read.get(id) ?? null;
        templates.set(id, template);
        if (template !== null || chunk.length === 1) this.templateCache?.set(id, { template });
      }
    }
    return { ok: true, templates, requestUuid };
  }

  /** Charges a caller's lookups against its per-minute limit: the refusal when over it (or the store is down), else null. */
  private async charge(operation: ReadOperation, scope: string, count: number, log: FastifyBaseLogger): Promise<SmsQueryError | null> {
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

  private storeFailed(operation: ReadOperation, log: FastifyBaseLogger, error: unknown): SmsQueryError {
    if (!(error instanceof StateStoreUnavailableError)) throw error;
    log.error({ err: error }, `${operation === 'status' ? 'smsDeliveryStatus' : 'smsTemplates'} refused: state store unavailable`);
    return this.refused(operation, log, storeUnavailable());
  }

  private upstreamError(operation: 'status' | 'templates', log: FastifyBaseLogger, failure: UpstreamFailure): SmsQueryError {
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

  private unreadable(operation: 'status' | 'templates', log: FastifyBaseLogger, requestUuid: string | null): SmsQueryError {
    return this.refused(
      operation,
      log,
      queryError({ code: Code.INVALID_UPSTREAM_RESPONSE, message: "uSpeedo's answer had no readable Data.", retCode: 0, requestUuid }),
    );
  }

  private refused(operation: 'status' | 'templates', log: FastifyBaseLogger, error: SmsQueryError): SmsQueryError {
    log.info(
      { sms: { operation, result: error.code, retryable: error.retryable } },
      `${operation === 'status' ? 'smsDeliveryStatus' : 'smsTemplates'} refused`,
    );
    this.metrics.lookups.inc({ operation, result: error.code });
    return error;
  }
}

const requestUuidOf = (answer: ReadAnswer) => (answer.ok ? answer.requestUuid : answer.failure.requestUuid);

const invalid = (fieldErrors: FieldError[]) =>
  queryError({
    code: Code.INVALID_INPUT,
    message: `The ids break ${fieldErrors.length} rule${fieldErrors.length === 1 ? '' : 's'} (see fieldErrors). Nothing was asked of uSpeedo.`,
    fieldErrors,
  });

const storeUnavailable = () =>
  queryError({
    code: Code.SERVICE_UNAVAILABLE,
    message: 'Ownership and limits cannot be checked right now (the state store is unreachable). Nothing was asked; retry shortly.',
    retryable: true,
  });
