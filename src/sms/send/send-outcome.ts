import { SendBatchSmsErrorCode as Code } from './send-batch-sms-error-code.enum';
import { SendBatchSmsSuccess, type SendBatchSmsError } from './send-batch-sms.result';

/** uSpeedo answered with a refusal: it took none of the batch. */
export const UPSTREAM_REFUSED: ReadonlySet<string> = new Set([
  Code.PARAMETER_ERROR,
  Code.MISSING_PARAMETER,
  Code.UPSTREAM_SERVER_ERROR,
  Code.UPSTREAM_AUTH_FAILED,
  Code.UPSTREAM_REJECTED,
]);

/** Answers that prove nothing reached uSpeedo, besides those marked `retryable`. */
const NOTHING_SENT: ReadonlySet<string> = new Set([Code.INVALID_INPUT, Code.DESTINATION_NOT_ALLOWED, Code.RATE_LIMITED]);

/**
 * True when the answer proves no SMS went out: its charge is given back and its idempotency key
 * freed, and (a campaign's page) it may go again.
 */
export const sentNothing = (result: SendBatchSmsSuccess | SendBatchSmsError): boolean =>
  !(result instanceof SendBatchSmsSuccess) && (result.retryable || NOTHING_SENT.has(result.code));
