import { registerEnumType } from 'type-graphql';
import { UPSTREAM_ERROR_CODES } from '../../uspeedo/upstream-answer';
import { RetCode } from '../../uspeedo/uspeedo.types';

/** Why a `sendBatchSms` call did not succeed. Stable: consumers switch on these. */
export const SendBatchSmsErrorCode = {
  INVALID_INPUT: 'INVALID_INPUT',
  DESTINATION_NOT_ALLOWED: 'DESTINATION_NOT_ALLOWED',
  RATE_LIMITED: 'RATE_LIMITED',
  IDEMPOTENCY_CONFLICT: 'IDEMPOTENCY_CONFLICT',
  IDEMPOTENCY_IN_PROGRESS: 'IDEMPOTENCY_IN_PROGRESS',
  OUTCOME_UNKNOWN: 'OUTCOME_UNKNOWN',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  ...UPSTREAM_ERROR_CODES,
} as const;

export type SendBatchSmsErrorCode = (typeof SendBatchSmsErrorCode)[keyof typeof SendBatchSmsErrorCode];

registerEnumType(SendBatchSmsErrorCode, {
  name: 'SendBatchSmsErrorCode',
  description: 'Why a sendBatchSms call did not succeed.',
  valuesConfig: {
    INVALID_INPUT: { description: 'The batch broke one or more rules (see fieldErrors). Nothing was sent.' },
    DESTINATION_NOT_ALLOWED: {
      description:
        'A number is in a country this server does not send to (see fieldErrors and smsLimits.allowedCountryCodes). Nothing was sent.',
    },
    RATE_LIMITED: {
      description:
        'The batch would cross an abuse limit (see message, fieldErrors for per-number limits, retryAfterSeconds). Nothing was sent.',
    },
    IDEMPOTENCY_CONFLICT: {
      description: 'This idempotencyKey was already used with a different batch. Nothing was sent; use a new key for a new batch.',
    },
    IDEMPOTENCY_IN_PROGRESS: {
      description: 'A request with this idempotencyKey is still being processed. Nothing was sent; retry shortly for its result.',
    },
    OUTCOME_UNKNOWN: {
      description:
        'An earlier request with this idempotencyKey may have been sent, but its outcome was never recorded (the server stopped mid-send). ' +
        'Sending again risks a duplicate: check uSpeedo before sending under a new key. Final for the key; nothing was sent now.',
    },
    SERVICE_UNAVAILABLE: { description: "This server's state store is unreachable, so it cannot check limits. Nothing was sent." },
    PARAMETER_ERROR: { description: `uSpeedo RetCode ${RetCode.PARAMETER_ERROR}: a parameter was rejected.` },
    MISSING_PARAMETER: { description: `uSpeedo RetCode ${RetCode.MISSING_PARAMETER}: a required parameter was missing.` },
    UPSTREAM_SERVER_ERROR: { description: `uSpeedo RetCode ${RetCode.SERVER_ERROR}: server error at uSpeedo.` },
    UPSTREAM_AUTH_FAILED: {
      description: `uSpeedo refused this server's credentials (RetCode ${RetCode.BAD_CREDENTIALS}, HTTP 401 or 403).`,
    },
    UPSTREAM_REJECTED: { description: 'uSpeedo answered with another non-zero RetCode (see retCode and message).' },
    UPSTREAM_HTTP_ERROR: { description: 'uSpeedo answered with a non-2xx HTTP status (see httpStatus).' },
    UPSTREAM_UNAVAILABLE: {
      description: 'uSpeedo could not be reached (retryable) or the connection broke after the request was sent (not retryable).',
    },
    UPSTREAM_TIMEOUT: { description: 'uSpeedo did not answer in time. The SMS may have been sent: do not retry blindly.' },
    INVALID_UPSTREAM_RESPONSE: { description: "uSpeedo's answer could not be read. The SMS may have been sent." },
  },
});
