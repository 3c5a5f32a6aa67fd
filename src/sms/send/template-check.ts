import type { FastifyBaseLogger } from 'fastify';
import { isTransient } from '../../uspeedo/upstream-answer';
import type { Caller } from '../../auth/caller';
import type { TemplateLookup, TemplatesService } from '../lookups/templates.service';
import { SmsTemplateStatus, type SmsTemplate } from '../lookups/sms-templates.result';
import type { FieldError } from '../shared/field-error.result';
import { identifierProblem } from '../shared/printable-text';
import type { SendMetrics } from './send.metrics';
import { TEMPLATE_ID_MAX_LENGTH } from '../shared/sms-limits';
import type { SendBatchSmsInput } from './send-batch-sms.input';

/** A template check's answer: the rules broken, and each well-formed id's template (null: unknown to uSpeedo). */
export interface TemplateCheckResult {
  problems: FieldError[];
  /** Null when the lookup failed and the templates went unchecked. */
  templates: ReadonlyMap<string, SmsTemplate | null> | null;
  /**
   * The caller's template budget is spent (the seconds until it may ask again): what was over it was
   * not asked. A send is refused for it (RATE_LIMITED); a preview answers with its templates unchecked.
   */
  overBudget?: number;
}

/**
 * The pre-send template check (SMS_TEMPLATE_CHECK): each task's template must be one uSpeedo knows and
 * has approved, and each target must send as many params as it has variables. Only well-formed ids
 * are looked up. A lookup that failed on the way (the network, a timeout, a 429, a 5xx) skips the
 * check, logged and counted: a metadata outage must not stop OTPs. Any other failure is an answer the
 * batch itself may have provoked (a 4xx, a RetCode, an unreadable body), so the batch is refused at
 * its templates; or, for a preview (`refuseWhenRefused: false`), left unchecked too. Every GET is
 * charged to the caller's template budget first; the fail-open rule is for uSpeedo's failures only,
 * never for a caller past its budget (`overBudget`).
 */
export class TemplateCheck {
  constructor(
    private readonly templates: Pick<TemplatesService, 'lookup' | 'budgetFor'>,
    /** The send's metrics; a preview's check (`refuseWhenRefused: false`) counts nothing. */
    private readonly metrics: Pick<SendMetrics, 'templateCheckSkipped'> | null,
    private readonly refuseWhenRefused = true,
  ) {}

  /** The rules the batch's templates break, each at its path, and the templates looked up (null when the lookup failed). */
  async check(input: SendBatchSmsInput, caller: Caller, log: FastifyBaseLogger): Promise<TemplateCheckResult> {
    const ids = input.taskContent
      .map((task) => task.templateId)
      .filter((id) => identifierProblem(id, TEMPLATE_ID_MAX_LENGTH) === undefined);
    if (ids.length === 0) return { problems: [], templates: new Map() };
    const lookup: TemplateLookup = await this.templates.lookup(ids, log, this.templates.budgetFor(caller));
    if (!lookup.ok && lookup.failure === 'over-budget') {
      log.info({ sms: { templateCheck: 'over-budget' } }, "template lookup not made: the caller's template budget is spent");
      // A preview shows its texts unknown; a send is refused, never sent unchecked.
      return this.refuseWhenRefused
        ? { problems: [], templates: null, overBudget: lookup.retryAfterSeconds }
        : { problems: [], templates: null };
    }
    if (!lookup.ok) {
      const reason = lookup.failure === 'unreadable' ? 'INVALID_UPSTREAM_RESPONSE' : lookup.failure.code;
      if (!this.refuseWhenRefused || (lookup.failure !== 'unreadable' && isTransient(lookup.failure))) {
        const goingOn = this.refuseWhenRefused ? 'sending without the template check' : 'previewing without the templates';
        log.warn({ sms: { templateCheck: 'skipped', reason } }, `template lookup failed: ${goingOn}`);
        // The metric counts batches sent unchecked; a preview's own skip is its templatesChecked: false.
        this.metrics?.templateCheckSkipped.inc();
        return { problems: [], templates: null };
      }
      log.warn({ sms: { templateCheck: 'refused', reason } }, 'template lookup refused by uSpeedo: the batch is refused');
      const message = `could not be checked: uSpeedo refused the template lookup (${reason}); nothing was sent`;
      const problems = input.taskContent.flatMap((task, t) =>
        ids.includes(task.templateId) ? [{ path: ['taskContent', String(t), 'templateId'], message }] : [],
      );
      return { problems, templates: null };
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
    return { problems: errors, templates: lookup.templates };
  }
}
