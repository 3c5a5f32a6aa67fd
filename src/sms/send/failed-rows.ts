import type { Recipient } from '../../guard/rate-limits';
import { readPhone } from '../shared/phone';
import { SendBatchSmsSuccess, type SendBatchSmsError } from './send-batch-sms.result';

/** A phone as uSpeedo wrote it, in E.164; as written when it cannot be read. */
export function asE164(phone: string): string {
  const reading = readPhone(phone);
  return reading.ok ? reading.phone.e164 : phone;
}

/**
 * Puts each failed target back on its input row (`path`, `e164`): uSpeedo names it only by the phone,
 * in its own form (`(852)55310000`), while a caller's screen has rows. A number in several tasks goes
 * to its rows in input order, one failure each. A replayed result gets its rows the same way, from
 * the same batch (its fingerprint matched), so a record stored before rows existed answers them too.
 */
export function placeFailedTargets<T extends SendBatchSmsSuccess | SendBatchSmsError>(result: T, recipients: readonly Recipient[]): T {
  if (!(result instanceof SendBatchSmsSuccess) || result.failedTargetPhones.length === 0) return result;
  const rows = new Map<string, Recipient[]>();
  for (const recipient of recipients) {
    const same = rows.get(recipient.e164);
    if (same) same.push(recipient);
    else rows.set(recipient.e164, [recipient]);
  }
  for (const failed of result.failedTargetPhones) {
    // A result stored before rows existed has no e164 yet.
    failed.e164 ??= asE164(failed.phone);
    const row = rows.get(failed.e164)?.shift();
    failed.path = row ? ['taskContent', String(row.task), 'target', String(row.target)] : [];
  }
  return result;
}
