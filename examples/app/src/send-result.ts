import type { SendResultFragment } from './generated/graphql';

/** What the screen says of an answer: the named fragment's fields, read after narrowing on __typename. */
export function describe(result: SendResultFragment): string {
  if (result.__typename === 'SendBatchSmsError') {
    return result.retryable ? `${result.code}: retry later` : `${result.code}: ${result.message}`;
  }
  const rows = result.failedTargetPhones.map((failed) => failed.path.join('.'));
  return `sent: ${result.sessionNos.join(', ')}; failed rows: ${rows.join(' ') || 'none'}`;
}
