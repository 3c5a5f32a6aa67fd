import type { FastifyBaseLogger } from 'fastify';
import { LRUCache } from 'lru-cache';
import { callerKey, type Caller } from '../../auth/caller';
import { isTemplateNotFound, type UpstreamFailure } from '../../uspeedo/upstream-answer';
import type { UspeedoApi } from '../../uspeedo/uspeedo.api';
import { TEMPLATE_ID_MAX_LENGTH } from '../shared/sms-limits';
import { toSmsTemplate } from './lookup-answer.mapper';
import type { LookupRefusals } from './lookup-refusals';
import type { SmsQueryError } from './sms-query-error.result';
import { SmsTemplateList, type SmsTemplate } from './sms-templates.result';

/** Templates cached at most. */
const CACHED_TEMPLATES = 50_000;
/**
 * Ids cached as unknown at most, in a cache of their own: any caller can name ids uSpeedo does not
 * know, and they must not push out the templates every other caller uses.
 */
const CACHED_UNKNOWN_IDS = 5_000;

/**
 * Charges the caller for one template GET, before it is made, by the ids it asks: the seconds until the
 * caller may ask again when its budget is spent, else null. Throws `StateStoreUnavailableError` when the
 * budget cannot be read.
 */
export type TemplateBudget = (ids: readonly string[]) => Promise<number | null>;

/** A template lookup: each id's template, or null for an id uSpeedo does not know. */
export type TemplateLookup =
  | { ok: true; templates: Map<string, SmsTemplate | null>; requestUuid: string | null }
  | { ok: false; failure: UpstreamFailure | 'unreadable' }
  /** The caller's template budget would be passed by the next GET: not asked. */
  | { ok: false; failure: 'over-budget'; retryAfterSeconds: number };

/** `smsTemplates`, and the templates the pre-send check looks up: read from uSpeedo with retries and a cache. */
export class TemplatesService {
  private readonly cache: LRUCache<string, { template: SmsTemplate }> | undefined;
  private readonly unknown: LRUCache<string, true> | undefined;

  constructor(
    private readonly uspeedo: Pick<UspeedoApi, 'templates' | 'chunks'>,
    private readonly refusals: LookupRefusals,
    cacheSeconds: number,
  ) {
    this.cache = cacheSeconds > 0 ? new LRUCache({ max: CACHED_TEMPLATES, ttl: cacheSeconds * 1000 }) : undefined;
    this.unknown = cacheSeconds > 0 ? new LRUCache({ max: CACHED_UNKNOWN_IDS, ttl: cacheSeconds * 1000 }) : undefined;
  }

  /**
   * The caller's template budget (RATE_LIMIT_TEMPLATES_PER_MINUTE), charged id by id for every GET made
   * on its behalf. Ids in `prepaid` were charged already (smsTemplates charges every id it is asked):
   * their first GET is not charged again; a second one (asked alone after "not found") is.
   */
  budgetFor(caller: Caller, prepaid: Iterable<string> = []): TemplateBudget {
    const scope = callerKey(caller);
    const paid = new Set(prepaid);
    return (ids) => {
      const fresh = ids.filter((id) => !paid.delete(id)).length;
      return fresh === 0 ? Promise.resolve(null) : this.refusals.chargeIds('templates', scope, fresh);
    };
  }

  /** The templates asked for, and the ids uSpeedo does not know. */
  async templates(
    templateIds: string[],
    caller: Caller,
    log: FastifyBaseLogger,
    listsCut = false,
  ): Promise<SmsTemplateList | SmsQueryError> {
    const refusals = this.refusals;
    const invalid = refusals.checkIds('templateIds', templateIds, TEMPLATE_ID_MAX_LENGTH, listsCut, log);
    if (invalid) return invalid;
    const over = await refusals.charge('templates', callerKey(caller), templateIds.length, log);
    if (over) return over;
    let lookup: TemplateLookup;
    try {
      lookup = await this.lookup(templateIds, log, this.budgetFor(caller, templateIds));
    } catch (error) {
      return refusals.storeFailed(log, error);
    }
    if (!lookup.ok) {
      if (lookup.failure === 'over-budget') return refusals.overBudget('templates', lookup.retryAfterSeconds, log);
      return lookup.failure === 'unreadable' ? refusals.unreadable(log, null) : refusals.upstreamError(log, lookup.failure);
    }
    const templates: SmsTemplate[] = [];
    const missingTemplateIds: string[] = [];
    for (const id of templateIds) {
      const template = lookup.templates.get(id);
      if (template) templates.push(template);
      else missingTemplateIds.push(id);
    }
    log.info({ sms: { caller: caller.id, templates: templateIds.length, missing: missingTemplateIds.length } }, 'smsTemplates answered');
    refusals.answered();
    return Object.assign(new SmsTemplateList(), { templates, missingTemplateIds, requestUuid: lookup.requestUuid });
  }

  /**
   * Templates by id, through the cache; for smsTemplates and the pre-send check. Asked in lookups
   * whose request line stays short. A template is cached as missing only from a lookup that asked for
   * it alone: uSpeedo answers "template not found" for a whole lookup when one id of it is unknown, so
   * a lookup of several ids with that answer is asked again id by id (each id once more at most), and
   * one caller's unknown id can never make another's template look missing.
   *
   * Every GET is charged to `budget` before it is made; one the budget refuses is not made, and the
   * lookup answers `over-budget`. Throws `StateStoreUnavailableError` when the budget cannot be read.
   */
  async lookup(ids: readonly string[], log: FastifyBaseLogger, budget: TemplateBudget): Promise<TemplateLookup> {
    const templates = new Map<string, SmsTemplate | null>();
    const toAsk: string[] = [];
    for (const id of new Set(ids)) {
      const cached = this.cache?.get(id);
      if (cached) templates.set(id, cached.template);
      else if (this.unknown?.get(id)) templates.set(id, null);
      else toAsk.push(id);
    }
    let requestUuid: string | null = null;
    const chunks = this.uspeedo.chunks('templates', toAsk);
    for (let c = 0; c < chunks.length; c++) {
      const chunk = chunks[c];
      const retryAfterSeconds = await budget(chunk);
      if (retryAfterSeconds !== null) return { ok: false, failure: 'over-budget', retryAfterSeconds };
      const answer = await this.uspeedo.templates(chunk, log);
      const notFound = !answer.ok && answer.failure !== 'unreadable' && isTemplateNotFound(answer.failure);
      if (notFound && chunk.length > 1) {
        // Which of them uSpeedo does not know, it does not say: each is asked alone.
        chunks.splice(c + 1, 0, ...chunk.map((id) => [id]));
        continue;
      }
      if (!answer.ok && !notFound) return { ok: false, failure: answer.failure };
      requestUuid = answer.ok ? answer.requestUuid : answer.failure.requestUuid;
      for (const id of chunk) {
        const record = answer.ok ? answer.records.get(id) : undefined;
        const template = record ? toSmsTemplate(record) : null;
        templates.set(id, template);
        if (template !== null) this.cache?.set(id, { template });
        else if (chunk.length === 1) this.unknown?.set(id, true);
      }
    }
    return { ok: true, templates, requestUuid };
  }
}
