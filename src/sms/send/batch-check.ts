import type { FastifyBaseLogger } from 'fastify';
import type { SendBatchUSMSMessageRequest } from '../../uspeedo/uspeedo.types';
import type { SmsTemplate } from '../lookups/sms-templates.result';
import type { FieldError } from '../shared/field-error.result';
import type { SmsLimitValues } from '../shared/sms-limits';
import { capFieldErrors, prepareBatch, type BatchRecipient } from './prepare-batch';
import { SendBatchSmsErrorCode as Code } from './send-batch-sms-error-code.enum';
import type { SendBatchSmsInput } from './send-batch-sms.input';
import { failure, type SendBatchSmsError } from './send-batch-sms.result';
import type { Caller } from '../../auth/caller';
import type { TemplateCheck, TemplateCheckResult } from './template-check';

/** A batch that keeps every rule; or the rules it breaks. */
export type BatchReading =
  | {
      ok: true;
      request: SendBatchUSMSMessageRequest;
      recipients: BatchRecipient[];
      /** The templates looked up, by id; null when there was no template check, or its lookup failed. */
      templates: ReadonlyMap<string, SmsTemplate | null> | null;
    }
  | { ok: false; code: typeof Code.INVALID_INPUT | typeof Code.DESTINATION_NOT_ALLOWED; fieldErrors: FieldError[]; oversized?: true }
  /** The caller's template budget is spent: the templates a send must check could not be asked. */
  | { ok: false; code: typeof Code.RATE_LIMITED; fieldErrors: []; retryAfterSeconds: number };

/** Every rule of a batch, at once: its own (prepareBatch), and its templates' when there is a template check. */
export class BatchCheck {
  constructor(
    private readonly limits: SmsLimitValues,
    private readonly allowedCountryCodes: readonly string[],
    private readonly templateCheck: Pick<TemplateCheck, 'check'> | null,
  ) {}

  /**
   * The batch read against every rule; a batch over the size ceilings is refused before its templates
   * are looked up, and each template GET is charged to the caller's template budget. Throws
   * `StateStoreUnavailableError` when the budget cannot be read.
   */
  async read(input: SendBatchSmsInput, caller: Caller, log: FastifyBaseLogger, listsCut: boolean): Promise<BatchReading> {
    const prepared = prepareBatch(input, this.limits, this.allowedCountryCodes, listsCut);
    if (!prepared.ok && prepared.oversized) return prepared;
    const checked: TemplateCheckResult = this.templateCheck
      ? await this.templateCheck.check(input, caller, log)
      : { problems: [], templates: null };
    if (checked.overBudget !== undefined) {
      return { ok: false, code: Code.RATE_LIMITED, fieldErrors: [], retryAfterSeconds: checked.overBudget };
    }
    // Every rule at once: the templates' with the batch's own.
    if (checked.problems.length > 0) {
      return {
        ok: false,
        code: Code.INVALID_INPUT,
        fieldErrors: capFieldErrors([...(prepared.ok ? [] : prepared.fieldErrors), ...checked.problems]),
      };
    }
    if (!prepared.ok) return prepared;
    return { ...prepared, templates: checked.templates };
  }
}

/** The answer to a batch that breaks rules, the same from the send and the preview. */
export function brokenBatch(reading: Extract<BatchReading, { ok: false }>): SendBatchSmsError {
  if (reading.code === Code.RATE_LIMITED) {
    const after = reading.retryAfterSeconds;
    return failure({
      code: Code.RATE_LIMITED,
      message: `This caller's limit of template lookups per minute is reached: the batch's templates cannot be checked. Nothing was sent; retry after ${after} s.`,
      retryable: true,
      retryAfterSeconds: after,
    });
  }
  const { code, fieldErrors } = reading;
  const count = fieldErrors.length;
  return failure({
    code,
    message:
      code === Code.INVALID_INPUT
        ? `The batch breaks ${count} rule${count === 1 ? '' : 's'} (see fieldErrors). Nothing was sent.`
        : `${count} number${count === 1 ? ' is' : 's are'} in countries this server does not send to (see fieldErrors). Nothing was sent.`,
    fieldErrors,
  });
}
