import type { FastifyBaseLogger } from 'fastify';
import type { UspeedoClient } from '../uspeedo/uspeedo.client';
import { prepareBatch } from './prepare-batch';
import type { SendBatchSmsInput } from './send-batch-sms.input';
import { SendBatchSmsErrorCode } from './send-batch-sms-error-code.enum';
import { failure, SendBatchSmsSuccess, type SendBatchSmsError } from './send-batch-sms.result';
import type { SmsLimitValues } from './sms-limits';
import { mapUspeedoExchange } from './uspeedo-exchange.mapper';

/** Validates a batch and sends it to uSpeedo in one call, or not at all. */
export class SmsService {
  constructor(
    private readonly uspeedo: UspeedoClient,
    readonly limits: SmsLimitValues,
  ) {}

  /** Sends one batch. Never throws for anything a caller can act on: those come back as `SendBatchSmsError`. */
  async sendBatch(input: SendBatchSmsInput, log: FastifyBaseLogger): Promise<SendBatchSmsSuccess | SendBatchSmsError> {
    const tasks = input.taskContent.length;
    const prepared = prepareBatch(input, this.limits);
    if (!prepared.ok) {
      const count = prepared.fieldErrors.length;
      log.info({ sms: { tasks, result: SendBatchSmsErrorCode.INVALID_INPUT, fieldErrors: count } }, 'sendBatchSms refused');
      return failure({
        code: SendBatchSmsErrorCode.INVALID_INPUT,
        message: `The batch breaks ${count} rule${count === 1 ? '' : 's'} (see fieldErrors). Nothing was sent.`,
        fieldErrors: prepared.fieldErrors,
      });
    }

    const started = performance.now();
    const exchange = await this.uspeedo.sendBatch(prepared.request);
    const result = mapUspeedoExchange(exchange);
    const upstreamMs = Math.round(performance.now() - started);
    const outcome =
      result instanceof SendBatchSmsSuccess
        ? { result: 'SUCCESS', failedRecipients: result.failedTargetPhones.length }
        : { result: result.code, retryable: result.retryable, httpStatus: result.httpStatus, retCode: result.retCode };
    log.info(
      { sms: { tasks, recipients: prepared.recipients, ...outcome, upstreamMs, requestUuid: result.requestUuid } },
      'sendBatchSms answered',
    );
    return result;
  }
}
