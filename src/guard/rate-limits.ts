import type { ChargeOutcome, ChargeRequest, CounterCharge, PhoneCharges, PhoneOverflow, StateStore } from './state-store';

/** The abuse limits, counted in recipients. 0 turns a limit off. */
export interface RateLimitValues {
  callerPerMinute: number;
  callerPerDay: number;
  phonePerHour: number;
  phonePerDay: number;
  /** The spend circuit breaker: recipients per UTC day across every caller. */
  globalPerDay: number;
  /** Session numbers a caller may look up per minute. */
  statusPerMinute: number;
  /** Template ids a caller may look up per minute. */
  templatesPerMinute: number;
  /** Country calling codes a batch may send to, e.g. `["86", "852"]`; empty allows all. */
  allowedCountryCodes: string[];
}

/** A limit a batch would pass: a counter (the caller's, the global one), or a per-number window for some of its numbers. */
interface OverflowedLimit {
  name: LimitName;
  limit: number;
  /** Seconds until its window ends. */
  retryAfterSeconds: number;
  /** The batch alone is larger than the limit (for a per-number window: for one of its numbers): no wait can help. */
  alone: boolean;
  /** A window each number has of its own (its recipients are named in `recipients`); else a counter of the whole batch. */
  perNumber: boolean;
}

/** A recipient whose number would pass a per-number limit: its index among the recipients given. */
interface OverflowedRecipient {
  index: number;
  name: 'phone-hour' | 'phone-day';
  limit: number;
}

/**
 * Why a batch was refused, as plain data: which limits, and which recipients' numbers. Nothing was
 * charged. The caller's layer turns it into words and paths.
 */
export interface RateLimitRefusal {
  /** Every limit that refused, counters first, then the per-number windows, each once. */
  limits: OverflowedLimit[];
  /** One entry per recipient and window over its limit, in the recipients' order, the hour first. */
  recipients: OverflowedRecipient[];
  /** Distinct numbers over a per-number limit. */
  numbers: number;
  /** False when the batch alone is larger than a limit: waiting cannot help. */
  retryable: boolean;
  /** The longest wait of the limits that refused, when waiting can help. */
  retryAfterSeconds: number | null;
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
  /** The caller, or `*` for the global ceiling. */
  subject: string;
}

/** What a batch charges: its counters, with the names that errors and metrics give them. */
export interface Plan extends ChargeRequest {
  counters: Planned[];
}

// Fixed windows aligned to the epoch (days are UTC days). A counter belongs to one window index, so a
// new window starts from zero and the old counter expires on its own.
function windowOf(size: number, now: number) {
  const index = Math.floor(now / size);
  return { index, expiresAt: (index + 1) * size };
}

/** What a charge took, to give back if the batch provably never reached uSpeedo. */
export type Charged = ChargeRequest;

// A number's key in the store: its E.164 digits without the plus, kept as text (see PhoneCharges).
const phoneKey = (e164: string) => e164.slice(1);

/** Checks and charges every limit a batch touches in one store round trip. */
export class RateLimiter {
  constructor(
    private readonly store: StateStore,
    readonly limits: RateLimitValues,
  ) {}

  /** The counters a batch touches: one per caller and global limit, and each distinct number's hour and day counters. */
  plan(callerId: string, recipients: readonly Recipient[], now: number): Plan {
    const { callerPerMinute, callerPerDay, phonePerHour, phonePerDay, globalPerDay } = this.limits;
    const total = recipients.length;
    const counters: Planned[] = [];
    const add = (name: LimitName, size: number, subject: string, limit: number) => {
      if (limit === 0) return;
      const { index, expiresAt } = windowOf(size, now);
      counters.push({ name, subject, key: `rl:${name}:${subject}:${index}`, amount: total, limit, expiresAt });
    };
    add('caller-minute', MINUTE, callerId, callerPerMinute);
    add('caller-day', DAY, callerId, callerPerDay);
    add('global-day', DAY, '*', globalPerDay);
    if (total === 0 || (phonePerHour === 0 && phonePerDay === 0)) return { counters, phones: null };
    return {
      counters,
      phones: {
        byAmount: byAmount(recipients),
        hour: { ...windowOf(HOUR, now), limit: phonePerHour },
        day: { ...windowOf(DAY, now), limit: phonePerDay },
      },
    };
  }

  /** Charges the batch, or answers `RATE_LIMITED` and charges nothing. Throws if the store is unavailable. */
  async charge(
    callerId: string,
    recipients: readonly Recipient[],
    now = Date.now(),
  ): Promise<{ ok: true; charged: Charged } | { ok: false; refusal: RateLimitRefusal }> {
    const plan = this.plan(callerId, recipients, now);
    // Every limit off: nothing to count, so no store round trip.
    if (chargesNothing(plan)) return { ok: true, charged: plan };
    const outcome = await this.store.charge(plan, now);
    if (outcome.ok) return { ok: true, charged: plan };
    return { ok: false, refusal: refusalOf(plan, outcome, recipients, now) };
  }

