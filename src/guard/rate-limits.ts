import { SendBatchSmsErrorCode } from '../sms/send-batch-sms-error-code.enum';
import { failure, type FieldError, type SendBatchSmsError } from '../sms/send-batch-sms.result';
import type { CounterCharge, StateStore } from './state-store';

/** The abuse limits, counted in recipients. 0 turns a limit off. */
export interface RateLimitValues {
  callerPerMinute: number;
  callerPerDay: number;
  phonePerHour: number;
  phonePerDay: number;
  /** The spend circuit breaker: recipients per UTC day across every caller. */
  globalPerDay: number;
  /** Country calling codes a batch may send to, e.g. `["86", "852"]`; empty allows all. */
  allowedCountryCodes: string[];
}

/** One recipient of a batch: its number in E.164 and where it sits in the input. */
export interface Recipient {
  e164: string;
  task: number;
  target: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The limits, as metrics and logs name them. */
export type LimitName = 'caller-minute' | 'caller-day' | 'phone-hour' | 'phone-day' | 'global-day';

interface Planned extends CounterCharge {
  name: LimitName;
  /** The caller, the number, or `*` for the global ceiling. */
  subject: string;
  /** For per-phone counters, the recipients behind it. */
  recipients?: Recipient[];
}

// Fixed windows aligned to the epoch (days are UTC days). The window index is part of the key, so a
// new window starts from zero and the old counter expires on its own.
function windowOf(size: number, now: number) {
  const index = Math.floor(now / size);
  return { index, expiresAt: (index + 1) * size };
}

const DESCRIBE: Record<LimitName, (limit: number) => string> = {
  'caller-minute': (limit) => `this caller's limit of ${limit} recipients per minute`,
  'caller-day': (limit) => `this caller's limit of ${limit} recipients per day`,
  'phone-hour': (limit) => `the limit of ${limit} messages per number per hour`,
  'phone-day': (limit) => `the limit of ${limit} messages per number per day`,
  'global-day': () => "this server's daily sending ceiling",
};

/** What a charge took, to give back if the batch provably never reached uSpeedo. */
export type Charged = readonly CounterCharge[];

/** Checks and charges every limit a batch touches in one store round trip. */
export class RateLimiter {
  constructor(
    private readonly store: StateStore,
    readonly limits: RateLimitValues,
  ) {}

  /** The counters a batch touches, one per limit and (for the per-number limits) per distinct number. */
  plan(callerId: string, recipients: readonly Recipient[], now: number): Planned[] {
    const { callerPerMinute, callerPerDay, phonePerHour, phonePerDay, globalPerDay } = this.limits;
    const total = recipients.length;
    const planned: Planned[] = [];
    const add = (name: LimitName, size: number, subject: string, amount: number, limit: number, who?: Recipient[]) => {
      if (limit === 0) return;
      const { index, expiresAt } = windowOf(size, now);
      planned.push({ name, subject, key: `rl:${name}:${subject}:${index}`, amount, limit, expiresAt, recipients: who });
    };
    add('caller-minute', MINUTE, callerId, total, callerPerMinute);
    add('caller-day', DAY, callerId, total, callerPerDay);
    add('global-day', DAY, '*', total, globalPerDay);
    if (phonePerHour > 0 || phonePerDay > 0) {
      // A number may appear in several tasks of one batch: it is charged once per message.
      const byPhone = new Map<string, Recipient[]>();
      for (const recipient of recipients) {
        const same = byPhone.get(recipient.e164);
        if (same) same.push(recipient);
        else byPhone.set(recipient.e164, [recipient]);
      }
      for (const [phone, who] of byPhone) {
        add('phone-hour', HOUR, phone, who.length, phonePerHour, who);
        add('phone-day', DAY, phone, who.length, phonePerDay, who);
      }
    }
    return planned;
  }

  /** Charges the batch, or answers `RATE_LIMITED` and charges nothing. Throws if the store is unavailable. */
  async charge(
    callerId: string,
    recipients: readonly Recipient[],
    now = Date.now(),
  ): Promise<{ ok: true; charged: Charged } | { ok: false; error: SendBatchSmsError; limits: LimitName[] }> {
    const planned = this.plan(callerId, recipients, now);
    const outcome = await this.store.charge(planned, now);
    if (outcome.ok) return { ok: true, charged: planned };
    const exceeded = outcome.exceeded.map((i) => planned[i]!);
    return { ok: false, error: rateLimited(exceeded, now), limits: [...new Set(exceeded.map((p) => p.name))] };
  }

  /** Gives back a charge; for batches that provably never reached uSpeedo. */
  refund(charged: Charged): Promise<void> {
    return this.store.refund(charged);
  }
}

function rateLimited(exceeded: Planned[], now: number): SendBatchSmsError {
  // A counter the batch alone overflows can never pass, however long the caller waits.
  const never = exceeded.filter((p) => p.amount > p.limit);
  const retryAfter = Math.max(...exceeded.map((p) => Math.ceil((p.expiresAt - now) / 1000)));
  const fieldErrors: FieldError[] = [];
  for (const p of exceeded) {
    for (const r of p.recipients ?? []) {
      fieldErrors.push({
        path: ['taskContent', String(r.task), 'target', String(r.target), 'phone'],
        message: `this number has reached ${DESCRIBE[p.name](p.limit)}`,
      });
    }
  }
  fieldErrors.sort((a, b) => Number(a.path[1]) - Number(b.path[1]) || Number(a.path[3]) - Number(b.path[3]));

  const phones = new Set(exceeded.filter((p) => p.recipients).map((p) => p.subject)).size;
  const reasons = [...new Set(exceeded.filter((p) => !p.recipients).map((p) => DESCRIBE[p.name](p.limit)))];
  if (phones > 0) reasons.push(`${phones} number${phones === 1 ? '' : 's'} would exceed the per-number limits (see fieldErrors)`);
  const message =
    never.length > 0
      ? `This batch alone is larger than ${never.map((p) => DESCRIBE[p.name](p.limit)).join(' and ')}: split it. Nothing was sent.`
      : `Rate limit reached: ${reasons.join('; ')}. Nothing was sent; retry after ${retryAfter} s.`;
  return failure({
    code: SendBatchSmsErrorCode.RATE_LIMITED,
    message,
    retryable: never.length === 0,
    retryAfterSeconds: never.length === 0 ? retryAfter : null,
    fieldErrors,
  });
}
