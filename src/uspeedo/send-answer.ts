import { mayHaveReachedUspeedo, type UpstreamAnswer, type UpstreamFailure } from './upstream-answer';
import type { UspeedoFailedTarget } from './uspeedo.types';

/** A target uSpeedo did not take in an accepted batch: its number as uSpeedo wrote it, its params, and why (cleaned). */
interface FailedTargetRecord {
  phone: string;
  templateParams: string[];
  failureReason: string;
}

/**
 * What a send's one call came to, already classified:
 * - `accepted`: RetCode 0, with its sessions and the targets it did not take (a partial success);
 * - `failed`: uSpeedo's or the wire's failure, with what it means for the SMS (`sent`: `no` when
 *   provably nothing reached uSpeedo, `maybe` when it may have been sent, `refused` when uSpeedo
 *   answered without sending) and whether sending again can be safe (`retryable`);
 * - `unreadable`: RetCode 0, so sent, but its sessions or failed targets could not be read.
 */
export type SendAnswer =
  | { kind: 'accepted'; sessionNos: string[]; failedTargets: FailedTargetRecord[]; message: string; requestUuid: string | null }
  | { kind: 'failed'; failure: UpstreamFailure; sent: 'no' | 'maybe' | 'refused'; retryable: boolean }
  | { kind: 'unreadable'; httpStatus: number; requestUuid: string | null };

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

// The older API returns SessionNo as one string, the v1 spec as an array; absent when nothing was accepted.
function readSessionNos(value: unknown): string[] | undefined {
  if (value === undefined || value === null || value === '') return [];
  if (typeof value === 'string') return [value];
  return isStringArray(value) ? value : undefined;
}

function readFailedTargets(value: unknown, clean: (text: string) => string): FailedTargetRecord[] | undefined {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return undefined;
  const failed: FailedTargetRecord[] = [];
  for (const item of value as UspeedoFailedTarget[]) {
    if (typeof item !== 'object' || item === null || typeof item.Phone !== 'string') return undefined;
    const params = item.TemplateParams ?? [];
    if (!isStringArray(params)) return undefined;
    failed.push({
      phone: item.Phone,
      templateParams: params,
      failureReason: typeof item.FailureReason === 'string' ? clean(item.FailureReason) : '',
    });
  }
  return failed;
}

/**
 * Reads a send's classified answer. `clean` makes uSpeedo's failure reasons fit for a caller (no
 * credentials of ours, only showable characters); its Message already is. Sending again is safe only
 * where nothing reached uSpeedo, or a 429 turned the request away before it was processed.
 */
export function readSendAnswer(answer: UpstreamAnswer, clean: (text: string) => string): SendAnswer {
  if (!answer.ok) {
    const sent = answer.kind === 'not-sent' ? 'no' : mayHaveReachedUspeedo(answer) ? 'maybe' : 'refused';
    const retryable = answer.kind === 'not-sent' || (answer.kind === 'http' && answer.httpStatus === 429);
    return { kind: 'failed', failure: answer, sent, retryable };
  }
  const sessionNos = readSessionNos(answer.json.SessionNo);
  const failedTargets = readFailedTargets(answer.json.FailedTargetPhones, clean);
  if (!sessionNos || !failedTargets) return { kind: 'unreadable', httpStatus: answer.httpStatus, requestUuid: answer.requestUuid };
  return { kind: 'accepted', sessionNos, failedTargets, message: answer.message ?? '', requestUuid: answer.requestUuid };
}
