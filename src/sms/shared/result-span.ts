import type { Span } from '@opentelemetry/api';
import { failSpan } from '../../telemetry/spans';

/** Error codes a caller can act on: an attribute of the span, not a failed one. */
const CALLERS_TO_MEND: ReadonlySet<string> = new Set([
  'INVALID_INPUT',
  'DESTINATION_NOT_ALLOWED',
  'RATE_LIMITED',
  'IDEMPOTENCY_CONFLICT',
  'IDEMPOTENCY_IN_PROGRESS',
]);

/**
 * Reads an operation's answer onto its span: the union member (`sms.result`) and its `sms.code`. A
 * fault, an upstream failure and an unknown outcome fail the span, with the code as its description.
 */
export function settleResultSpan(span: Span, result: object): void {
  span.setAttribute('sms.result', result.constructor.name);
  const failed = (result as { failedTargetPhones?: unknown }).failedTargetPhones;
  if (Array.isArray(failed)) span.setAttribute('sms.failed_recipients', failed.length);
  const code = (result as { code?: unknown }).code;
  if (typeof code !== 'string') return;
  span.setAttribute('sms.code', code);
  if (!CALLERS_TO_MEND.has(code)) failSpan(span, code, code);
}
