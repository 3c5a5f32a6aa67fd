import type { FastifyBaseLogger } from 'fastify';
import { callerKey, type Caller } from '../../auth/caller';
import type { RateLimiter } from '../../guard/rate-limits';
import { StateStoreUnavailableError } from '../../guard/state-store';
import { brokenBatch, type BatchCheck, type BatchReading } from '../send/batch-check';
import { SendBatchSmsErrorCode as Code } from '../send/send-batch-sms-error-code.enum';
import type { SendBatchSmsInput } from '../send/send-batch-sms.input';
import { failure, type SendBatchSmsError } from '../send/send-batch-sms.result';
import { rateLimitedAnswer } from '../shared/rate-limited';
import type { SmsMetrics } from '../shared/sms.metrics';
import { previewOf } from './preview-messages';
import type { SmsSendPreview } from './sms-send-preview.result';

const storeUnavailable = () =>
  failure({
    code: Code.SERVICE_UNAVAILABLE,
    message: 'Limits cannot be checked right now (the state store is unreachable). Nothing was previewed; retry shortly.',
    retryable: true,
  });

/**
 * Each number once, at its first place. A preview costs nothing, so it may be asked again and again:
 * were a number counted as often as the batch names it, k repeats would tell whether the number has
 * room for k more messages, and so how many it got this hour from every caller. Counted once, the
 * preview tells only whether the number is at its limit, which a one-message send tells as well.
 */
function onceEach<T extends { e164: string }>(recipients: readonly T[]): T[] {
  const seen = new Set<string>();
  return recipients.filter((r) => !seen.has(r.e164) && seen.add(r.e164));
}

/**
 * `smsSendPreview`: a batch checked by every rule the send checks (its templates always), and what
 * each recipient would receive and cost. It sends nothing, charges no abuse limit, claims no key and
 * records no session; it counts as one lookup against the caller's per-minute status limit, and each
 * template it asks uSpeedo for against the caller's template lookups.
 */
export class SendPreviewService {
  constructor(
    /** The send's rules, with a template check that never refuses a batch for its lookup failing. */
    private readonly batch: Pick<BatchCheck, 'read'>,
    private readonly rateLimiter: RateLimiter,
    private readonly metrics: SmsMetrics,
  ) {}

  /** The preview, or the SendBatchSmsError the send would answer for this batch. */
  async preview(
    input: SendBatchSmsInput,
    caller: Caller,
    log: FastifyBaseLogger,
    listsCut = false,
  ): Promise<SmsSendPreview | SendBatchSmsError> {
    const scope = callerKey(caller);
    const who = { caller: caller.id, tasks: input.taskContent.length };
    let retryAfter: number | null;
    try {
      retryAfter = await this.rateLimiter.chargeLookups('status', scope, 1);
    } catch (error) {
      return this.refused(log, who, this.storeFailed(log, error));
    }
    if (retryAfter !== null) {
      return this.refused(
        log,
        who,
        failure({
          code: Code.RATE_LIMITED,
          message: `This caller's limit of ${this.rateLimiter.limits.statusPerMinute} lookups per minute is reached (a preview counts as one). Nothing was previewed; retry after ${retryAfter} s.`,
          retryable: true,
          retryAfterSeconds: retryAfter,
        }),
      );
    }
    let reading: BatchReading;
    try {
      reading = await this.batch.read(input, caller, log, listsCut);
    } catch (error) {
      return this.refused(log, who, this.storeFailed(log, error));
    }
    if (!reading.ok) return this.refused(log, who, brokenBatch(reading));
    let rateLimit: SendBatchSmsError | null = null;
    try {
      const counted = onceEach(reading.recipients);
      const refusal = await this.rateLimiter.peek(scope, counted);
      if (refusal) rateLimit = failure({ code: Code.RATE_LIMITED, ...rateLimitedAnswer(refusal, counted) });
    } catch (error) {
      return this.refused(log, who, this.storeFailed(log, error));
    }
    const preview = previewOf(input, reading, rateLimit);
    log.info(
      {
        sms: {
          ...who,
          recipients: preview.recipients,
          segments: preview.segments,
          templatesChecked: preview.templatesChecked,
          rateLimited: rateLimit !== null,
        },
      },
      'smsSendPreview answered',
    );
    this.metrics.lookups.inc({ operation: 'preview', result: 'OK' });
    return preview;
  }

  private storeFailed(log: FastifyBaseLogger, error: unknown): SendBatchSmsError {
    if (!(error instanceof StateStoreUnavailableError)) throw error;
    log.error({ err: error }, 'smsSendPreview refused: state store unavailable');
    return storeUnavailable();
  }

  private refused(log: FastifyBaseLogger, who: object, error: SendBatchSmsError): SendBatchSmsError {
    log.info({ sms: { ...who, result: error.code, fieldErrors: error.fieldErrors.length } }, 'smsSendPreview refused');
    this.metrics.lookups.inc({ operation: 'preview', result: error.code });
    return error;
  }
}
