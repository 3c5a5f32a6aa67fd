import { createHash, randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { callerKey, type Caller } from '../../auth/caller';
import { StateStoreUnavailableError, type StateStore } from '../../guard/state-store';
import { isTransient } from '../../uspeedo/upstream-answer';
import { sameBatchText } from '../../uspeedo/send-request';
import type { TemplatesService } from '../lookups/templates.service';
import { previewOf } from '../preview/preview-messages';
import { brokenBatch, type BatchCheck } from '../send/batch-check';
import { capFieldErrors, prepareBatch } from '../send/prepare-batch';
import type { SendBatchSmsInput } from '../send/send-batch-sms.input';
import type { TemplateCheck } from '../send/template-check';
import type { FieldError } from '../shared/field-error.result';
import { fitsCodePoints, printableTextProblem } from '../shared/printable-text';
import { IDEMPOTENCY_KEY_MAX_LENGTH, type SmsLimitValues } from '../shared/sms-limits';
import type { CampaignDocuments } from './campaign-documents';
import { openCount } from './campaign-documents';
import {
  CAMPAIGN_NAME_MAX_LENGTH,
  campaignKey,
  contentKey,
  failuresKey,
  keptUntil,
  MAX_CAMPAIGN_PAGES,
  pageKeys,
  type CampaignRecord,
  type FailureEntry,
  type PageContent,
  type PageRecord,
} from './campaign-record';
import { campaignView } from './campaign-view';
import type { CampaignMetrics } from './campaigns.metrics';
import { SmsCampaignErrorCode as Code } from './sms-campaign-enums';
import type { AddSmsCampaignTargetsInput, CreateSmsCampaignInput } from './sms-campaign.input';
import { campaignError, SmsCampaignFailure, SmsCampaignFailureList, type SmsCampaign, type SmsCampaignError } from './sms-campaign.result';

/** How campaigns are bounded and kept. */
export interface CampaignSettings {
  openPerCaller: number;
  maxRecipients: number;
  recipientsPerMinute: number;
  draftTtlSeconds: number;
  /** How long a finished campaign is kept: as long as its sessions (DELIVERY_STATUS_RETENTION_SECONDS). */
  retentionSeconds: number;
  idempotencyTtlSeconds: number;
}

type Answer = SmsCampaign | SmsCampaignError;

/** A campaign id as this server makes them: anything else is no campaign. */
const CAMPAIGN_ID = /^cmp_[A-Za-z0-9_-]{16}$/;
/** Failures one smsCampaignFailures answer lists at most. */
const MAX_FAILURES_PER_ANSWER = 1000;

const notFound = () => campaignError({ code: Code.NOT_FOUND, message: 'No such campaign for this caller.' });
const invalidState = (message: string) => campaignError({ code: Code.INVALID_STATE, message });
const invalidInput = (fieldErrors: FieldError[]) =>
  campaignError({
    code: Code.INVALID_INPUT,
    message: `The input breaks ${fieldErrors.length} rule${fieldErrors.length === 1 ? '' : 's'} (see fieldErrors). Nothing was stored.`,
    fieldErrors,
  });
const storeUnavailable = () =>
  campaignError({
    code: Code.SERVICE_UNAVAILABLE,
    message: 'The state store is unreachable right now. Nothing was changed; retry shortly.',
    retryable: true,
  });

/** A page's number in a path. */
const onPage = (page: number, errors: readonly FieldError[]): FieldError[] =>
  errors.map((error) => ({ ...error, path: ['page', String(page), ...error.path] }));

/** The key's problems, as the send writes them. */
function keyProblems(key: string | null | undefined): FieldError[] {
  if (key === null || key === undefined) return [];
  const problems: FieldError[] = [];
  if (!/^[\x20-\x7e]*$/.test(key)) problems.push({ path: ['idempotencyKey'], message: 'must contain only printable ASCII characters' });
  if (key.length < 1 || key.length > IDEMPOTENCY_KEY_MAX_LENGTH) {
    problems.push({ path: ['idempotencyKey'], message: `must be 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} characters` });
  }
  return problems;
}

const hash = (text: string) => createHash('sha256').update(text).digest('base64url');
/** The campaign as `caller` may see it at `now`: its own, and not a DRAFT that has expired. */
const visibleTo = (record: CampaignRecord | null, caller: Caller, now: number): record is CampaignRecord =>
  record !== null &&
  record.owner.id === caller.id &&
  record.owner.kind === caller.kind &&
  !(record.state === 'DRAFT' && record.draftExpiresAt <= now);

/**
 * The campaign's calls: create, add pages, start, pause, resume, cancel, read, failures. Sending is the
 * runner's (campaign-runner.ts); this service only changes records, each change written at the version
 * read, so concurrent calls and instances never lose one another's.
 */
export class CampaignsService {
  constructor(
    private readonly docs: CampaignDocuments,
    private readonly store: Pick<StateStore, 'putDocument' | 'expireDocuments' | 'deleteDocuments' | 'getDocument'>,
    /** The preview's rules: every rule of the send, templates included (a failed lookup leaves texts unknown). */
    private readonly check: Pick<BatchCheck, 'read'>,
    private readonly templates: Pick<TemplatesService, 'lookup' | 'budgetFor'>,
    private readonly templateCheck: Pick<TemplateCheck, 'check'>,
    private readonly limits: SmsLimitValues,
    private readonly allowedCountryCodes: readonly string[],
    private readonly settings: CampaignSettings,
    /** Told when a campaign starts or resumes, so the runner looks at once. */
    private readonly wake: () => void,
    private readonly metrics: Pick<CampaignMetrics, 'campaigns'>,
  ) {}

  /** A campaign of this caller's, or null (unknown, another's, an expired DRAFT). */
  async owned(id: string, caller: Caller, now = Date.now()): Promise<CampaignRecord | null> {
    if (!CAMPAIGN_ID.test(id)) return null;
    const record = await this.docs.campaign(id);
    return visibleTo(record, caller, now) ? record : null;
  }

  /** Runs a call, a store that cannot answer making it SERVICE_UNAVAILABLE. */
  private async guarded<T>(log: FastifyBaseLogger, what: string, work: () => Promise<T | SmsCampaignError>): Promise<T | SmsCampaignError> {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof StateStoreUnavailableError)) throw error;
      log.error({ err: error }, `${what} refused: state store unavailable`);
      return storeUnavailable();
    }
  }

  create(input: CreateSmsCampaignInput, caller: Caller, log: FastifyBaseLogger): Promise<Answer> {
    return this.guarded(log, 'createSmsCampaign', async () => {
      const { name, idempotencyKey } = input;
      const problems = keyProblems(idempotencyKey);
      const nameProblem = printableTextProblem(name);
      if (name.trim() === '') problems.unshift({ path: ['name'], message: 'must not be empty' });
      else if (nameProblem) problems.unshift({ path: ['name'], message: nameProblem });
      else if (!fitsCodePoints(name, CAMPAIGN_NAME_MAX_LENGTH)) {
        problems.unshift({ path: ['name'], message: `must be at most ${CAMPAIGN_NAME_MAX_LENGTH} characters` });
      }
      if (problems.length > 0) return invalidInput(problems);
      const scope = callerKey(caller);
      const id = `cmp_${randomBytes(12).toString('base64url')}`;
      const fingerprint = hash(name);
      const { draftTtlSeconds, openPerCaller, idempotencyTtlSeconds } = this.settings;
      type Created = 'conflict' | 'limit' | { replay: string } | { created: CampaignRecord };
      const decided = await this.docs.changeOwner<Created>(scope, (owner, now) => {
        const earlier = idempotencyKey ? owner.keys[idempotencyKey] : undefined;
        if (earlier) return { answer: earlier.fingerprint === fingerprint ? { replay: earlier.id } : 'conflict' };
        if (openCount(owner, now) >= openPerCaller) return { answer: 'limit' };
        const draftExpiresAt = now + draftTtlSeconds * 1000;
        owner.open[id] = { state: 'DRAFT', draftExpiresAt };
        if (idempotencyKey) owner.keys[idempotencyKey] = { id, fingerprint, expiresAt: now + idempotencyTtlSeconds * 1000 };
        const record: CampaignRecord = {
          id,
          name,
          owner: { id: caller.id, kind: caller.kind },
          state: 'DRAFT',
          createdAt: now,
          startedAt: null,
          finishedAt: null,
          draftExpiresAt,
          blocked: null,
          pages: [],
        };
        return { write: { value: owner, expiresAt: null }, answer: { created: record } };
      });
      if (decided === 'conflict') {
        return campaignError({
          code: Code.IDEMPOTENCY_CONFLICT,
          message: 'This idempotencyKey already created a campaign with another name. Nothing was created; use a new key.',
        });
      }
      if (decided === 'limit') {
        return campaignError({
          code: Code.LIMIT_EXCEEDED,
          message: `This caller already holds ${openPerCaller} open campaigns (DRAFT, SENDING or PAUSED), the most it may (CAMPAIGNS_OPEN_PER_CALLER). Nothing was created.`,
        });
      }
      if ('replay' in decided) {
        const record = await this.owned(decided.replay, caller);
        return record ? campaignView(record, Date.now()) : notFound();
      }
      const record = decided.created;
      await this.store.putDocument(campaignKey(id), JSON.stringify(record), 0, record.draftExpiresAt, Date.now());
      log.info({ sms: { campaign: id, caller: caller.id, result: 'CREATED' } }, 'createSmsCampaign answered');
      this.metrics.campaigns.inc({ state: 'DRAFT' });
      return campaignView(record, Date.now());
    });
  }

  addTargets(input: AddSmsCampaignTargetsInput, caller: Caller, log: FastifyBaseLogger, listsCut = false): Promise<Answer> {
    return this.guarded(log, 'addSmsCampaignTargets', async () => {
      const { campaignId, page, taskContent } = input;
      const pageProblems: FieldError[] =
        Number.isInteger(page) && page >= 0 && page < MAX_CAMPAIGN_PAGES
          ? []
          : [{ path: ['page'], message: `must be a whole number from 0 to ${MAX_CAMPAIGN_PAGES - 1}` }];
      const found = await this.owned(campaignId, caller);
      if (!found) return notFound();
      const batch = { taskContent } as SendBatchSmsInput;
      const reading = await this.check.read(batch, caller, log, listsCut);
      if (!reading.ok) {
        const refused = brokenBatch(reading);
        return campaignError({ ...refused, fieldErrors: capFieldErrors([...pageProblems, ...onPage(page, refused.fieldErrors)]) });
      }
      if (pageProblems.length > 0) return invalidInput(pageProblems);
      const fingerprint = hash(sameBatchText(reading.request, (i) => reading.recipients[i].e164));
      const preview = previewOf(batch, reading, null);
      const record: PageRecord = {
        page,
        recipients: reading.recipients.length,
        fingerprint,
        templateIds: [...new Set(taskContent.map((task) => task.templateId))],
        segments: preview.segments,
        countries: preview.countries.map((c) => [c.countryCode, c.recipients, c.segments]),
        state: 'PENDING',
        sessionNos: [],
        error: null,
        sent: 0,
        failed: 0,
        skipped: 0,
        unknown: 0,
        failures: 0,
      };
      const replayOrRefusal = (current: CampaignRecord): Answer | null => {
        const same = current.pages.find((p) => p.page === page);
        if (same?.fingerprint === fingerprint) return campaignView(current, Date.now());
        if (current.state !== 'DRAFT') {
          return invalidState(`Pages can be added only while the campaign is a DRAFT (it is ${current.state}).`);
        }
        const others = current.pages.reduce((n, p) => (p.page === page ? n : n + p.recipients), 0);
        if (others + record.recipients > this.settings.maxRecipients) {
          return campaignError({
            code: Code.LIMIT_EXCEEDED,
            message: `With this page the campaign would hold ${others + record.recipients} targets, more than CAMPAIGN_MAX_RECIPIENTS (${this.settings.maxRecipients}). The page was not stored.`,
          });
        }
        return null;
      };
      const early = replayOrRefusal(found);
      if (early) return early;
      // The page's targets first, under a key of their own: the record names them only once they are there.
      const content: PageContent = { taskContent };
      await this.store.putDocument(contentKey(campaignId, page, fingerprint), JSON.stringify(content), 0, found.draftExpiresAt, Date.now());
      let replaced: PageRecord | undefined;
      const answer = await this.docs.changeCampaign<Answer>(campaignId, (current, now) => {
        if (!visibleTo(current, caller, now)) {
          return { answer: notFound() };
        }
        const refusal = replayOrRefusal(current);
        if (refusal) return { answer: refusal };
        replaced = current.pages.find((p) => p.page === page);
        current.pages = [...current.pages.filter((p) => p.page !== page), record].sort((a, b) => a.page - b.page);
        return { write: { value: current, expiresAt: current.draftExpiresAt }, answer: campaignView(current, now) };
      });
      if (replaced && replaced.fingerprint !== fingerprint) {
        await this.store.deleteDocuments([contentKey(campaignId, page, replaced.fingerprint)]).catch(() => {});
      }
      log.info(
        { sms: { campaign: campaignId, page, recipients: record.recipients, result: answer.constructor.name } },
        'addSmsCampaignTargets answered',
      );
      return answer;
    });
  }

  start(campaignId: string, caller: Caller, log: FastifyBaseLogger): Promise<Answer> {
    return this.guarded(log, 'startSmsCampaign', async () => {
      const found = await this.owned(campaignId, caller);
      if (!found) return notFound();
      if (found.state !== 'DRAFT') return invalidState(`Only a DRAFT can be started (this campaign is ${found.state}).`);
      if (found.pages.length === 0) return invalidState('The campaign has no pages: add targets first.');
      const checked = await this.checkTemplates(found, caller, log);
      if (!(checked instanceof Map)) return checked;
      // The pages' targets are kept from now on, until the campaign's record goes.
      await this.store.expireDocuments(
        found.pages.map((p) => contentKey(campaignId, p.page, p.fingerprint)),
        null,
      );
      const answer = await this.docs.changeCampaign<Answer>(campaignId, (current, now) => {
        if (!visibleTo(current, caller, now)) {
          return { answer: notFound() };
        }
        if (current.state !== 'DRAFT') return { answer: invalidState(`Only a DRAFT can be started (this campaign is ${current.state}).`) };
        if (current.pages.some((p) => p.fingerprint !== found.pages.find((f) => f.page === p.page)?.fingerprint)) {
          return { answer: invalidState('A page changed while the campaign was being started: start it again.') };
        }
        for (const page of current.pages) page.segments = checked.get(page.page) ?? page.segments;
        Object.assign(current, { state: 'SENDING', startedAt: now });
        return { write: { value: current, expiresAt: null }, answer: campaignView(current, now) };
      });
      if (answer.constructor.name === 'SmsCampaign') {
        this.metrics.campaigns.inc({ state: 'SENDING' });
        await this.docs.noteOwner(callerKey(caller), campaignId, 'SENDING', found.draftExpiresAt);
        await this.docs.changeRunning(campaignId, { turnAt: 0, notBefore: 0 });
        this.wake();
      }
      log.info({ sms: { campaign: campaignId, result: answer.constructor.name } }, 'startSmsCampaign answered');
      return answer;
    });
  }

  /**
   * Every template of the campaign, as the send's check reads them, page by page (one page's targets
   * in memory at a time): each page's segments where they were unknown, or the rules broken, or the
   * lookup's failure (not started).
   */
  private async checkTemplates(
    record: CampaignRecord,
    caller: Caller,
    log: FastifyBaseLogger,
  ): Promise<Map<number, number | null> | SmsCampaignError> {
    const ids = [...new Set(record.pages.flatMap((p) => p.templateIds))];
    const lookup = await this.templates.lookup(ids, log, this.templates.budgetFor(caller));
    if (!lookup.ok) {
      if (lookup.failure === 'over-budget') {
        return campaignError({
          code: Code.RATE_LIMITED,
          message: `This caller's limit of template lookups per minute is reached: the campaign's templates cannot be checked. Not started; retry after ${lookup.retryAfterSeconds} s.`,
          retryable: true,
          retryAfterSeconds: lookup.retryAfterSeconds,
        });
      }
      const failure = lookup.failure === 'unreadable' ? null : lookup.failure;
      return campaignError({
        code: failure?.code ?? Code.INVALID_UPSTREAM_RESPONSE,
        message: `The campaign's templates could not be looked up (${failure?.message ?? "uSpeedo's answer could not be read"}). Not started; retry shortly.`,
        retryable: failure === null || isTransient(failure),
        retryAfterSeconds: failure?.retryAfterSeconds ?? null,
        retCode: failure?.retCode ?? null,
        httpStatus: failure?.httpStatus ?? null,
        requestUuid: failure?.requestUuid ?? null,
      });
    }
    const problems: FieldError[] = [];
    const segments = new Map<number, number | null>();
    for (const page of record.pages) {
      const content = await this.docs.read<PageContent>(contentKey(record.id, page.page, page.fingerprint));
      if (!content) return invalidState(`Page ${page.page}'s targets are gone from the state store: add the page again.`);
      const batch = content.value as SendBatchSmsInput;
      const checked = await this.templateCheck.check(batch, caller, log);
      problems.push(...onPage(page.page, checked.problems));
      if (page.segments === null && checked.problems.length === 0) {
        const prepared = prepareBatch(batch, this.limits, this.allowedCountryCodes);
        if (prepared.ok) segments.set(page.page, previewOf(batch, { ...prepared, templates: lookup.templates }, null).segments);
      }
    }
    return problems.length > 0 ? invalidInput(capFieldErrors(problems)) : segments;
  }

  pause(campaignId: string, caller: Caller, log: FastifyBaseLogger): Promise<Answer> {
    return this.transition(campaignId, caller, log, 'pauseSmsCampaign', (record) => {
      if (record.state === 'PAUSED') return 'same';
      if (record.state !== 'SENDING') return invalidState(`Only a SENDING campaign can be paused (this one is ${record.state}).`);
      record.state = 'PAUSED';
      record.blocked = null;
      return 'changed';
    });
  }

  resume(campaignId: string, caller: Caller, log: FastifyBaseLogger): Promise<Answer> {
    return this.transition(campaignId, caller, log, 'resumeSmsCampaign', (record) => {
      if (record.state === 'SENDING') return 'same';
      if (record.state !== 'PAUSED') return invalidState(`Only a PAUSED campaign can be resumed (this one is ${record.state}).`);
      record.state = 'SENDING';
      record.blocked = null;
      return 'changed';
    });
  }

  cancel(campaignId: string, caller: Caller, log: FastifyBaseLogger): Promise<Answer> {
    return this.transition(campaignId, caller, log, 'cancelSmsCampaign', (record, now) => {
      if (record.state === 'CANCELLED') return 'same';
      if (record.state === 'DONE') return invalidState('The campaign is DONE: every page has an outcome, there is nothing left to cancel.');
      record.state = 'CANCELLED';
      record.blocked = null;
      record.finishedAt = now;
      // A page in flight keeps its sender, whose outcome it gets; every page not tried never will be.
      for (const page of record.pages) if (page.state === 'PENDING') page.state = 'CANCELLED';
      return 'changed';
    });
  }

  /** A change of state, written at the version read; the owner's open list and the runner follow. */
  private transition(
    campaignId: string,
    caller: Caller,
    log: FastifyBaseLogger,
    what: string,
    change: (record: CampaignRecord, now: number) => 'same' | 'changed' | SmsCampaignError,
  ): Promise<Answer> {
    return this.guarded(log, what, async () => {
      let changed: CampaignRecord | null = null;
      const answer = await this.docs.changeCampaign<Answer>(campaignId, (current, now) => {
        if (!visibleTo(current, caller, now)) {
          return { answer: notFound() };
        }
        const decided = change(current, now);
        if (decided === 'same') return { answer: campaignView(current, now) };
        if (decided !== 'changed') return { answer: decided };
        changed = current;
        return {
          write: { value: current, expiresAt: keptUntil(current, this.settings.retentionSeconds, now) },
          answer: campaignView(current, now),
        };
      });
      const record = changed as CampaignRecord | null;
      if (record) {
        this.metrics.campaigns.inc({ state: record.state });
        await this.docs.noteOwner(callerKey(caller), campaignId, record.state, record.draftExpiresAt);
        if (record.state === 'SENDING') {
          await this.docs.changeRunning(campaignId, { turnAt: 0, notBefore: 0 });
          this.wake();
        }
        const keepUntil = keptUntil(record, this.settings.retentionSeconds, Date.now());
        if (keepUntil !== null) await this.store.expireDocuments(pageKeys(record), keepUntil);
      }
      log.info({ sms: { campaign: campaignId, result: record ? record.state : answer.constructor.name } }, `${what} answered`);
      return answer;
    });
  }

  /** The campaign, as it is now. */
  get(campaignId: string, caller: Caller, log: FastifyBaseLogger): Promise<Answer> {
    return this.guarded(log, 'smsCampaign', async () => {
      const record = await this.owned(campaignId, caller);
      return record ? campaignView(record, Date.now()) : notFound();
    });
  }

  /** Failed and skipped targets in page, task and target order, `first` at a time after the cursor `after`. */
  failures(campaignId: string, first: number, after: string | null | undefined, caller: Caller, log: FastifyBaseLogger) {
    return this.guarded<SmsCampaignFailureList>(log, 'smsCampaignFailures', async () => {
      const problems: FieldError[] = [];
      if (!Number.isInteger(first) || first < 1 || first > MAX_FAILURES_PER_ANSWER) {
        problems.push({ path: ['first'], message: `must be a whole number from 1 to ${MAX_FAILURES_PER_ANSWER}` });
      }
      const cursor = after ? readCursor(after) : { page: -1, index: 0 };
      if (!cursor) problems.push({ path: ['after'], message: 'is not a cursor this query gave' });
      if (problems.length > 0) return invalidInput(problems);
      const record = await this.owned(campaignId, caller);
      if (!record) return notFound();
      const items: SmsCampaignFailure[] = [];
      let end: { page: number; index: number } | null = null;
      let hasMore = false;
      for (const page of record.pages) {
        if (page.failures === 0 || page.page < cursor!.page) continue;
        const start = page.page === cursor!.page ? cursor!.index : 0;
        if (start >= page.failures) continue;
        if (items.length === first) {
          hasMore = true;
          break;
        }
        const entries = (await this.docs.read<FailureEntry[]>(failuresKey(record.id, page.page)))?.value ?? [];
        const taken = entries.slice(start, start + first - items.length);
        for (const [task, target, e164, code, reason] of taken) {
          items.push(
            Object.assign(new SmsCampaignFailure(), {
              path: ['page', String(page.page), 'taskContent', String(task), 'target', String(target)],
              e164,
              code,
              reason,
            }),
          );
        }
        end = { page: page.page, index: start + taken.length };
        if (start + taken.length < entries.length) {
          hasMore = true;
          break;
        }
      }
      return Object.assign(new SmsCampaignFailureList(), {
        items,
        endCursor: end ? Buffer.from(`${end.page}:${end.index}`).toString('base64url') : (after ?? null),
        hasMore,
      });
    });
  }
}

function readCursor(cursor: string): { page: number; index: number } | null {
  const match = /^(\d{1,4}):(\d{1,7})$/.exec(Buffer.from(cursor, 'base64url').toString());
  return match ? { page: Number(match[1]), index: Number(match[2]) } : null;
}
