import type { LimitName, RateLimitRefusal, Recipient } from '../../guard/rate-limits';
import type { FieldError } from './field-error.result';

/** Each limit in words. */
const DESCRIBE: Record<LimitName, (limit: number) => string> = {
  'caller-minute': (limit) => `this caller's limit of ${limit} recipients per minute`,
  'caller-day': (limit) => `this caller's limit of ${limit} recipients per day`,
  'phone-hour': (limit) => `the limit of ${limit} messages per number per hour`,
  'phone-day': (limit) => `the limit of ${limit} messages per number per day`,
  'global-day': () => "this server's daily sending ceiling",
};

/** Where a recipient's number sits in the batch. */
type Placed = Pick<Recipient, 'task' | 'target'>;

/** The field error of one recipient over a per-number limit, at its phone's path. */
const numberOverLimit = (placed: Placed, name: LimitName, limit: number): FieldError => ({
  path: ['taskContent', String(placed.task), 'target', String(placed.target), 'phone'],
  message: `this number has reached ${DESCRIBE[name](limit)}`,
});

/**
 * A limits refusal as a caller reads it: what refused and when to retry, in words, and each recipient
 * over a per-number limit at its phone's path (`recipients`: the batch's, as they were charged).
 */
export function rateLimitedAnswer(
  refusal: RateLimitRefusal,
  recipients: readonly Placed[],
): { message: string; retryable: boolean; retryAfterSeconds: number | null; fieldErrors: FieldError[] } {
  const fieldErrors = refusal.recipients.map((r) => numberOverLimit(recipients[r.index], r.name, r.limit));
  const alone = refusal.limits.filter((l) => l.alone);
  if (alone.length > 0) {
    const which = [...new Set(alone.map((l) => DESCRIBE[l.name](l.limit)))].join(' and ');
    return {
      message: `This batch alone is larger than ${which}: split it. Nothing was sent.`,
      retryable: false,
      retryAfterSeconds: null,
      fieldErrors,
    };
  }
  const reasons = [
    ...new Set(refusal.limits.filter((l) => l.name !== 'phone-hour' && l.name !== 'phone-day').map((l) => DESCRIBE[l.name](l.limit))),
  ];
  const n = refusal.numbers;
  if (n > 0) reasons.push(`${n} number${n === 1 ? '' : 's'} would exceed the per-number limits (see fieldErrors)`);
  return {
    message: `Rate limit reached: ${reasons.join('; ')}. Nothing was sent; retry after ${refusal.retryAfterSeconds} s.`,
    retryable: true,
    retryAfterSeconds: refusal.retryAfterSeconds,
    fieldErrors,
  };
}
