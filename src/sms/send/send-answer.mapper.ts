import type { SendAnswer } from '../../uspeedo/send-answer';
import { asE164 } from './failed-rows';
import { SendBatchSmsErrorCode as Code } from './send-batch-sms-error-code.enum';
import { failure, success, type SendBatchSmsError, type SendBatchSmsSuccess } from './send-batch-sms.result';

const MAY_HAVE_SENT = 'The SMS may have been sent: check before sending again.';

/**
 * Maps a send's classified answer (`readSendAnswer`) to the result union, row by row of the error table
 * in docs/api.md. `retryable` is true only where a retry provably cannot send the same SMS twice.
 */
export function mapSendAnswer(answer: SendAnswer): SendBatchSmsSuccess | SendBatchSmsError {
  switch (answer.kind) {
    case 'failed': {
      const { code, message, retCode, httpStatus, requestUuid, retryAfterSeconds } = answer.failure;
      const consequence = answer.sent === 'no' ? ' Nothing was sent.' : answer.sent === 'maybe' ? ` ${MAY_HAVE_SENT}` : '';
      return failure({
        code,
        message: `${message}${consequence}`,
        retCode,
        httpStatus,
        requestUuid,
        retryable: answer.retryable,
        retryAfterSeconds: answer.retryable ? retryAfterSeconds : null,
      });
    }
    case 'unreadable':
      return failure({
        code: Code.INVALID_UPSTREAM_RESPONSE,
        message:
          'uSpeedo accepted the batch (RetCode 0) but its session numbers or failed targets could not be read. Do not send it again.',
        retCode: 0,
        httpStatus: answer.httpStatus,
        requestUuid: answer.requestUuid,
      });
    case 'accepted':
      return success({
        sessionNos: answer.sessionNos,
        // Each row is found by the send, which knows the batch (failed-rows.ts).
        failedTargetPhones: answer.failedTargets.map((target) => ({ ...target, e164: asE164(target.phone), path: [] })),
        message: answer.message,
        requestUuid: answer.requestUuid,
      });
  }
}
