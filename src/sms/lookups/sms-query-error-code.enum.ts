import { registerEnumType } from 'type-graphql';
import { UPSTREAM_ERROR_CODES } from '../../uspeedo/upstream-answer';
import { RetCode } from '../../uspeedo/uspeedo.types';

/** Why a delivery-status or template lookup did not answer. Stable: consumers switch on these. */
export const SmsQueryErrorCode = {
  INVALID_INPUT: 'INVALID_INPUT',
  RATE_LIMITED: 'RATE_LIMITED',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  ...UPSTREAM_ERROR_CODES,
} as const;

export type SmsQueryErrorCode = (typeof SmsQueryErrorCode)[keyof typeof SmsQueryErrorCode];

registerEnumType(SmsQueryErrorCode, {
  name: 'SmsQueryErrorCode',
  description: 'Why a lookup did not answer. The upstream codes mean what they mean for sendBatchSms.',
  valuesConfig: {
    INVALID_INPUT: { description: 'The ids broke a rule (see fieldErrors). Nothing was asked of uSpeedo.' },
    RATE_LIMITED: { description: "This caller's lookups per minute are used up (see retryAfterSeconds). Nothing was asked." },
    SERVICE_UNAVAILABLE: { description: "This server's state store is unreachable, so ownership and limits cannot be checked." },
    PARAMETER_ERROR: { description: `uSpeedo RetCode ${RetCode.PARAMETER_ERROR}: a parameter was rejected.` },
    MISSING_PARAMETER: { description: `uSpeedo RetCode ${RetCode.MISSING_PARAMETER}: a required parameter was missing.` },
    UPSTREAM_SERVER_ERROR: { description: `uSpeedo RetCode ${RetCode.SERVER_ERROR}: server error at uSpeedo (retryable).` },
    UPSTREAM_AUTH_FAILED: {
      description: `uSpeedo refused this server's credentials (RetCode ${RetCode.BAD_CREDENTIALS}, HTTP 401 or 403).`,
    },
    UPSTREAM_REJECTED: { description: 'uSpeedo answered with another non-zero RetCode (see retCode and message).' },
    UPSTREAM_HTTP_ERROR: { description: 'uSpeedo answered with a non-2xx HTTP status (retryable for 429 and 5xx).' },
    UPSTREAM_UNAVAILABLE: { description: 'uSpeedo could not be reached, or the connection broke (retryable: a lookup is safe to repeat).' },
    UPSTREAM_TIMEOUT: { description: 'uSpeedo did not answer in time (retryable: a lookup is safe to repeat).' },
    INVALID_UPSTREAM_RESPONSE: { description: "uSpeedo's answer could not be read." },
  },
});
