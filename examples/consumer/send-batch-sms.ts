// A consumer as a frontend would write one: the generated typed document, no hand-written result types.
import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { SendBatchSmsDocument, type SendBatchSmsInput, type SendBatchSmsMutation } from '../generated/graphql';

/** Posts a typed operation as `token`'s caller (an API key or a JWT); the result and variables types come from the document. */
export async function execute<TResult, TVariables>(
  url: string,
  token: string | null,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
): Promise<TResult> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as { data?: TResult; errors?: { message: string }[] };
  if (!body.data) throw new Error(body.errors?.map((error) => error.message).join('; ') ?? `HTTP ${response.status}`);
  return body.data;
}

type Result = SendBatchSmsMutation['sendBatchSms'];

/** What a person should read about one result: the union narrowed on __typename. */
export function describe(result: Result): string {
  switch (result.__typename) {
    case 'SendBatchSmsSuccess': {
      const failed = result.failedTargetPhones.map((f) => `${f.phone} (${f.failureReason})`);
      return `sent ${result.sessionNos.length} session(s)${failed.length ? `; failed: ${failed.join(', ')}` : ''}`;
    }
    case 'SendBatchSmsError': {
      const fields = result.fieldErrors.map((e) => `${e.path.join('.')}: ${e.message}`);
      const retry = result.retryable ? ' (safe to retry)' : '';
      return `${result.code}${retry}: ${result.message}${fields.length ? ` [${fields.join('; ')}]` : ''}`;
    }
  }
}

/** Sends a batch as `token`'s caller (null where the server has no callers) and describes the answer. */
export async function sendBatch(url: string, token: string | null, input: SendBatchSmsInput): Promise<string> {
  const data = await execute(url, token, SendBatchSmsDocument, { input });
  return describe(data.sendBatchSms);
}
