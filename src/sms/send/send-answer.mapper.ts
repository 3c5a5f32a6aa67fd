import { mayHaveReachedUspeedo, type UpstreamAnswer } from '../../uspeedo/upstream-answer';
import type { UspeedoFailedTarget } from '../../uspeedo/uspeedo.types';
import { asE164 } from './failed-rows';
import { SendBatchSmsErrorCode as Code } from './send-batch-sms-error-code.enum';
import { failure, success, type FailedTargetPhone, type SendBatchSmsError, type SendBatchSmsSuccess } from './send-batch-sms.result';

const MAY_HAVE_SENT = 'The SMS may have been sent: check before sending again.';

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

// The older API returns SessionNo as one string, the v1 spec as an array; absent when nothing was accepted.
function readSessionNos(value: unknown): string[] | undefined {
  if (value === undefined || value === null || value === '') return [];
  if (typeof value === 'string') return [value];
  return isStringArray(value) ? value : undefined;
}

function readFailedTargets(value: unknown, clean: (text: string) => string): FailedTargetPhone[] | undefined {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return undefined;
  const failed: FailedTargetPhone[] = [];
  for (const item of value as UspeedoFailedTarget[]) {
    if (typeof item !== 'object' || item === null || typeof item.Phone !== 'string') return undefined;
    const params = item.TemplateParams ?? [];
    if (!isStringArray(params)) return undefined;
    const reason = typeof item.FailureReason === 'string' ? clean(item.FailureReason) : '';
    // Its row is found by the send, which knows the batch (failed-rows.ts).
    failed.push({ phone: item.Phone, templateParams: params, failureReason: reason, e164: asE164(item.Phone), path: [] });
  }
  return failed;
}

/**
 * Maps uSpeedo's classified answer to the send's result union, row by row of the mapping table in the
 * README. `retryable` is true only where a retry provably cannot send the same SMS twice. `clean`
 * makes uSpeedo's failure reasons fit for a caller (`UspeedoApi.cleanText`: no credentials of ours,
 * only showable characters); its Message already is.
 */
export function mapSendAnswer(answer: UpstreamAnswer, clean: (text: string) => string): SendBatchSmsSuccess | SendBatchSmsError {
  if (!answer.ok) {
    const { code, kind, message, retCode, httpStatus, requestUuid } = answer;
    // Nothing reached uSpeedo, or a 429 turned the request away before it was processed.
    const retryable = kind === 'not-sent' || (kind === 'http' && httpStatus === 429);
    const consequence = kind === 'not-sent' ? ' Nothing was sent.' : mayHaveReachedUspeedo(answer) ? ` ${MAY_HAVE_SENT}` : '';
    return failure({
      code,
      message: `${message}${consequence}`,
      retCode,
      httpStatus,
      requestUuid,
      retryable,
      retryAfterSeconds: retryable ? answer.retryAfterSeconds : null,
    });
  }
  const sessionNos = readSessionNos(answer.json.SessionNo);
  const failedTargetPhones = readFailedTargets(answer.json.FailedTargetPhones, clean);
  if (!sessionNos || !failedTargetPhones) {
    return failure({
      code: Code.INVALID_UPSTREAM_RESPONSE,
      message: 'uSpeedo accepted the batch (RetCode 0) but SessionNo or FailedTargetPhones could not be read. Do not send it again.',
      retCode: 0,
      httpStatus: answer.httpStatus,
      requestUuid: answer.requestUuid,
    });
  }
  return success({ sessionNos, failedTargetPhones, message: answer.message ?? '', requestUuid: answer.requestUuid });
}
