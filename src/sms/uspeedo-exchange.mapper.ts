import { MAX_RESPONSE_BYTES, type UspeedoExchange } from '../uspeedo/uspeedo.client';
import { RetCode, type SendBatchUSMSMessageResponse, type UspeedoFailedTarget } from '../uspeedo/uspeedo.types';
import { SendBatchSmsErrorCode as Code } from './send-batch-sms-error-code.enum';
import { failure, success, type FailedTargetPhone, type SendBatchSmsError, type SendBatchSmsSuccess } from './send-batch-sms.result';

const MAY_HAVE_SENT = 'The SMS may have been sent: check before sending again.';

const RETCODE_ERRORS: Readonly<Record<number, Code>> = {
  [RetCode.PARAMETER_ERROR]: Code.PARAMETER_ERROR,
  [RetCode.MISSING_PARAMETER]: Code.MISSING_PARAMETER,
  [RetCode.SERVER_ERROR]: Code.UPSTREAM_SERVER_ERROR,
  [RetCode.BAD_CREDENTIALS]: Code.UPSTREAM_AUTH_FAILED,
};

/** Reads `Retry-After` (seconds or an HTTP date) as whole seconds from `now`. */
export function retryAfterSeconds(header: string | null, now = Date.now()): number | null {
  if (header === null) return null;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Math.min(Number(value), 2_147_483_647);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - now) / 1000));
}

function parseJson(text: string): SendBatchUSMSMessageResponse | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

// The older API returns SessionNo as one string, the v1 spec as an array; absent when nothing was accepted.
function readSessionNos(value: unknown): string[] | undefined {
  if (value === undefined || value === null || value === '') return [];
  if (typeof value === 'string') return [value];
  return isStringArray(value) ? value : undefined;
}

function readFailedTargets(value: unknown): FailedTargetPhone[] | undefined {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return undefined;
  const failed: FailedTargetPhone[] = [];
  for (const item of value as UspeedoFailedTarget[]) {
    if (typeof item !== 'object' || item === null || typeof item.Phone !== 'string') return undefined;
    const params = item.TemplateParams ?? [];
    if (!isStringArray(params)) return undefined;
    const reason = typeof item.FailureReason === 'string' ? item.FailureReason : '';
    failed.push({ phone: item.Phone, templateParams: params, failureReason: reason });
  }
  return failed;
}

/**
 * Turns what happened on the wire into the GraphQL result, row by row of the mapping table in the
 * README. `retryable` is true only where a retry provably cannot send the same SMS twice.
 */
/**
 * Maps what happened on the wire to the result union. `redact` cleans uSpeedo's Message before it
 * reaches a caller (the client's `redact` removes this server's credentials from it).
 */
export function mapUspeedoExchange(
  exchange: UspeedoExchange,
  redact: (text: string) => string = (text) => text,
): SendBatchSmsSuccess | SendBatchSmsError {
  switch (exchange.kind) {
    case 'not-sent':
      return failure({
        code: Code.UPSTREAM_UNAVAILABLE,
        message: `uSpeedo could not be reached (${exchange.cause}). Nothing was sent.`,
        retryable: true,
      });
    case 'connection-lost':
      return failure({
        code: Code.UPSTREAM_UNAVAILABLE,
        message: `The connection to uSpeedo broke after the request was sent (${exchange.cause}). ${MAY_HAVE_SENT}`,
        httpStatus: exchange.status,
        requestUuid: exchange.requestUuid,
      });
    case 'timeout':
      return failure({
        code: Code.UPSTREAM_TIMEOUT,
        message: `uSpeedo did not answer in time. ${MAY_HAVE_SENT}`,
        httpStatus: exchange.status,
        requestUuid: exchange.requestUuid,
      });
    case 'too-large':
      return failure({
        code: Code.INVALID_UPSTREAM_RESPONSE,
        message: `uSpeedo's answer was too large to read (over ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB). ${MAY_HAVE_SENT}`,
        httpStatus: exchange.status,
        requestUuid: exchange.requestUuid,
      });
    case 'answered':
      return mapAnswer(exchange, redact);
  }
}

function mapAnswer(
  { status, body, requestUuid, retryAfter }: Extract<UspeedoExchange, { kind: 'answered' }>,
  redact: (text: string) => string,
) {
  const json = parseJson(body);
  const retCode = typeof json?.RetCode === 'number' && Number.isInteger(json.RetCode) ? json.RetCode : null;
  const upstreamMessage = typeof json?.Message === 'string' && json.Message !== '' ? redact(json.Message) : null;
  const known = { retCode, httpStatus: status, requestUuid };

  if (status === 401 || status === 403 || retCode === RetCode.BAD_CREDENTIALS) {
    return failure({
      ...known,
      code: Code.UPSTREAM_AUTH_FAILED,
      message: upstreamMessage ?? `uSpeedo refused this server's credentials (HTTP ${status}).`,
    });
  }
  if (status < 200 || status > 299) {
    const tooMany = status === 429;
    return failure({
      ...known,
      code: Code.UPSTREAM_HTTP_ERROR,
      message: upstreamMessage ?? `uSpeedo answered HTTP ${status}.`,
      // Only a 429 says the request was turned away before it was processed.
      retryable: tooMany,
      retryAfterSeconds: tooMany ? retryAfterSeconds(retryAfter) : null,
    });
  }
  if (retCode === null) {
    return failure({
      ...known,
      code: Code.INVALID_UPSTREAM_RESPONSE,
      message: `uSpeedo's answer had no numeric RetCode${json ? '' : ' (not a JSON object)'}. ${MAY_HAVE_SENT}`,
    });
  }
  if (retCode !== RetCode.SUCCESS) {
    return failure({
      ...known,
      code: RETCODE_ERRORS[retCode] ?? Code.UPSTREAM_REJECTED,
      message: upstreamMessage ?? `uSpeedo answered RetCode ${retCode}.`,
    });
  }

  const sessionNos = readSessionNos(json!.SessionNo);
  const failedTargetPhones = readFailedTargets(json!.FailedTargetPhones);
  if (!sessionNos || !failedTargetPhones) {
    return failure({
      ...known,
      code: Code.INVALID_UPSTREAM_RESPONSE,
      message: 'uSpeedo accepted the batch (RetCode 0) but SessionNo or FailedTargetPhones could not be read. Do not send it again.',
    });
  }
  return success({ sessionNos, failedTargetPhones, message: upstreamMessage ?? '', requestUuid });
}
