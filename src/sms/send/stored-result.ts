import { failure, success, SendBatchSmsSuccess, type SendBatchSmsError } from './send-batch-sms.result';

type Result = SendBatchSmsSuccess | SendBatchSmsError;

/** A result as an idempotency record keeps it. */
export function serializeResult(result: Result): string {
  return JSON.stringify({ type: result instanceof SendBatchSmsSuccess ? 'success' : 'error', fields: result });
}

/** A result an idempotency record kept, as it was first answered. */
export function deserializeResult(text: string): Result {
  const { type, fields } = JSON.parse(text) as { type: 'success' | 'error'; fields: never };
  return type === 'success' ? success(fields) : failure(fields);
}