  /** What `charge` would answer now, charging nothing: null when the batch fits. Throws if the store is unavailable. */
  async peek(callerId: string, recipients: readonly Recipient[], now = Date.now()): Promise<RateLimitRefusal | null> {
    const plan = this.plan(callerId, recipients, now);
    if (chargesNothing(plan)) return null;
    const outcome = await this.store.peek(plan, now);
    return outcome.ok ? null : refusalOf(plan, outcome, recipients, now);
  }

  /**
   * Charges a caller's lookups of one kind (session numbers or template ids) against its per-minute
   * limit; the seconds until it may ask again when over it, else null.
   */
  async chargeLookups(kind: 'status' | 'templates', callerId: string, count: number, now = Date.now()): Promise<number | null> {
    const limit = kind === 'status' ? this.limits.statusPerMinute : this.limits.templatesPerMinute;
    if (limit === 0) return null;
    const { index, expiresAt } = windowOf(MINUTE, now);
    const outcome = await this.store.charge(
      { counters: [{ key: `rl:${kind}-minute:${callerId}:${index}`, amount: count, limit, expiresAt }], phones: null },
      now,
    );
    return outcome.ok ? null : Math.max(1, Math.ceil((expiresAt - now) / 1000));
  }

  /** Gives back a charge; for batches that provably never reached uSpeedo. */
  refund(charged: Charged): Promise<void> {
    return chargesNothing(charged) ? Promise.resolve() : this.store.refund(charged);
  }
}

const phoneLimitName = (window: PhoneOverflow['window']): LimitName => (window === 'hour' ? 'phone-hour' : 'phone-day');

/** True when a charge touches no counter (every limit off): the store is never asked, nor waited on. */
export const chargesNothing = (request: ChargeRequest) => request.counters.length === 0 && !request.phones;

// Each distinct number with how many messages the batch sends it. Within a task a number appears once
// (a repeat is invalid input), so a one-task batch needs no counting.
function byAmount(recipients: readonly Recipient[]): PhoneCharges['byAmount'] {
  const last = recipients[recipients.length - 1];
  if (recipients[0].task === last.task) return [{ amount: 1, phones: recipients.map((r) => phoneKey(r.e164)) }];
  const counts = new Map<string, number>();
  for (const r of recipients) {
    const phone = phoneKey(r.e164);
    counts.set(phone, (counts.get(phone) ?? 0) + 1);
  }
  const groups = new Map<number, string[]>();
  for (const [phone, amount] of counts) {
    const group = groups.get(amount);
    if (group) group.push(phone);
    else groups.set(amount, [phone]);
  }
  return [...groups].map(([amount, phones]) => ({ amount, phones }));
}

/** A refused charge as plain data: the limits passed, and the recipients whose numbers pass theirs. */
function refusalOf(plan: Plan, outcome: ChargeOutcome & { ok: false }, recipients: readonly Recipient[], now: number): RateLimitRefusal {
  const secondsTo = (expiresAt: number) => Math.ceil((expiresAt - now) / 1000);
  const limits: OverflowedLimit[] = outcome.exceeded.map((i) => {
    const c = plan.counters[i];
    return { name: c.name, limit: c.limit, retryAfterSeconds: secondsTo(c.expiresAt), alone: c.amount > c.limit, perNumber: false };
  });
  const overRecipients: OverflowedRecipient[] = [];
  if (outcome.phones.length > 0) {
    // Overflowing numbers only come from a plan with per-number charges.
    const windows = plan.phones!;
    const amountOf = new Map<string, number>();
    for (const group of windows.byAmount) for (const phone of group.phones) amountOf.set(phone, group.amount);
    const over = { hour: new Set<string>(), day: new Set<string>() };
    for (const p of outcome.phones) over[p.window].add(p.phone);
    for (const window of ['hour', 'day'] as const) {
      if (over[window].size === 0) continue;
      const { limit, expiresAt } = windows[window];
      const alone = [...over[window]].some((phone) => amountOf.get(phone)! > limit);
      limits.push({ name: phoneLimitName(window), limit, retryAfterSeconds: secondsTo(expiresAt), alone, perNumber: true });
    }
    recipients.forEach((r, index) => {
      const phone = phoneKey(r.e164);
      if (over.hour.has(phone)) overRecipients.push({ index, name: 'phone-hour', limit: windows.hour.limit });
      if (over.day.has(phone)) overRecipients.push({ index, name: 'phone-day', limit: windows.day.limit });
    });
  }
  const alone = limits.some((l) => l.alone);
  return {
    limits,
    recipients: overRecipients,
    numbers: new Set(outcome.phones.map((p) => p.phone)).size,
    retryable: !alone,
    retryAfterSeconds: alone ? null : Math.max(...limits.map((l) => l.retryAfterSeconds)),
  };
}
