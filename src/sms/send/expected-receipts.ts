import type { Recipient } from '../../guard/rate-limits';
import type { SentSession } from '../../guard/state-store';
import type { SendBatchSmsSuccess } from './send-batch-sms.result';

/**
 * Each session of an accepted batch, with the receipts it will have where uSpeedo's answer says so
 * without doubt: one session for the whole batch (every recipient it accepted), or one per task, in
 * task order (each task's accepted recipients; every failed target placed on its row). Otherwise
 * null for every session: receipts cannot be assigned to sessions by guessing.
 */
export function expectedReceipts(result: SendBatchSmsSuccess, recipients: readonly Recipient[]): SentSession[] {
  const { sessionNos, failedTargetPhones } = result;
  const unknown = () => sessionNos.map((sessionNo) => ({ sessionNo, expected: null }));
  if (sessionNos.length === 1) {
    const expected = recipients.length - failedTargetPhones.length;
    return expected >= 0 ? [{ sessionNo: sessionNos[0], expected }] : unknown();
  }
  // Every task of a batch that passed its checks has targets, so the last task's index counts them.
  const perTask = new Array<number>((recipients.at(-1)?.task ?? -1) + 1).fill(0);
  for (const { task } of recipients) perTask[task] += 1;
  if (perTask.length !== sessionNos.length) return unknown();
  for (const failed of failedTargetPhones) {
    const task = failed.path.length === 4 ? Number(failed.path[1]) : Number.NaN;
    if (!(perTask[task] > 0)) return unknown();
    perTask[task] -= 1;
  }
  return sessionNos.map((sessionNo, task) => ({ sessionNo, expected: perTask[task] }));
}
