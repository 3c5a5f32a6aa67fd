import type { FastifyBaseLogger } from 'fastify';
import { readReceipts, type ReceiptRecord, type TemplateRecord } from './lookup-records';
import { readSendAnswer, type SendAnswer } from './send-answer';
import type { UpstreamFailure, UspeedoJson } from './upstream-answer';
import { chunkIds, type ReadAnswer, type UpstreamReads } from './upstream-reads';
import { cleanUpstreamText } from './upstream-text';
import { templatesRead } from './templates.read';
import type { UspeedoCall, UspeedoClient } from './uspeedo.client';
import { MAX_IDS_PER_LOOKUP, USPEEDO_PATHS } from './uspeedo.types';
import type { UspeedoRead } from './uspeedo-read';

/** The lookups uSpeedo takes a list of ids for. */
export type LookupKind = 'receipts' | 'templates';

/**
 * A read's outcome as records: what uSpeedo answered, read; or its failure, classified; or a RetCode 0
 * answer whose records could not be read.
 */
export type RecordsAnswer<T> =
  | { ok: true; records: T; requestUuid: string | null }
  | { ok: false; failure: UpstreamFailure }
  | { ok: false; failure: 'unreadable'; requestUuid: string | null };

function recordsOf<T>(answer: ReadAnswer, read: (json: UspeedoJson) => T | undefined): RecordsAnswer<T> {
  if (!answer.ok) return answer;
  const records = read(answer.json);
  return records === undefined
    ? { ok: false, failure: 'unreadable', requestUuid: answer.requestUuid }
    : { ok: true, records, requestUuid: answer.requestUuid };
}

/**
 * uSpeedo's calls, one named method each, every answer classified the same way (`UspeedoClient.answer`). A
 * send is one attempt, never retried; a read goes through `UpstreamReads` (in-flight limit, retry
 * budget, breaker).
 */
export class UspeedoApi {
  constructor(
    private readonly client: UspeedoClient,
    private readonly reads: UpstreamReads,
  ) {}

  /** Posts one batch, its JSON body already stringified, and reads the answer. Exactly one attempt: a retried POST is a second SMS. */
  async sendBatch(body: string): Promise<SendAnswer> {
    return readSendAnswer(await this.client.answer({ method: 'POST', path: USPEEDO_PATHS.sendBatch, body }), this.cleanText);
  }

  /** Receipts (USMSSendReceipt) by session, for one chunk of session numbers (see `chunks`), retried as reads are. */
  async receipts(sessionNos: readonly string[], log: FastifyBaseLogger): Promise<RecordsAnswer<Map<string, ReceiptRecord[]>>> {
    const answer = await this.reads.read({ method: 'GET', path: USPEEDO_PATHS.receipts, query: { id: sessionNos } }, log, 'status');
    return recordsOf(answer, readReceipts);
  }

  /** Templates (USMSTemplate) by id, for one chunk of ids (see `chunks`), retried as reads are. */
  templates(templateIds: readonly string[], log: FastifyBaseLogger): Promise<RecordsAnswer<Map<string, TemplateRecord>>> {
    return this.read(templatesRead, { id: templateIds }, log);
  }

  /** A declared read (`UspeedoRead`) as its record, retried as reads are. */
  async read<T>(call: UspeedoRead<T>, query: UspeedoCall['query'], log: FastifyBaseLogger): Promise<RecordsAnswer<T>> {
    const answer = await this.reads.read({ method: 'GET', path: call.path, query }, log, call.operation);
    return recordsOf(answer, (json) => call.read(json));
  }

  /** Ids split into the fewest calls of a lookup, each within uSpeedo's count and a safe request line. */
  chunks(kind: LookupKind, ids: readonly string[]): string[][] {
    return chunkIds(USPEEDO_PATHS[kind], ids, MAX_IDS_PER_LOOKUP);
  }

  /** uSpeedo's text (a failure reason) as a caller may see it: without this server's credentials, only showable characters. */
  readonly cleanText = (text: string): string => cleanUpstreamText(text, this.redact);

  private readonly redact = (text: string): string => this.client.redact(text);

  /** Stops the reads' breaker and closes the connections to uSpeedo, once no call is in flight. */
  async close(): Promise<void> {
    this.reads.close();
    await this.client.close();
  }
}
